"""Text bound for a spreadsheet (CSV and Excel exports): never read as a formula.

Plain Python, no Flask and no PDF stack: the grader's result file uses it too.
"""

from __future__ import annotations

from typing import Any

# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and CR, strips
# them and reads what follows): text from users or imported files must not run as one.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would take for a formula gets a leading apostrophe; the rest unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
