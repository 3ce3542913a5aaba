"""Row-level facts behind the figures: classified deployments, changes, incident links, and the
pipeline's own records (quarantine, source runs, runs). Read-only, cached like `dashboards.data`.

Why a module of its own: the metric readers in `data.py` return one stored value per period,
whereas these return the events a user drills into to see *why* a deployment counted, failed or
was left out. Every reason shown is a column the marts wrote (`not_counted_reason`,
`failure_reason`, `link_reason`); the only text built here joins stored columns into a sentence
and never re-applies a rule. Each reader filters by the same window, team and service as the
charts above it, in SQL with bound parameters, and returns an empty frame with the right columns
when its table is not published.

The drill-downs of a window can hold a year of events (96,548 deployments in 12 weeks at 2,000
engineers); fetching and sorting all of them cost 440 ms and a browser grid shows a few dozen at a
time. So a page asks for the newest `limit` rows and the window's count (`count_*`, a 4 ms scan)
and says how many it leaves out; every row is fetched only when the CSV is downloaded.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboards.data import query, status
from dashboards.filters import ALL_SERVICES, ORG

DEPLOYMENTS = "marts.deployments"
CHANGES = "marts.changes"
INCIDENT_LINKS = "marts.incident_links"
QUARANTINE = "core.quarantine"
SOURCE_RUNS = "meta.source_runs"
RUNS = "meta.runs"

DRILL_DOWN_ROWS = 1_000
"""Rows a drill-down table fetches and shows, newest first; the CSV holds every row."""

# Changes pick their newest rows by rowid first, then build the text columns (`why`, ...) for
# those rows only: DuckDB otherwise builds them for every change of the window before the top-N
# (10,000 engineers: 130 -> 89 ms p50, the same rows). Deployments gain nothing from it (their
# text is a coalesce of stored columns) and their full CSV would lose 50 %, so they do not.

# The three drill-downs take the same parameters, in this order: start (twice), end, team
# (twice), service (twice), then the row limit; NULL start, team, service or limit means "no
# limit". Each listing's count reads the same filter (the same WHERE text) without the limit.


def _params(start: date | None, end: date, team: str, service: str) -> list[object]:
    team_id = None if team == ORG else team
    service_id = None if service == ALL_SERVICES else service
    return [start, start, end, team_id, team_id, service_id, service_id]


def _listing(
    mart: str,
    columns: tuple[str, ...],
    sql: str,
    window: tuple[date | None, date, str, str],
    limit: int | None,
    cache: bool,
) -> pd.DataFrame:
    """A drill-down's rows in `window` (start, end, team, service): empty with its columns when
    the mart is not published."""
    if not status().has(mart):
        return pd.DataFrame(columns=list(columns))
    return query(sql, [*_params(*window), limit], cache=cache)


def _count(mart: str, sql: str, window: tuple[date | None, date, str, str]) -> int:
    """How many rows a drill-down has in `window` in all (0 when the mart is not published)."""
    if not status().has(mart):
        return 0
    return int(query(sql, _params(*window))["total"].iloc[0])


DEPLOYMENT_COLUMNS = (
    "deployment_id", "service_id", "team_id", "environment", "status", "kind", "finished_at",
    "classification", "why", "is_counted", "not_counted_reason", "is_failure", "failure_reason",
    "rolled_back_by_deployment_id", "is_rework", "sha",
)  # fmt: skip


def _window_where(time_column: str) -> str:
    """The drill-downs' filter: [start, end) on `time_column`, then team and service if chosen
    (the parameters `_params` binds; the column name is one of this module's constants)."""
    return f"""
WHERE (?::DATE IS NULL OR {time_column} >= ?::DATE)
  AND {time_column} < ?::DATE
  AND (?::VARCHAR IS NULL OR team_id = ?)
  AND (?::VARCHAR IS NULL OR service_id = ?)
"""


_DEPLOYMENTS_WHERE = _window_where("finished_at")

_DEPLOYMENTS_SQL = (
    """
SELECT
    deployment_id, service_id, team_id, environment, status, kind, finished_at,
    CASE WHEN NOT is_counted THEN 'not counted'
         WHEN is_failure THEN 'counted, failed'
         ELSE 'counted' END AS classification,
    coalesce(not_counted_reason, failure_reason,
             'production and successful: counted, no failure rule fired') AS why,
    is_counted, not_counted_reason, is_failure, failure_reason,
    rolled_back_by_deployment_id, is_rework, sha
FROM marts.deployments
"""
    + _DEPLOYMENTS_WHERE
    + """
ORDER BY finished_at DESC, deployment_id
LIMIT ?
"""
)
_DEPLOYMENT_COUNT_SQL = "SELECT count(*) AS total FROM marts.deployments" + _DEPLOYMENTS_WHERE


def deployments(
    start: date | None,
    end: date,
    team: str,
    service: str,
    *,
    limit: int | None = None,
    cache: bool = True,
) -> pd.DataFrame:
    """Deployments that finished in [start, end), newest first, with why they were classified:
    the newest `limit` of them, or every one when `limit` is None (`cache=False` for that: a
    whole listing is read once for a CSV and is not worth keeping in memory)."""
    return _listing(
        DEPLOYMENTS, DEPLOYMENT_COLUMNS, _DEPLOYMENTS_SQL, (start, end, team, service), limit, cache
    )


def count_deployments(start: date | None, end: date, team: str, service: str) -> int:
    """How many deployments `deployments` lists in all (0 when the mart is not published)."""
    return _count(DEPLOYMENTS, _DEPLOYMENT_COUNT_SQL, (start, end, team, service))


CHANGE_COLUMNS = (
    "change_id", "change_type", "service_id", "team_id", "deployment_id", "first_authored_at",
    "merged_at", "deployed_at", "lead_time_hours", "why", "lead_time_note",
)  # fmt: skip

_CHANGES_WHERE = _window_where("deployed_at")

_CHANGES_SQL = (
    """
SELECT
    change_id, change_type, service_id, team_id, deployment_id, first_authored_at, merged_at,
    deployed_at, lead_time_hours,
    CASE change_type
        WHEN 'pull_request' THEN 'pull request #' || pr_number || ' merged as '
            || left(sha, 8) || ', first shipped by ' || deployment_id
        ELSE 'commit ' || left(sha, 8) || ' in no shipped pull request (trunk-based), '
            || 'first shipped by ' || deployment_id
    END AS why,
    CASE
        WHEN lead_time_hours IS NOT NULL THEN 'deployed_at minus the earliest authored commit'
        WHEN first_authored_at IS NULL THEN 'undefined: no authored commit of it is known'
        ELSE 'undefined: authored after it was deployed (negative span)'
    END AS lead_time_note
FROM marts.changes
WHERE rowid IN (
    SELECT rowid FROM marts.changes"""
    + _CHANGES_WHERE
    + """    ORDER BY deployed_at DESC, change_id
    LIMIT ?
)
ORDER BY deployed_at DESC, change_id
"""
)
_CHANGE_COUNT_SQL = "SELECT count(*) AS total FROM marts.changes" + _CHANGES_WHERE


def changes(
    start: date | None,
    end: date,
    team: str,
    service: str,
    *,
    limit: int | None = None,
    cache: bool = True,
) -> pd.DataFrame:
    """Changes whose deployment finished in [start, end), newest first, with lead time and how
    it was found: the newest `limit`, or every one when `limit` is None."""
    return _listing(
        CHANGES, CHANGE_COLUMNS, _CHANGES_SQL, (start, end, team, service), limit, cache
    )


def count_changes(start: date | None, end: date, team: str, service: str) -> int:
    """How many changes `changes` lists in all (0 when the mart is not published)."""
    return _count(CHANGES, _CHANGE_COUNT_SQL, (start, end, team, service))


INCIDENT_COLUMNS = (
    "incident_id", "service_id", "team_id", "severity", "opened_at", "resolved_at",
    "deployment_id", "link_method", "link_reason", "caused_by_deployment_id", "is_counted",
    "hours_after_deployment",
)  # fmt: skip

_INCIDENTS_WHERE = _window_where("opened_at")

_INCIDENTS_SQL = (
    """
SELECT
    incident_id, service_id, team_id, severity, opened_at, resolved_at, deployment_id,
    link_method, link_reason, caused_by_deployment_id, is_counted, hours_after_deployment
FROM marts.incident_links
"""
    + _INCIDENTS_WHERE
    + """
ORDER BY opened_at DESC, incident_id
LIMIT ?
"""
)
_INCIDENT_COUNT_SQL = "SELECT count(*) AS total FROM marts.incident_links" + _INCIDENTS_WHERE


def incidents(
    start: date | None,
    end: date,
    team: str,
    service: str,
    *,
    limit: int | None = None,
    cache: bool = True,
) -> pd.DataFrame:
    """Incidents opened in [start, end), newest first, with the deployment they count against
    and why: the newest `limit`, or every one when `limit` is None."""
    return _listing(
        INCIDENT_LINKS, INCIDENT_COLUMNS, _INCIDENTS_SQL, (start, end, team, service), limit, cache
    )


def count_incidents(start: date | None, end: date, team: str, service: str) -> int:
    """How many incidents `incidents` lists in all (0 when the mart is not published)."""
    return _count(INCIDENT_LINKS, _INCIDENT_COUNT_SQL, (start, end, team, service))


# --- data quality ------------------------------------------------------------------------------

QUARANTINE_SUMMARY_COLUMNS = (
    "entity", "reason", "source", "records", "first_loaded_at", "last_loaded_at", "example_origin",
)  # fmt: skip

_QUARANTINE_SUMMARY_SQL = """
SELECT entity, reason, source, count(*) AS records,
       min(loaded_at) AS first_loaded_at, max(loaded_at) AS last_loaded_at,
       arg_max(origin, loaded_at) AS example_origin
FROM core.quarantine
WHERE status = 'open'
GROUP BY entity, reason, source
ORDER BY records DESC, entity, reason
"""


def quarantine_summary() -> pd.DataFrame:
    """Open quarantine entries counted by entity, reason and source, with one origin to look at
    (resolved entries, whose key later loaded valid, are listed with `quarantine` only)."""
    if not status().has(QUARANTINE):
        return pd.DataFrame(columns=list(QUARANTINE_SUMMARY_COLUMNS))
    return query(_QUARANTINE_SUMMARY_SQL)


QUARANTINE_COLUMNS = (
    "entity", "status", "reason", "origin", "source", "record_key", "raw_record", "batch_id",
    "loaded_at", "resolved_at",
)  # fmt: skip

_QUARANTINE_SQL = """
SELECT entity, status, reason, origin, source, record_key, raw_record::VARCHAR AS raw_record,
       batch_id, loaded_at, resolved_at
FROM core.quarantine
WHERE ?::VARCHAR IS NULL OR entity = ?
ORDER BY status = 'resolved', loaded_at DESC, entity, origin
"""


def quarantine(entity: str | None = None) -> pd.DataFrame:
    """Every quarantine entry (optionally of one entity), open ones first, with where it came
    from and, once a later valid version of its key loaded, when it was resolved."""
    if not status().has(QUARANTINE):
        return pd.DataFrame(columns=list(QUARANTINE_COLUMNS))
    return query(_QUARANTINE_SQL, [entity, entity])


FINDINGS = "meta.inbox_findings"
FINDING_COLUMNS = ("kind", "entity", "file", "detail", "records", "found_at")

_FINDINGS_SQL = """
SELECT kind, entity, file, detail, records, found_at
FROM meta.inbox_findings
WHERE regexp_replace(batch_id, '-[0-9]+$', '') = (
    SELECT run_id FROM meta.runs WHERE status = 'success' ORDER BY started_at DESC LIMIT 1
)
ORDER BY kind, file
LIMIT 1000
"""


def inbox_findings() -> pd.DataFrame:
    """What the published run's loads reported without failing (unknown entities, extensions and
    fields, links leaving the inbox, keys sent twice in a batch); a batch id is its run id and
    the folder's number."""
    if not status().has(FINDINGS):
        return pd.DataFrame(columns=list(FINDING_COLUMNS))
    return query(_FINDINGS_SQL)


SOURCE_COLUMNS = (
    "source", "type", "started_at", "status", "records", "new_records", "requests",
    "not_modified", "error", "run_id",
)  # fmt: skip

_SOURCES_LATEST_SQL = """
SELECT source, type, started_at, status, records, new_records, requests, not_modified, error,
       run_id
FROM meta.source_runs
QUALIFY row_number() OVER (PARTITION BY source ORDER BY started_at DESC) = 1
ORDER BY source
"""

_SOURCES_HISTORY_SQL = """
SELECT source, type, started_at, status, records, new_records, requests, not_modified, error,
       run_id
FROM meta.source_runs
ORDER BY started_at DESC, source
LIMIT ?
"""


def source_latest() -> pd.DataFrame | None:
    """Each configured source's latest sync; None when meta.source_runs is not published."""
    if not status().has(SOURCE_RUNS):
        return None
    return query(_SOURCES_LATEST_SQL)


def source_history(limit: int = 500) -> pd.DataFrame:
    """The latest `limit` syncs of every source, newest first."""
    if not status().has(SOURCE_RUNS):
        return pd.DataFrame(columns=list(SOURCE_COLUMNS))
    return query(_SOURCES_HISTORY_SQL, [limit])


RUN_COLUMNS = ("run_id", "started_at", "finished_at", "status", "quarantined")

_RUNS_SQL = """
SELECT run_id, started_at, finished_at, status, quarantined
FROM meta.runs
ORDER BY started_at DESC NULLS LAST
LIMIT ?
"""


def runs(limit: int = 50) -> pd.DataFrame:
    """The latest pipeline runs the published copy knows (those that reached publishing)."""
    if not status().has(RUNS):
        return pd.DataFrame(columns=list(RUN_COLUMNS))
    return query(_RUNS_SQL, [limit])
