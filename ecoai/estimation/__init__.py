"""Estimation: footprints computed from formulas and sourced data, without measuring anything.

Holds the paper's method (``estimate``: point, Monte Carlo, direct energy and task statistics;
Jegham et al. 2025, arXiv:2505.09598 v6), its typed view of the resolved inputs (``inputs``:
the method's inputs read and checked once, before any formula) and its seeded Monte Carlo
(``montecarlo``).

Pure: no file, network or clock access. May import the vocabulary at the top of ``ecoai``
(``units``, ``models``, ``errors``, ``footprint``, ``metrics``) and ``inputs.keys``; never the
input edges (``inputs.catalog``, ``catalog_layer``, ``scenario``, ``resolve``), ``files``,
``measurement``, ``sensors``, ``comparison``, ``render``, ``watch``, ``commands`` or ``cli``
(checked by ``lint-imports``; the one exception, the open-model method reading the shipped
ML.ENERGY measurements through ``inputs.mlenergy``, is listed there). Holds the open-LLM method
too (``open_model``: interpolation and fit; ``open_llm``: its inputs and footprint).
"""
