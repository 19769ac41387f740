"""telecon package (in progress)."""
