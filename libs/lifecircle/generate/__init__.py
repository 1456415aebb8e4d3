"""The synthetic province: raw operator feeds with planted ground truth."""
