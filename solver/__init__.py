"""solver package (in progress)."""
