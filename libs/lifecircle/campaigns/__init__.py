"""lifecircle.campaigns."""
