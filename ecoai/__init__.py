"""ecoai: the energy, water and carbon of AI workloads, estimated and measured."""

__version__ = "0.1.0"
