"""charlie-worker."""
