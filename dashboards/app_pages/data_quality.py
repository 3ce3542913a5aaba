"""Data quality: what the pipeline rejected, how fresh each source is, and how the runs went.

Reads core.quarantine (every rejected record with its reason and origin), meta.source_runs (one
row per source sync), meta.runs (every run up to the last published one: success, failed or
abandoned) and `<home>/state/last_run.json`, the runner's record of the latest run. That file
matters because a failed run never publishes: the published copy cannot know it is out of date,
so this page says so from the state file.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from dashboards import charts, data, facts
from dashboards.app_pages._ui import empty_state, freshness_banner, table, unavailable
from dashboards.formatting import is_missing, md, md_code

TIME = st.column_config.DatetimeColumn
STATUS_ICONS = {"success": "🟢", "partial": "🟠", "failed": "🔴"}

SOURCES_HELP = (
    "No sources are configured, so nothing is fetched from GitHub, GitLab, PagerDuty, Opsgenie, "
    "Backstage or an HR file: data reaches the warehouse only through inbox folders of canonical "
    "files (`paved run --inbox DIR`, or `paved demo`). To fetch from a tool, add a "
    "`[sources.<name>]` table to `paved.toml` (see docs/sources.md)."
)


def _when(moment: datetime | None) -> str:
    return "an unknown time" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


def _last_run(freshness: data.Freshness) -> None:
    """The latest run according to state/last_run.json, and what a failure means for the figures."""
    st.subheader("Latest pipeline run")
    run = data.last_run()
    if run is None:
        st.caption(
            f"No run recorded in `{data.last_run_path()}` yet: `paved run` writes it at the end "
            "of every run, failed or not."
        )
        return
    ident = f" {md_code(run.run_id)}" if run.run_id else ""
    took = "" if run.seconds is None else f" in {run.seconds:,.1f} s"
    if run.status == "unreadable":
        st.warning(md(run.error) or "The run record could not be read.", icon=":material/error:")
    elif run.failed:
        published = freshness.last_refreshed
        st.error(
            f"The last run{ident} (started {_when(run.started_at)}) failed{took}: "
            f"{md(run.error) or 'no reason recorded'}.\n\n"
            "The published copy is older than this run: every figure in the dashboard comes from "
            f"the last successful run, which finished {_when(published)}. Fix the cause and "
            "re-run `paved run`.",
            icon=":material/error:",
        )
    else:
        st.success(
            f"The last run{ident} finished {_when(run.finished_at)} with status "
            f"{md_code(run.status)}{took}.",
            icon=":material/check_circle:",
        )


def _quarantine(status: data.Status) -> None:
    """Open quarantine entries by entity and reason, then every entry with its origin."""
    st.subheader("Quarantine")
    if not status.has(facts.QUARANTINE):
        st.info(
            "core.quarantine is not published: the pipeline has not built the core tables yet.",
            icon=":material/info:",
        )
        return
    summary = facts.quarantine_summary()
    if summary.empty:
        st.success(
            "No record is in quarantine: every record received so far passed validation, or "
            "was fixed and sent again.",
            icon=":material/check_circle:",
        )
        return
    total = int(summary["records"].sum())
    st.caption(
        f"{total:,} record(s) failed validation and were kept aside with the reason; the rest of "
        "their batch loaded. Fix them at the source (the origin says where) and send them again: "
        "an entry is resolved once a later valid version of its key loads."
    )
    st.plotly_chart(
        charts.quarantine_figure(summary), key="chart_quarantine", config={"displaylogo": False}
    )
    table(
        summary,
        key="quarantine_summary",
        file_name="quarantine_summary.csv",
        column_config={
            "entity": "Entity",
            "reason": st.column_config.TextColumn("Reason", width="large"),
            "source": "Source",
            "records": st.column_config.NumberColumn("Records", format="%d"),
            "first_loaded_at": TIME("First seen (UTC)", format="YYYY-MM-DD HH:mm"),
            "last_loaded_at": TIME("Last seen (UTC)", format="YYYY-MM-DD HH:mm"),
            "example_origin": "Example origin",
        },
    )
    entities = sorted(summary["entity"].unique())
    entity = st.selectbox(
        "Records of entity",
        [None, *entities],
        format_func=lambda e: "every entity" if e is None else e,
        key="quarantine_entity",
    )
    table(
        facts.quarantine(entity),
        key="quarantine_records",
        file_name=f"quarantine_{entity or 'all'}.csv",
        column_config={
            "entity": "Entity",
            "status": "Status",
            "reason": st.column_config.TextColumn("Reason", width="medium"),
            "origin": st.column_config.TextColumn("Origin (file:line or request)", width="medium"),
            "source": "Source",
            "record_key": "Key",
            "raw_record": st.column_config.TextColumn("Record as received", width="large"),
            "batch_id": "Batch",
            "loaded_at": TIME("Loaded (UTC)", format="YYYY-MM-DD HH:mm"),
            "resolved_at": TIME("Resolved (UTC)", format="YYYY-MM-DD HH:mm"),
        },
    )


FINDING_KINDS = {
    "unknown_entity": "Unknown entity (kept in raw, not used)",
    "unknown_field": "Unknown field (kept in raw, not used)",
    "unknown_extension": "Unknown file extension (not read)",
    "outside_link": "Link leaving the inbox (not read)",
    "not_a_file": "Not a regular file (not read)",
    "key_conflict": "Key sent twice in one batch (the later wins)",
}


def _findings(status: data.Status) -> None:
    """What the published run's inbox loads did not load or do not know, one row each."""
    if not status.has(facts.FINDINGS):
        return
    found = facts.inbox_findings()
    st.subheader("What the inbox held that paved did not use")
    if found.empty:
        st.success(
            "Every file of the last run's inbox was read, and every entity and field in it is "
            "in the contract.",
            icon=":material/check_circle:",
        )
        return
    st.caption(
        "Nothing here stopped the run. Rename, convert or move the files named here, or extend "
        "the contract, if any of it should count."
    )
    found = found.assign(kind=found["kind"].map(FINDING_KINDS).fillna(found["kind"]))
    table(
        found,
        key="inbox_findings",
        file_name="inbox_findings.csv",
        column_config={
            "kind": "What",
            "entity": "Entity",
            "file": st.column_config.TextColumn("File", width="medium"),
            "detail": st.column_config.TextColumn("Detail", width="large"),
            "records": st.column_config.NumberColumn("Records", format="%d"),
            "found_at": TIME("Found (UTC)", format="YYYY-MM-DD HH:mm"),
        },
    )


def _age(moment: Any, now: datetime) -> str:
    if is_missing(moment):
        return "never"
    hours = (now - pd.Timestamp(moment).to_pydatetime()).total_seconds() / 3600
    return f"{hours:.0f} h ago" if hours < 48 else f"{hours / 24:.0f} days ago"


def _sources() -> None:
    """Each source's latest sync (freshness), then the sync history."""
    st.subheader("Sources")
    latest = facts.source_latest()
    if latest is None or latest.empty:
        st.info(SOURCES_HELP, icon=":material/cable:")
        return
    now = data.utc_now()
    shown = latest.assign(
        state=[f"{STATUS_ICONS.get(str(s).lower(), '⚪')} {s}" for s in latest["status"]],
        age=[_age(t, now) for t in latest["started_at"]],
    )[
        [
            "source", "type", "state", "age", "started_at", "records", "new_records",
            "requests", "not_modified", "error",
        ]
    ]  # fmt: skip
    stale = [
        str(source)
        for source, started in zip(latest["source"], latest["started_at"], strict=True)
        if is_missing(started) or now - pd.Timestamp(started).to_pydatetime() > data.STALE_AFTER
    ]
    if stale:
        st.warning(
            f"Not synced for more than {data.STALE_AFTER.days} days: "
            + ", ".join(md_code(s) for s in stale)
            + ". Their figures stop at their last sync: check the pipeline schedule.",
            icon=":material/schedule:",
        )
    failing = latest[latest["status"].str.lower() != "success"]
    if not failing.empty:
        names = ", ".join(md_code(s) for s in failing["source"])
        st.warning(
            f"Not every source synced on its latest run: {names}. The error column says what "
            "failed and what to do; their data is as of their last successful sync.",
            icon=":material/sync_problem:",
        )
    counts = {
        "records": st.column_config.NumberColumn("Records", format="%d"),
        "new_records": st.column_config.NumberColumn("New", format="%d"),
        "requests": st.column_config.NumberColumn("Requests", format="%d"),
        "not_modified": st.column_config.NumberColumn("Not modified (304)", format="%d"),
    }
    table(
        shown,
        key="sources_latest",
        file_name="sources_latest.csv",
        column_config={
            "source": "Source",
            "type": "Type",
            "state": "Status",
            "age": "Last sync",
            "started_at": TIME("Started (UTC)", format="YYYY-MM-DD HH:mm"),
            **counts,
            "error": st.column_config.TextColumn("Error", width="large"),
        },
    )
    with st.expander("Sync history", key="sources_history_expander"):
        table(
            facts.source_history(),
            key="sources_history",
            file_name="source_runs.csv",
            column_config={
                "started_at": TIME("Started (UTC)", format="YYYY-MM-DD HH:mm"),
                **counts,
                "error": st.column_config.TextColumn("Error", width="large"),
            },
        )


def _runs(status: data.Status) -> None:
    """The runs the published copy knows: every run up to the one that published it."""
    st.subheader("Pipeline runs")
    if not status.has(facts.RUNS):
        st.info("meta.runs is not published: no run has reached publishing yet.")
        return
    runs = facts.runs()
    st.caption(
        "Runs recorded in the published copy. A run that did not succeed never publishes: it "
        "shows here from the next successful run on, as `failed` (it stopped on an error) or "
        "`abandoned` (its process stopped without recording how it ended; the next run marked "
        "it, and when it stopped is unknown). Until then, see the latest run above."
    )
    abandoned = int(runs["status"].astype(str).str.lower().eq("abandoned").sum())
    if abandoned:
        st.warning(
            f"{abandoned} of the {len(runs)} run(s) below never finished: their process was "
            "stopped (killed, out of memory, the machine restarted) before it could record how "
            "it ended. They published nothing; the figures come from the successful runs. If it "
            "keeps happening, look at what stops the process (memory: PAVED_MEMORY_LIMIT).",
            icon=":material/warning:",
        )
    if not runs.dropna(subset=["started_at"]).empty:
        st.plotly_chart(charts.runs_figure(runs), key="chart_runs", config={"displaylogo": False})
    table(
        runs,
        key="runs",
        file_name="runs.csv",
        column_config={
            "run_id": "Run",
            "started_at": TIME("Started (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "finished_at": TIME("Finished (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "status": "Status",
            "quarantined": st.column_config.NumberColumn("Quarantined", format="%d"),
        },
        empty="No run recorded yet.",
    )


def main() -> None:
    """Render the page; each section explains its own absence rather than failing."""
    st.title("Data quality")
    status = data.status()
    if not status.published:
        empty_state(status)
        # The state file exists even when nothing was ever published (a first run that failed).
        _last_run(data.Freshness(None, None, None, stale=True, last_run_failed=False))
        return
    freshness = data.freshness()
    if freshness.failed_run is None:  # a failed run is explained in full just below
        freshness_banner(freshness)
    _last_run(freshness)
    _quarantine(status)
    _findings(status)
    _sources()
    _runs(status)


try:
    main()
except data.WarehouseUnavailable as error:
    unavailable(error)
