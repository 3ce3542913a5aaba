"""UI pieces shared by the pages: URL-bound filters, tables with CSV, empty states, freshness.

A leading underscore keeps this module out of the page registry. Filters live in the URL
(`st.query_params`) with stable ids as values (team ids, not display names), so a link to a view
keeps working when a team is renamed; a value equal to the default is dropped from the URL to keep
shared links short.

Filters also apply across pages: moving to another page clears the URL's query parameters and
drops the previous page's widget state (Streamlit does both on navigation), so each choice is
also remembered in a plain session-state entry that outlives the widget, and the next page that
shows the same filter starts from it and writes it back into its own URL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from dashboards import data
from dashboards.data import Freshness, Status, WarehouseUnavailable, utc_now
from dashboards.filters import (
    ALL_SERVICES,
    DEFAULT_GRAIN,
    DEFAULT_PERIOD,
    GRAINS,
    ORG,
    PERIODS,
    Window,
    scope_of,
    window,
)
from dashboards.formatting import format_value, is_missing, md, md_code
from pipelines.csv_safe import csv_safe_frame

EMPTY_MESSAGE = "No data published yet: run `paved demo` or `paved run --inbox DIR`."
SHARED_FILTERS = "_shared_filters"
"""Session-state entry (not a widget key) holding the last choice of every URL filter."""
ROADMAP_BADGES = {
    "done": ":green-badge[Done]",
    "on_track": ":blue-badge[On track]",
    "at_risk": ":orange-badge[At risk]",
    "off_track": ":red-badge[Off track]",
    "not_measurable_yet": ":gray-badge[Not measurable yet]",
}
"""How a roadmap status (marts.roadmap_progress.status) reads, as a coloured badge."""
TABLE_ROWS_SHOWN = 5_000
"""Rows drawn in a table; the CSV download always holds every row of the filtered table."""


def url_selectbox(
    label: str,
    options: Sequence[str],
    *,
    param: str,
    default: str,
    format_func: Callable[[str], str] = str,
    help: str | None = None,
) -> str:
    """A selectbox whose value is read from and written to the URL query parameter `param`.

    The URL seeds the widget (an unknown value falls back to the choice remembered from another
    page, then to the default); after that the widget is the source of truth and the URL follows
    it.
    """
    choices = list(options)
    if default not in choices:
        default = choices[0]
    widget_key = f"filter_{param}"
    remembered: dict[str, str] = st.session_state.setdefault(SHARED_FILTERS, {})
    current = st.session_state.get(widget_key)
    if current not in choices:
        from_url = st.query_params.get(param)
        if from_url in choices:
            current = from_url
        elif remembered.get(param) in choices:
            current = remembered[param]
        else:
            current = default
    # Always set, even when unchanged: on another page the same key is a new widget, which would
    # otherwise start from its first option instead of the value carried over.
    st.session_state[widget_key] = current
    value: str = st.selectbox(label, choices, key=widget_key, format_func=format_func, help=help)
    remembered[param] = value
    if value == default:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != value:
        st.query_params[param] = value
    return value


def period_filter(*, monthly: bool = False) -> str:
    """The period filter (`?period=`), shared by every page that has one."""
    return url_selectbox(
        "Period",
        list(PERIODS),
        param="period",
        default=DEFAULT_PERIOD,
        format_func=lambda p: PERIODS[p].label,
        help="How many complete weeks are shown"
        + (" (3, 6 or 12 months on a monthly view)." if monthly else "."),
    )


def team_filter(names: Mapping[str, str]) -> str:
    """The team filter (`?team=`): the whole organisation or one team, by stable team id."""
    options = {ORG: "Whole organisation", **names}
    return url_selectbox(
        "Team",
        list(options),
        param="team",
        default=ORG,
        format_func=lambda t: options.get(t, t),
        help="The whole organisation, or one team's services.",
    )


def service_filter(names: Mapping[str, str]) -> str:
    """The service filter (`?service=`): every service in view, or one of `names` (id -> name).

    Choosing another team narrows `names`; a service of the previous team then falls back to
    every service rather than showing another team's service.
    """
    options = {ALL_SERVICES: "All services", **names}
    return url_selectbox(
        "Service",
        list(options),
        param="service",
        default=ALL_SERVICES,
        format_func=lambda s: options.get(s, s),
        help="One service, or every service of the team (or organisation).",
    )


def grain_filter() -> str:
    """Weekly or monthly figures (`?grain=`)."""
    return url_selectbox(
        "Grain",
        list(GRAINS),
        param="grain",
        default=DEFAULT_GRAIN,
        format_func=lambda g: GRAINS[g],
        help="Figures per ISO week (Monday to Sunday) or per calendar month.",
    )


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV a download holds: every row and column, ISO timestamps, empty for undefined; a
    text cell that a spreadsheet would run as a formula is prefixed with `'` (csv_safe)."""
    safe = csv_safe_frame(frame)
    return safe.to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%S").encode("utf-8")


def download_csv(
    frame: pd.DataFrame | Callable[[], pd.DataFrame],
    *,
    key: str,
    file_name: str,
    label: str = "Download CSV",
) -> None:
    """A CSV download of `frame`, built only when clicked (a large table costs nothing until then).

    `frame` may be a function that fetches the rows: it then runs on the click too, so a page
    that shows only the first rows of a long listing reads the others only when asked.
    `on_click="ignore"` keeps the page from re-running: a download changes nothing on screen.
    """
    st.download_button(
        label,
        data=lambda: csv_bytes(frame() if callable(frame) else frame),
        file_name=file_name,
        mime="text/csv",
        key=f"csv_{key}",
        on_click="ignore",
        icon=":material/download:",
    )


def table(
    frame: pd.DataFrame,
    *,
    key: str,
    file_name: str,
    column_config: Mapping[str, Any] | None = None,
    empty: str = "Nothing to show.",
    count: bool = True,
    csv: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
    total: int | None = None,
) -> None:
    """A table with its CSV download; an empty table is one sentence that says why it is empty.

    Only the first TABLE_ROWS_SHOWN rows are drawn (the browser grid slows down past that); the
    caption says so and the CSV still has every row. `count=False` leaves the row count to the
    caller (the SQL page writes it with the run time). `csv` is what the download holds when
    the table shows formatted text (e.g. "—" for undefined): the raw stored values; or, with
    `total`, when `frame` holds only the first rows of a listing of `total`: a function that
    fetches all of them on the click, and the caption says how many are not shown.
    """
    if frame.empty:
        st.info(empty, icon=":material/info:")
        return
    shown = frame.head(TABLE_ROWS_SHOWN)
    st.dataframe(
        shown,
        key=f"table_{key}",
        hide_index=True,
        column_config=dict(column_config or {}),
    )
    every = max(len(frame), total or 0)
    rows = f"{every:,} row{'s' if every != 1 else ''}"
    left, right = st.columns([3, 1], vertical_alignment="center")
    with left:
        if every > len(shown):
            st.caption(f"Showing the first {len(shown):,} of {rows}; the CSV has all of them.")
        elif count:
            st.caption(rows)
    with right:
        download_csv(frame if csv is None else csv, key=key, file_name=file_name)


def formatted(frame: pd.DataFrame, units: Mapping[str, str | None]) -> pd.DataFrame:
    """A copy of `frame` with the named columns written in their unit ("—" when undefined).

    Tables show the same text as tiles and hovers: a NULL must read as a dash, never as an empty
    cell a reader could take for 0, and a ratio as a percentage.
    """
    shown = frame.copy()
    for column, unit in units.items():
        if column in shown.columns:
            shown[column] = [format_value(v, unit) for v in shown[column]]
    return shown


def text(value: object, fallback: str = "") -> str:
    """Catalog or mart text for display; a NULL must not read as "nan"."""
    return fallback if is_missing(value) or not str(value) else str(value)


def team_names() -> dict[str, str]:
    """team_id -> display name of every team with metric values."""
    teams = data.teams()
    return dict(zip(teams["team_id"], teams["name"], strict=True))


def scope_label(
    team: str, service: str, teams: Mapping[str, str], services: Mapping[str, str]
) -> str:
    """The scope the filters select, in words."""
    if service != ALL_SERVICES:
        return f"service {services.get(service, service)}"
    if team != ORG:
        return teams.get(team, team)
    return "Whole organisation"


def complete_window(freshness: Freshness, grain: str, period: str) -> Window | None:
    """The periods the filters select, ending with the latest complete week or month.

    None when no complete period exists yet (the first one is still running).
    """
    now = utc_now()
    last = data.latest_complete_period(grain, min(freshness.last_refreshed or now, now))
    return None if last is None else window(grain, last, period)


@dataclass(frozen=True)
class TeamView:
    """What a page's period/grain/team header selects (see team_period_header)."""

    teams: dict[str, str]
    team: str
    grain: str
    win: Window
    scope: str
    scope_id: str
    label: str
    extra: Any = None
    """What the `extra` column's widget returned, if the page asked for one."""


def team_period_header(
    status: Status,
    freshness: Freshness,
    *,
    grain: str | None = None,
    extra: Callable[[str], Any] | None = None,
) -> TeamView | None:
    """The period, grain and team filters in a row, and the complete window they select.

    `grain` fixes the grain (no grain filter); `extra(team)` draws one more widget in a last
    column and its result is `TeamView.extra`. Returns None (after an explanation) when no
    complete period exists yet.
    """
    teams = team_names()
    columns = iter(st.columns(2 + (grain is None) + (extra is not None)))
    with next(columns):
        period = period_filter(monthly=True)
    if grain is None:
        with next(columns):
            chosen = grain_filter()
    else:
        chosen = grain
    with next(columns):
        team = team_filter(teams)
    extra_value = None
    if extra is not None:
        with next(columns):
            extra_value = extra(team)
    win = complete_window(freshness, chosen, period)
    if win is None:
        empty_state(
            status,
            f"No complete {grain or 'period'} of metrics yet: the first one is still running.",
        )
        return None
    scope, scope_id = scope_of(team, ALL_SERVICES)
    label = teams.get(team, team) if team != ORG else "Whole organisation"
    return TeamView(teams, team, chosen, win, scope, scope_id, label, extra_value)


def dora_start(title: str) -> tuple[Status, Freshness, pd.DataFrame, list[str]] | None:
    """Title and freshness banner of a DORA page, with the catalog and its DORA metrics.

    Returns None (after an explanation) when the metrics or catalog are not published or the
    catalog defines none of the DORA metrics.
    """
    st.title(title)
    status = data.status()
    if not status.has(data.METRIC_VALUES, data.CATALOG):
        empty_state(status)
        return None
    freshness = data.freshness()
    freshness_banner(freshness)
    catalog = data.catalog()
    metrics = [m for m in data.DORA_METRICS if m in catalog.index]
    if not metrics:
        empty_state(status, "The catalog defines none of the DORA metrics yet.")
        return None
    return status, freshness, catalog, metrics


def page_start(title: str, intro: str, *tables: str) -> tuple[Status, Freshness] | None:
    """Title, one sentence on what the page answers, and the freshness banner.

    Returns None (after an explanation) when nothing is published or one of `tables` is missing,
    so the page stops without an exception.
    """
    st.title(title)
    st.caption(intro)
    status = data.status()
    if not status.published or not status.has(*tables):
        missing = ", ".join(t for t in tables if t not in status.tables)
        empty_state(
            status,
            None
            if not status.published or not missing
            else f"{status.path} does not hold {missing} yet: the pipeline has not built it.",
        )
        return None
    freshness = data.freshness()
    freshness_banner(freshness)
    return status, freshness


def empty_state(status: Status, detail: str | None = None) -> None:
    """Explain why there is nothing to show and how to get data, instead of an empty page."""
    st.info(EMPTY_MESSAGE, icon=":material/database:")
    if detail:
        st.caption(detail)
    elif status.published:
        st.caption(f"{status.path} holds no metrics yet; the pipeline has not reached them.")
    else:
        st.caption(f"Looked for the published warehouse at `{status.path}`.")


def unavailable(error: WarehouseUnavailable) -> None:
    """The file exists but could not be opened (e.g. mid-publish): say so and how to recover."""
    st.warning(str(error), icon=":material/sync_problem:")


def _ago(moment: datetime, now: datetime) -> str:
    seconds = max((now - moment).total_seconds(), 0)
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"


def freshness_banner(freshness: Freshness, now: datetime | None = None) -> None:
    """When the data was last refreshed; a warning when it is stale or the last run failed."""
    now = now or utc_now()
    if freshness.last_refreshed is None:
        text = "No successful pipeline run recorded yet."
    else:
        text = (
            f"Data last refreshed {_ago(freshness.last_refreshed, now)} "
            f"({freshness.last_refreshed:%Y-%m-%d %H:%M} UTC)."
        )
    if freshness.failed_run is not None:
        run = freshness.failed_run
        when = "" if run.started_at is None else f" (started {run.started_at:%Y-%m-%d %H:%M} UTC)"
        reason = f": {md(run.error)}" if run.error else ""
        st.warning(
            f"{text} The last pipeline run{when} failed{reason}. The published copy shown here "
            "is older: it comes from the last successful run. See the Data quality page.",
            icon=":material/error:",
        )
    elif freshness.last_run_failed:
        st.warning(
            f"{text} The last pipeline run ended with status "
            f"{md_code(freshness.last_status)}: figures may be out of date.",
            icon=":material/error:",
        )
    elif freshness.stale:
        st.warning(
            f"{text} That is more than 2 days old: check the pipeline schedule.",
            icon=":material/schedule:",
        )
    else:
        st.caption(f":material/update: {text}")


def explain_empty(rows: pd.DataFrame, mart: str, nothing: str) -> bool:
    """True (after saying why) when `rows` is empty: `nothing` if `mart` is published, else that
    the pipeline has not built it yet."""
    if not rows.empty:
        return False
    st.info(
        nothing
        if data.status().has(mart)
        else f"{mart} is not published yet: the pipeline has not built it.",
        icon=":material/info:",
    )
    return True
