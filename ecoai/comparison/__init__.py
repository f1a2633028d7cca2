"""Comparison: reports side by side, CI gates, significance tests, variations and merges.

- ``model``: the ``Comparison`` contract (the JSON of ``compare --json``);
- ``compare``: items against a baseline (pure);
- ``gates``, ``gate_file``: gate kinds, their verdicts, and gates read from TOML;
- ``stats``: Welch's t-test and the seeded bootstrap (pure);
- ``items``, ``variation``: what a command-line item names (a report file, read by
  ``ecoai.report_files``; a scenario; a preset) and its ``--vary`` expansions;
- ``merge``: adding up the measured reports of one job's ranks or nodes (pure).

May import the vocabulary at the top of ``ecoai``, ``inputs`` and ``estimation`` (an item can
be a preset to estimate); never ``measurement``, ``sensors``, ``render``, ``watch``,
``commands`` or ``cli``.
"""
