"""One module per page of the explorer app; each has ``render(explorer)``."""
