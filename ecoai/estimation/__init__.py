"""Estimation: footprints computed from formulas and sourced data, without measuring anything.

Holds the paper's method (``estimate``: point, Monte Carlo, direct energy and task statistics;
Jegham et al. 2025, arXiv:2505.09598 v6), its typed view of the resolved inputs (``inputs``:
the method's inputs read and checked once, before any formula) and its seeded Monte Carlo
(``montecarlo``).

Pure: no file, network or clock access. May import the vocabulary at the top of ``ecoai``
(``units``, ``models``, ``errors``, ``footprint``, ``metrics``) and ``ecoai.inputs`` for the
resolved-input accessors; never ``measurement``, ``sensors``, ``comparison``, ``render``,
``watch``, ``commands`` or ``cli``.
"""
