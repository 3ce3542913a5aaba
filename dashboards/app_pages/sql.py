"""SQL: read-only queries on the published warehouse, with examples, a chart and saved queries.

A query never runs in the dashboard's process: `dashboards.sql_client` runs it through
`pipelines.query.run_query`, the same function as `paved sql`, in a child process without secrets
and limited by the operating system (memory, CPU, a deadline; read-only, no files, no settings, a
row cap). A refusal is shown as the sandbox's own sentence, so a user learns what is allowed
from the answer itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboards import charts, data, sql_client
from dashboards.app_pages._ui import empty_state, table, unavailable
from dashboards.formatting import md
from pipelines.config import ConfigError
from pipelines.sql_examples import EXAMPLE_BY_KEY, EXAMPLES

EDITOR = "sql_text"
ANSWER = "sql_answer"
RUNS = "sql_runs"
# (Comments, not docstrings: a bare string in a page script is drawn on the page.)
# A colour column with more distinct values than this would draw an unreadable legend.
MAX_COLOUR_VALUES = 20


@dataclass(frozen=True)
class Ran:
    """The last query run in this session and its answer (kept across reruns of the page)."""

    sql: str
    answer: sql_client.Answer
    number: int


def _load_example() -> None:
    key = st.session_state.get("sql_example")
    if key in EXAMPLE_BY_KEY:
        st.session_state[EDITOR] = EXAMPLE_BY_KEY[key].sql


def _load_saved(saved: dict[str, str]) -> None:
    name = st.session_state.get("sql_saved")
    if name in saved:
        st.session_state[EDITOR] = saved[name]


def _saved_queries() -> dict[str, str]:
    """Saved queries by name; an unreadable file is reported and treated as empty."""
    try:
        return {q.name: q.sql for q in sql_client.load_saved()}
    except sql_client.SavedQueriesUnreadable as error:
        st.warning(f"Saved queries are unavailable: {md(str(error))}", icon=":material/error:")
        return {}


def _library(saved: dict[str, str]) -> None:
    """Examples and saved queries: choosing one loads it into the editor."""
    st.selectbox(
        "Examples",
        [e.key for e in EXAMPLES],
        index=None,
        placeholder="Choose an example…",
        format_func=lambda k: EXAMPLE_BY_KEY[k].title,
        key="sql_example",
        on_change=_load_example,
        help="Loads the example into the editor; edit it, then run it.",
    )
    st.selectbox(
        "Saved queries",
        list(saved),
        index=None,
        placeholder="Choose a saved query…" if saved else "None saved yet",
        key="sql_saved",
        on_change=_load_saved,
        args=(saved,),
        help=f"Kept in {sql_client.saved_queries_path()}.",
    )
    chosen = st.session_state.get("sql_saved")
    if chosen in saved and st.button("Delete this saved query", key="sql_delete", type="tertiary"):
        sql_client.delete_query(chosen)
        st.session_state.pop("sql_saved", None)
        st.rerun()


def _save(sql: str) -> None:
    """Save the editor's query under a name (same name: replaced)."""
    name_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
    with name_col:
        name = st.text_input("Save as", key="sql_save_name", placeholder="a name for this query")
    with button_col:
        clicked = st.button("Save", key="sql_save", icon=":material/bookmark_add:")
    if clicked:
        try:
            saved = sql_client.save_query(name, sql)
        except (ValueError, OSError) as error:
            st.error(md(str(error)), icon=":material/error:")
        else:
            st.success(
                f"Saved “{md(saved.name)}” in {md(str(sql_client.saved_queries_path()))}.",
                icon=":material/bookmark_added:",
            )


def _numeric(frame: pd.DataFrame) -> list[str]:
    return [
        c
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]


def _colour_options(frame: pd.DataFrame, exclude: set[str]) -> list[str]:
    """Columns that make a readable colour split: few distinct, hashable values."""
    options = []
    for column in frame.columns:
        if column in exclude or pd.api.types.is_float_dtype(frame[column]):
            continue
        try:
            distinct = frame[column].nunique(dropna=True)
        except TypeError:  # lists, structs: not a category
            continue
        if 1 < distinct <= MAX_COLOUR_VALUES:
            options.append(column)
    return options


def _quick_chart(frame: pd.DataFrame, number: int) -> None:
    """Choose x, y, colour and a kind; the chart redraws without running the query again."""
    st.subheader("Quick chart")
    numeric = _numeric(frame)
    if frame.empty or len(frame.columns) < 2 or not numeric:
        st.info(
            "Charts need at least one row, two columns and a numeric column to plot.",
            icon=":material/bar_chart:",
        )
        return
    temporal = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    columns = list(frame.columns)
    default_x = (temporal or [c for c in columns if c not in numeric] or columns)[0]
    x_col, y_col, colour_col, kind_col = st.columns(4)
    with x_col:
        x = st.selectbox("x", columns, index=columns.index(default_x), key=f"chart_x_{number}")
    y_options = [c for c in numeric if c != x] or numeric
    with y_col:
        y = st.selectbox("y", y_options, key=f"chart_y_{number}")
    colours = _colour_options(frame, {x, y})
    with colour_col:
        colour = st.selectbox(
            "Colour",
            [None, *colours],
            format_func=lambda c: "none" if c is None else c,
            key=f"chart_colour_{number}",
        )
    with kind_col:
        kind = st.segmented_control(
            "Kind",
            list(charts.CHART_KINDS),
            default="line" if x in temporal else "bar",
            format_func=lambda k: charts.CHART_KINDS[k],
            key=f"chart_kind_{number}",
            required=True,
        )
    st.plotly_chart(
        charts.quick_figure(frame, x=x, y=y, colour=colour, kind=kind or "bar"),
        key="chart_sql",
        config={"displaylogo": False},
    )


def _result(ran: Ran) -> None:
    """The answer of the last run: the refusal sentence, or the rows, their count and time."""
    answer = ran.answer
    if not answer.ok:
        st.error(md(answer.refused), icon=":material/block:")  # may quote the query or data
        return
    rows = f"{answer.row_count:,} row{'s' if answer.row_count != 1 else ''}"
    st.markdown(
        f"**{rows}** in {answer.query_seconds:.2f} s "
        f"({answer.total_seconds:.2f} s with the sandbox's start)",
        help="The first time is the query in the sandbox; the second adds starting its process.",
    )
    if answer.truncated:
        st.warning(
            f"Only the first {answer.max_rows:,} rows are kept (the sandbox's cap): aggregate or "
            "add a LIMIT to see what you need.",
            icon=":material/content_cut:",
        )
    table(
        answer.frame,
        key="sql_result",
        file_name="query_result.csv",
        empty="The query returned no rows.",
        count=False,
    )
    _quick_chart(answer.frame, ran.number)


def main() -> None:
    """Render the editor, the library and the last result."""
    st.title("SQL")
    status = data.status()
    if not status.published:
        empty_state(status)
        return
    try:
        limits = sql_client.limits()
    except ConfigError as error:
        st.error(f"The [sql] limits cannot be read: {md(str(error))}", icon=":material/error:")
        return
    st.caption(
        "Read-only SQL (DuckDB dialect) on the published warehouse: core, marts, metrics and "
        f"meta tables. Each query runs in a separate process without secrets, for at most "
        f"{limits.timeout_s:g} s, {limits.memory_limit_gb:g} GB of memory and "
        f"{limits.max_rows:,} rows; writes, files and settings are refused."
    )
    saved = _saved_queries()
    editor_col, library_col = st.columns([3, 1])
    with library_col:
        _library(saved)
    with editor_col:
        sql = st.text_area(
            "Query",
            key=EDITOR,
            height=260,
            placeholder="SELECT * FROM marts.deployments LIMIT 10",
        )
        run_clicked = st.button("Run", key="sql_run", type="primary", icon=":material/play_arrow:")
        _save(sql or "")
    if run_clicked:
        number = int(st.session_state.get(RUNS, 0)) + 1
        st.session_state[RUNS] = number
        with st.spinner("Running in the sandbox…"):
            answer = sql_client.run(sql or "")
        st.session_state[ANSWER] = Ran(sql or "", answer, number)
    ran: Ran | None = st.session_state.get(ANSWER)
    if ran is not None:
        st.divider()
        _result(ran)


try:
    main()
except data.WarehouseUnavailable as error:
    unavailable(error)
