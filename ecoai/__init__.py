"""ecoai: the energy, water and carbon of AI workloads, estimated and measured."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~10 ms at start-up)
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"
__all__ = ["Measure", "__version__", "measure"]


def __getattr__(name: str) -> Any:
    """``ecoai.measure`` and ``ecoai.Measure``, imported on first use (start-up stays light)."""
    if name in ("measure", "Measure"):
        from ecoai import api

        return getattr(api, name)
    raise AttributeError(f"module 'ecoai' has no attribute {name!r}")
