"""lifecircle.social."""
