"""lifecircle.circles."""
