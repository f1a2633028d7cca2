"""ecoai's own ``--debug``: show the traceback instead of the one-line error.

Only the flag as click parses it for an ecoai command counts. A ``--debug`` that belongs to the
command ``ecoai profile`` runs (``ecoai profile -- cmd --debug`` or ``ecoai profile cmd --debug``)
is an argument of that command and never reaches the callback below, so it leaves ecoai's
errors as they are. The option is eager: it is recorded before any other parameter is checked.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on `ecoai --help`
if TYPE_CHECKING:
    from typing import Any

_requested = [False]


def _remember(value: bool) -> bool:
    if value:
        _requested[0] = True
    return value


_remember.fast_spec = ("debug", (), {})  # type: ignore[attr-defined]


def debug_option() -> Any:
    """The hidden ``--debug`` flag of a command (a ``typer.Option`` default)."""
    import typer

    return typer.Option(False, "--debug", hidden=True, is_eager=True, callback=_remember)


def requested() -> bool:
    """Whether ecoai's own ``--debug`` was given in this run."""
    return _requested[0]


def reset() -> None:
    """Forget an earlier ``--debug`` (for a second run in the same process)."""
    _requested[0] = False
