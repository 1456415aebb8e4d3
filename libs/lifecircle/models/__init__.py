"""lifecircle.models."""
