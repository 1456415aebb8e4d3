"""lifecircle.ingest."""
