"""lifecircle.features."""
