"""One module per subcommand; each has ``register(app)`` and imports nothing heavy at load time."""
