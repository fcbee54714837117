"""Data made on the spot from a seed, never downloaded: one module per task."""
