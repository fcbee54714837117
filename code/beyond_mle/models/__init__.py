"""Small, readable networks reused across chapters, one file per model."""
