"""Measurement: run a command, sample its sensors, fold its events, build the measured report.

- ``session``: the orchestration: ``prepare`` (footprint inputs -> ``ProfileRequest``, shared by
  ``ecoai profile`` and ``ecoai.measure``), ``measure`` (baseline -> sample -> run -> ``Measured``);
- ``records``: what ``session`` hands to ``report``: ``ProfileRequest``, ``Measured``,
  ``RunRecord`` and one ``SensorRun`` per sensor and run;
- ``runner``: the child process, its signals and its process tree's CPU time;
- ``sampler``: the sampling thread and the per-sensor energy tallies;
- ``gpu_share``: a sampler listener that attributes a shared GPU to the process tree;
- ``events``, ``work``: the ``ECOAI_EVENTS`` file and the fold of its events;
- ``report`` (pure): a finished measurement -> ``Report``;
- ``per_unit`` (pure): per query, per 1,000 tokens and per phase figures.

May import the vocabulary at the top of ``ecoai``, ``sensors`` and ``inputs``; never
``estimation``, ``comparison``, ``render``, ``watch``, ``commands`` or ``cli``.
"""
