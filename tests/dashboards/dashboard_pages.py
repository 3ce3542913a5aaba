"""Helpers for driving dashboard pages with AppTest and reading what they show.

AppTest renders nothing, but every element's protobuf is there: a chart's Plotly JSON, a table's
frame, a download button's label. Elements are found by the key the page gave them (the element
id ends with `-<key>`), so a test names what it reads the way the page names it.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import numpy as np
import pandas as pd
from dashboard_fixtures import APP
from streamlit.testing.v1 import AppTest

EMPTY_TEXT = "No data published yet: run `paved demo` or `paved run --inbox DIR`."


def run_page(page: str, query_params: dict[str, str] | None = None) -> AppTest:
    """Open `app_pages/<page>.py` through the whole app (navigation included), as a link would."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in (query_params or {}).items():
        at.query_params[key] = value
    at.switch_page(f"app_pages/{page}.py")
    return at.run()


def _key(element: Any) -> str:
    return str(element.proto.id).rsplit("-", 1)[-1]


def charts(at: AppTest) -> dict[str, dict[str, Any]]:
    """Every Plotly chart on the page, by key, as its figure JSON."""
    return {_key(c): json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def tables(at: AppTest) -> dict[str, pd.DataFrame]:
    """Every table on the page, by the key of its CSV download.

    A non-selectable st.dataframe carries no id in AppTest, but every page draws tables through
    `_ui.table`, which emits each table followed by its own download button: pairing them in
    order names each table.
    """
    frames = [df.value for df in at.dataframe]
    keys = downloads(at)
    assert len(frames) == len(keys), "every table is drawn by _ui.table with its CSV download"
    return dict(zip(keys, frames, strict=True))


def downloads(at: AppTest) -> list[str]:
    """The keys of the page's download buttons (the `csv_` prefix removed)."""
    return [_key(b).removeprefix("csv_") for b in at.get("download_button")]


def texts(at: AppTest) -> list[str]:
    """Every message, caption and markdown text on the page, for "says so" assertions."""
    out: list[str] = []
    for kind in ("info", "warning", "error", "success", "caption", "markdown"):
        out += [element.value for element in getattr(at, kind)]
    return out


def plain(markdown: str) -> str:
    """What Markdown source reads as on screen once its backslash escapes are rendered: pages
    escape every string from data (`formatting.md`), so "Golden-path" is sent as "Golden\\-path"."""
    return re.sub(r"\\(.)", r"\1", markdown)


def values(data: Any) -> list[Any]:
    """A trace's x or y as a list: Plotly writes numpy arrays as base64 `bdata`, lists as is."""
    if isinstance(data, dict) and "bdata" in data:
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    return list(data)
