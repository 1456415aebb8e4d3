"""lifecircle.retention."""
