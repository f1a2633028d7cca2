"""One module per subcommand; each has ``register(app)`` and imports nothing heavy at load time.

The top of the house: a command may import anything in ``ecoai``. Nothing imports
``ecoai.commands`` or ``ecoai.cli`` except ``cli``, ``completion`` and ``__main__`` (checked by
``lint-imports``).
"""
