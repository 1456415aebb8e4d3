"""lifecircle.reports."""
