"""How a figure from the warehouse is written on screen, by the unit the catalog gives it.

Kept apart from the pages so every page, the tests and (later) the report write a value the same
way: a ratio as a percentage, hours as hours or days, and an undefined value (NULL) as a dash,
never as 0, because "no deployments, so no fail rate" is not "a 0% fail rate".
"""

from __future__ import annotations

import math
import re
from numbers import Real

DASH = "—"
"""What an undefined value (NULL in metrics.metric_values) is shown as."""

HOURS_AS_DAYS_FROM = 48.0
"""Durations of two days or more read better in days than in hours."""


def is_missing(value: object) -> bool:
    """True for NULL, NaN and pandas' missing markers: all mean "undefined" here."""
    if value is None:
        return True
    if isinstance(value, Real):
        return math.isnan(float(value))
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _number(value: float, decimals: int = 1) -> str:
    """A count reads as an integer when it is one (12, not 12.0), else with one decimal."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{decimals}f}"


def format_value(value: object, unit: str | None) -> str:
    """Write one metric value in its unit; undefined values become a dash."""
    if is_missing(value):
        return DASH
    number = float(value)  # type: ignore[arg-type]
    match unit:
        case "ratio":
            return f"{number * 100:.1f}%"
        case "hours":
            if abs(number) >= HOURS_AS_DAYS_FROM:
                return f"{number / 24:.1f} d"
            return f"{number:.1f} h"
        case "days":
            return f"{number:.1f} d"
        case "minutes":
            return f"{number:.1f} min"
        case _:
            return _number(number)


def format_delta(delta: object, unit: str | None) -> str | None:
    """Write a week-on-week change with its sign, or None when either week is undefined.

    A ratio's change is in percentage points: "+2.0 pp" cannot be misread as a relative change.
    """
    if is_missing(delta):
        return None
    number = float(delta)  # type: ignore[arg-type]
    match unit:
        case "ratio":
            return f"{number * 100:+.1f} pp"
        case "hours":
            if abs(number) >= HOURS_AS_DAYS_FROM:
                return f"{number / 24:+.1f} d"
            return f"{number:+.1f} h"
        case "days":
            return f"{number:+.1f} d"
        case "minutes":
            return f"{number:+.1f} min"
        case _:
            sign = "+" if number > 0 else ("-" if number < 0 else "±")
            return f"{sign}{_number(abs(number))}"


def unit_suffix(unit: str | None) -> str:
    """The axis-title suffix for a unit, e.g. "(hours)"; counts need none."""
    return {
        "ratio": "(%)",
        "hours": "(hours)",
        "days": "(days)",
        "minutes": "(minutes)",
        "engineers": "(engineers)",
    }.get(unit or "", "")


BAND_LABELS = {
    "elite": "Elite",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
}

BAND_COLOURS = {
    "elite": "green",
    "high": "blue",
    "medium": "orange",
    "low": "red",
}


def band_label(band: object) -> str:
    """A performance band for display; a scope without enough data has no band."""
    if is_missing(band) or not str(band):
        return "No band"
    return BAND_LABELS.get(str(band).lower(), str(band).title())


# --- Strings from data are text ---------------------------------------------------------------
# A team, service, repository or reason name is whatever a source system held: it must read as
# the characters it is, never as Markdown (an image that loads from any URL, a link, LaTeX) in
# Streamlit, as HTML in a Plotly label, or as a formula in a spreadsheet opening a CSV.

MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()#+-.!|<>~$:&")
"""Characters backslash-escaped in Markdown text: CommonMark punctuation that starts an element,
`$` (Streamlit renders LaTeX), `:` (Streamlit's `:colour[...]` and `:material/...:` directives
and `http://` autolinks), `<`/`>`/`&` (HTML and entities)."""


WORD_JOINER = "\u2060"
"""An invisible character that breaks a GFM autolink: Streamlit turns `http://…`, `www.…` and
`a@b.c` in text into links *after* resolving backslash escapes, so escaping cannot stop it."""
_AUTOLINK_STARTS = re.compile(r"(?i)(://|\bwww(?=\.)|@)")


def md(value: object) -> str:
    """`value` as literal text inside Streamlit Markdown (st.markdown, captions, alerts, metric
    labels, subheaders): every Markdown and HTML character backslash-escaped, line breaks
    flattened (a newline could start a heading or a list), and a word joiner after `://`, `www`
    and `@` so a URL or an address in a name is not made a link."""
    text = "" if value is None else " ".join(str(value).splitlines())
    text = _AUTOLINK_STARTS.sub(
        lambda m: ":" + WORD_JOINER + "//" if m.group(0) == "://" else m.group(0) + WORD_JOINER,
        text,
    )
    return "".join(f"\\{ch}" if ch in MARKDOWN_SPECIAL else ch for ch in text)


def plot_text(value: object) -> str:
    """`value` as literal text inside a Plotly label, legend, tick, title or hover: Plotly renders
    a subset of HTML there (`<a href>`, `<b>`, `<br>`, entities), so `&`, `<` and `>` become
    entities and read as themselves."""
    text = "" if value is None else str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def md_code(value: object) -> str:
    """`value` as an inline code span in Markdown: fenced with one more backtick than the longest
    run of backticks it holds, so it cannot close the span early; nothing inside is rendered."""
    text = "" if value is None else " ".join(str(value).splitlines())
    runs = [len(run) for run in "".join(c if c == "`" else " " for c in text).split()]
    longest = max(runs, default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"
