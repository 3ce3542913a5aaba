"""UI pieces shared by the pages: URL-bound filters, empty states and the freshness banner.

A leading underscore keeps this module out of the page registry. Filters live in the URL
(`st.query_params`) with stable ids as values (team ids, not display names), so a link to a view
keeps working when a team is renamed; a value equal to the default is dropped from the URL to keep
shared links short.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import streamlit as st

from dashboards.data import Freshness, Status, WarehouseUnavailable, utc_now

EMPTY_MESSAGE = "No data published yet: run `paved demo` or `paved run --inbox DIR`."


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

    The URL seeds the widget once per session (an unknown value falls back to the default); after
    that the widget is the source of truth and the URL follows it.
    """
    choices = list(options)
    if default not in choices:
        default = choices[0]
    widget_key = f"filter_{param}"
    if st.session_state.get(widget_key) not in choices:
        from_url = st.query_params.get(param)
        st.session_state[widget_key] = from_url if from_url in choices else default
    value: str = st.selectbox(label, choices, key=widget_key, format_func=format_func, help=help)
    if value == default:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != value:
        st.query_params[param] = value
    return value


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
    if freshness.last_run_failed:
        st.warning(
            f"{text} The last pipeline run ended with status "
            f"`{freshness.last_status}`: figures may be out of date.",
            icon=":material/error:",
        )
    elif freshness.stale:
        st.warning(
            f"{text} That is more than 2 days old: check the pipeline schedule.",
            icon=":material/schedule:",
        )
    else:
        st.caption(f":material/update: {text}")
