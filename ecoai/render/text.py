"""Text from reports and event files made safe for a terminal, markdown and spreadsheets.

Labels, phase names, notes and citations come from files a user or a measured command wrote:
a newline there splits a table row, an ANSI or OSC escape recolours or retitles the terminal,
and ``=HYPERLINK(...)`` in a CSV cell runs as a spreadsheet formula. Every renderer passes
such text through one of these helpers; the JSON report keeps it as it was (JSON escapes it).
"""

from __future__ import annotations

from ecoai.errors import one_line

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""Cell starts a spreadsheet reads as a formula (OWASP, "CSV Injection")."""


def printable(text: str) -> str:
    """``text`` on one line: newlines, escapes and control characters as ``\\n``, ``\\x1b``."""
    return one_line(text)


def md_cell(text: str) -> str:
    """``text`` for a markdown table cell or heading: one line, ``|`` escaped."""
    return printable(text).replace("|", "\\|")


def csv_cell(text: str) -> str:
    """``text`` for a CSV cell: one line (``printable``), and a leading ``= + - @``, tab or CR
    neutralised with a single quote, as OWASP recommends, so a spreadsheet shows it as text
    instead of running it as a formula."""
    return ("'" if text.startswith(FORMULA_STARTS) else "") + printable(text)
