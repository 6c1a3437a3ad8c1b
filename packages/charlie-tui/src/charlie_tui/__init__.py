"""charlie-tui."""
