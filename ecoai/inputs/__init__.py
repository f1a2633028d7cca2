"""Inputs: everything that becomes ``Report.inputs``, each value with where it came from.

- ``keys``: the scenario vocabulary (one ``Key`` per input: type, unit, bounds, flag);
- ``scenario``: scenario TOML files in and out (``--save-scenario``);
- ``resolve``: catalog < scenario file < flags, and the accessors of resolved inputs;
- ``catalog``, ``catalog_schema``, ``catalog_layer``: the profiles (the data in ``profiles/``
  and the user's overlays; "profiles" on the command line, "catalog" in code), their schemas,
  and the scenario values a profile id determines.
- ``preset_kinds``: the preset kinds registered once (table, singular, scenario key, schema),
  and ``PRESET_KEYS``; a new kind is one entry there, one schema in ``catalog_schema`` and one
  TOML file in ``profiles/``.

An edge (reads TOML files). May import the vocabulary at the top of ``ecoai``; never
``estimation``, ``measurement``, ``sensors``, ``comparison``, ``render``, ``watch``,
``commands`` or ``cli``.
"""
