"""CSV cells that a spreadsheet opens as text, never as a formula (CSV/formula injection).

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to
Excel, LibreOffice and Google Sheets (`=HYPERLINK(...)` sends data to any URL); such a cell is
written with a leading `'`, which every one of them reads as "this is text". Only text is
touched: numbers, dates, booleans and NULLs are written as they are, so a negative number stays
a number.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """`value` for a CSV cell: a text starting like a formula gets a leading `'`; anything
    that is not text comes back unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_safe_frame(frame: Any) -> Any:
    """A copy of a pandas DataFrame with every text cell made safe (see csv_safe), its header
    too (a column may be named after a metric label or a query's alias); numeric, date and
    boolean columns are left as they are."""
    safe = frame.copy()
    for index in range(safe.shape[1]):
        values = safe.iloc[:, index]
        if values.dtype == object or str(values.dtype) in ("string", "str"):
            safe.isetitem(index, values.map(csv_safe))
    safe.columns = [csv_safe(column) for column in safe.columns]
    return safe
