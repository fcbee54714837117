"""One module per chapter experiment; each calls ``register`` once when imported."""
