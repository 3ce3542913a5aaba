"""The next day's batch for the incremental benchmark: one more working day of new records.

Why not generate the organisation again with `end` + 1 day: the generator draws the whole year
from its seed, so a different window is a different company, not the same one a day later. Instead
this takes the scale's own batch and clones its last working day (the Friday before `end`, a
full day of activity; `end` itself is a quiet Sunday) onto the Monday after `end`:

- every record whose event time falls on that Friday (commits by `authored_at`, pull requests
  created or merged, CI runs started, deployments finished, incidents opened, platform events) is
  copied with all its timestamps moved by 3 days and new identifiers (`-d1` suffixes, PR numbers
  + 10,000,000, new SHAs); references inside the day (parents, merge SHAs, PR commits, deployed
  SHAs, `caused_by_deployment_id`, explicit deployment commits) follow the new identifiers, and
  references to older records stay, so the new commits hang off the existing history and the
  commit-graph walk meets commits earlier deployments already shipped;
- the same Friday's original records are delivered again unchanged, as a connector's look-back
  window would re-fetch them; the raw layer must recognise and skip them.

Teams, engineers and services are not re-sent (nothing changed). The result is the daily
delta a scheduled run sees: about 1/260 of a year of activity, plus the re-deliveries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

SHIFT = dt.timedelta(days=3)  # Friday -> Monday
SUFFIX = "-d1"
PR_OFFSET = 10_000_000

# entity -> timestamp columns whose day decides membership (any of them on the source day)
DAY_COLUMNS: dict[str, tuple[str, ...]] = {
    "commits": ("authored_at",),
    "pull_requests": ("created_at", "merged_at"),
    "ci_runs": ("started_at",),
    "deployments": ("finished_at",),
    "incidents": ("opened_at",),
    "platform_events": ("occurred_at",),
}


def source_day(end: dt.date) -> dt.date:
    """The last Friday on or before `end`: the day that is cloned."""
    return end - dt.timedelta(days=(end.weekday() - 4) % 7)


def _new_sha(sha: str) -> str:
    return hashlib.sha1(f"{sha}{SUFFIX}".encode()).hexdigest()


def _on_day(frame: pd.DataFrame, columns: tuple[str, ...], day: dt.date) -> pd.Series:
    start = pd.Timestamp(day, tz="UTC")
    end = start + pd.Timedelta(days=1)
    hit = pd.Series(False, index=frame.index)
    for column in columns:
        hit |= (frame[column] >= start) & (frame[column] < end)
    return hit


def _shift_times(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column] + SHIFT
    return out


def _map_list(values: object, mapping: dict[str, str]) -> object:
    if values is None or (isinstance(values, float) and pd.isna(values)):
        return None
    return [mapping.get(v, v) for v in values]


def build_next_day(full: Path, out: Path, end: dt.date) -> dict[str, int]:
    """Write the next day's batch (new records plus re-deliveries) to `out`; row counts."""
    from pipelines.demo import write_batch

    day = source_day(end)
    originals: dict[str, pd.DataFrame] = {}
    for entity, columns in DAY_COLUMNS.items():
        path = full / f"{entity}.parquet"
        if not path.is_file():
            continue
        table = pq.read_table(path)
        frame = table.to_pandas()
        originals[entity] = frame[_on_day(frame, columns, day)].reset_index(drop=True)
    dc_path = full / "deployment_commits.parquet"
    explicit = pq.read_table(dc_path).to_pandas() if dc_path.is_file() else None

    commits = originals.get("commits", pd.DataFrame())
    sha_map = {s: _new_sha(s) for s in commits.get("sha", [])}
    deployments = originals.get("deployments", pd.DataFrame())
    dep_map = {d: f"{d}{SUFFIX}" for d in deployments.get("deployment_id", [])}

    new: dict[str, pd.DataFrame] = {}
    if len(commits):
        c = _shift_times(commits)
        c["sha"] = c["sha"].map(sha_map)
        c["parents"] = c["parents"].map(lambda p: _map_list(p, sha_map))
        new["commits"] = c
    if "pull_requests" in originals:
        p = _shift_times(originals["pull_requests"])
        p["number"] = p["number"] + PR_OFFSET
        p["merge_sha"] = p["merge_sha"].map(lambda s: sha_map.get(s, s))
        p["commit_shas"] = p["commit_shas"].map(lambda v: _map_list(v, sha_map))
        new["pull_requests"] = p
    if "ci_runs" in originals:
        r = _shift_times(originals["ci_runs"])
        r["run_id"] = r["run_id"] + SUFFIX
        r["sha"] = r["sha"].map(lambda s: sha_map.get(s, s))
        new["ci_runs"] = r
    if len(deployments):
        d = _shift_times(deployments)
        d["deployment_id"] = d["deployment_id"].map(dep_map)
        d["sha"] = d["sha"].map(lambda s: sha_map.get(s, s))
        new["deployments"] = d
        if explicit is not None:
            e = explicit[explicit["deployment_id"].isin(dep_map)].copy()
            e["deployment_id"] = e["deployment_id"].map(dep_map)
            e["sha"] = e["sha"].map(lambda s: sha_map.get(s, s))
            new["deployment_commits"] = e.reset_index(drop=True)
    if "incidents" in originals:
        i = _shift_times(originals["incidents"])
        i["incident_id"] = i["incident_id"] + SUFFIX
        i["caused_by_deployment_id"] = i["caused_by_deployment_id"].map(
            lambda v: dep_map.get(v, v) if isinstance(v, str) else v
        )
        new["incidents"] = i
    if "platform_events" in originals:
        ev = _shift_times(originals["platform_events"])
        ev["event_id"] = ev["event_id"] + SUFFIX
        new["platform_events"] = ev

    frames: dict[str, pd.DataFrame] = {}
    for entity in {*originals, *new}:
        parts = [f for f in (originals.get(entity), new.get(entity)) if f is not None and len(f)]
        if parts:
            frames[entity] = pd.concat(parts, ignore_index=True)
    if explicit is not None and "deployment_commits" in new:
        again = explicit[explicit["deployment_id"].isin(set(deployments["deployment_id"]))]
        frames["deployment_commits"] = pd.concat(
            [again, new["deployment_commits"]], ignore_index=True
        )
    return write_batch(frames, out, fmt="parquet")
