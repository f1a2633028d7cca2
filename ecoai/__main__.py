"""Run ecoai as ``python -m ecoai``."""

from ecoai.cli import main

main()
