"""The pandas baseline: the five DORA metrics (weekly, org scope) as a user would write them in a
notebook, straight from the canonical Parquet batch.

Why it exists: "is paved faster than doing it by hand?" needs a hand-written answer that computes
the *same* numbers. So this follows contract §3 with ordinary pandas (read_parquet, merges,
groupby, merge_asof, apply) and a plain-Python commit-graph walk (a BFS per counted deployment over
a dict of parents), and `compare()` checks it against paved's `metrics.metric_values` so an
agreement failure is a finding, not a silent difference. It is deliberately not tuned beyond what
a careful analyst would do: no DuckDB, no vectorised graph tricks.
"""

from __future__ import annotations

import math
import re
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd

DORA = (
    "deployment_frequency",
    "change_lead_time",
    "change_fail_rate",
    "failed_deployment_recovery_time",
    "deployment_rework_rate",
)
PRODUCTION = r"^(prod|production)$"


def _week(ts: pd.Series) -> pd.Series:
    """ISO week (Monday) of a UTC timestamp, as a date."""
    naive = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    return (naive.dt.normalize() - pd.to_timedelta(naive.dt.weekday, unit="D")).dt.date


def _load(batch: Path) -> dict[str, pd.DataFrame]:
    frames = {}
    for name in ("services", "commits", "pull_requests", "deployments", "deployment_commits",
                 "incidents"):  # fmt: skip
        path = batch / f"{name}.parquet"
        frames[name] = pd.read_parquet(path) if path.exists() else pd.DataFrame()
    return frames


def counted_deployments(deps: pd.DataFrame) -> pd.DataFrame:
    """Successful production deployments, in each service's line order (finished_at, id)."""
    deps = deps.drop_duplicates("deployment_id", keep="last").copy()
    deps["kind"] = deps["kind"].fillna("regular")
    prod = deps["environment"].fillna("").str.match(re.compile(PRODUCTION, re.IGNORECASE))
    counted = deps[prod & (deps["status"] == "success")].copy()
    counted = counted.sort_values(["service_id", "finished_at", "deployment_id"])
    counted["seq"] = counted.groupby("service_id").cumcount() + 1
    return counted.reset_index(drop=True)


def _rolled_back_by(group: pd.DataFrame) -> pd.Series:
    """For each deployment: the rollback that follows it before the next regular one, if any."""
    out = [None] * len(group)
    next_kind, next_id = None, None  # the next non-hotfix deployment after this one
    kinds = group["kind"].tolist()
    ids = group["deployment_id"].tolist()
    for i in range(len(group) - 1, -1, -1):
        if next_kind == "rollback":
            out[i] = next_id
        if kinds[i] in ("rollback", "regular"):
            next_kind, next_id = kinds[i], ids[i]
    return pd.Series(out, index=group.index)


def failures(counted: pd.DataFrame, incidents: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(incident links to counted deployments, rollback pairs) per contract §3 (a), (b), (c)."""
    inc = incidents.drop_duplicates("incident_id", keep="last")
    named = inc[inc["caused_by_deployment_id"].notna()]
    explicit = named.merge(
        counted[["deployment_id"]], left_on="caused_by_deployment_id", right_on="deployment_id"
    )
    unnamed = inc[inc["caused_by_deployment_id"].isna()].sort_values("opened_at")
    line = counted.sort_values(["finished_at", "deployment_id"])[
        ["service_id", "finished_at", "deployment_id"]
    ]
    attributed = pd.merge_asof(
        unnamed,
        line,
        left_on="opened_at",
        right_on="finished_at",
        by="service_id",
        allow_exact_matches=False,
        direction="backward",
    ).dropna(subset=["deployment_id"])
    cols = ["incident_id", "deployment_id", "opened_at", "resolved_at"]
    links = pd.concat([explicit[cols], attributed[cols]], ignore_index=True)

    counted = counted.copy()
    counted["rolled_back_by"] = counted.groupby("service_id", group_keys=False).apply(
        _rolled_back_by
    )
    rolled = counted[counted["rolled_back_by"].notna()]
    rollbacks = rolled.merge(
        counted[["deployment_id", "finished_at"]].rename(
            columns={"deployment_id": "rolled_back_by", "finished_at": "rollback_finished_at"}
        ),
        on="rolled_back_by",
    )
    return links, rollbacks


def deployment_commit_sets(
    counted: pd.DataFrame, commits: pd.DataFrame, explicit: pd.DataFrame, services: pd.DataFrame
) -> pd.DataFrame:
    """(deployment, service, repo, sha) shipped: explicit lists, else the commit-graph walk.

    Per service, deployments in line order; a BFS from the deployed sha over parents stops at
    commits an earlier counted deployment of the service reached, so each commit belongs to the
    first deployment that reaches it.
    """
    commits = commits.drop_duplicates(["repo", "sha"], keep="last")
    parents: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for repo, sha, ps in zip(commits["repo"], commits["sha"], commits["parents"], strict=True):
        parents[repo][sha] = [] if ps is None or isinstance(ps, float | type(pd.NA)) else list(ps)
    repo_of = dict(zip(services["service_id"], services["repo"], strict=True))
    listed = explicit.groupby("deployment_id")["sha"].apply(set).to_dict() if len(explicit) else {}

    rows: list[tuple[str, str, str, str]] = []
    for service, group in counted.groupby("service_id", sort=False):
        repo = repo_of.get(service)
        if repo is None:
            continue
        graph = parents.get(repo, {})
        seen: set[str] = set()
        for dep_id, sha in zip(group["deployment_id"], group["sha"], strict=True):
            shipped: list[str] = []
            stack = [sha] if sha not in seen else []
            seen.update(stack)
            while stack:
                current = stack.pop()
                shipped.append(current)
                for parent in graph.get(current, ()):
                    if parent not in seen:
                        seen.add(parent)
                        stack.append(parent)
            if dep_id in listed:
                rows.extend((dep_id, service, repo, s) for s in sorted(listed[dep_id]))
            else:
                rows.extend((dep_id, service, repo, s) for s in shipped if s in graph)
    return pd.DataFrame(rows, columns=["deployment_id", "service_id", "repo", "sha"])


def changes(
    shipped: pd.DataFrame, counted: pd.DataFrame, commits: pd.DataFrame, prs: pd.DataFrame
) -> pd.DataFrame:
    """One row per (service, change) at its first counted deployment, with lead_time_hours."""
    first = shipped.merge(counted[["deployment_id", "seq", "finished_at"]], on="deployment_id")
    first = first.sort_values("seq").drop_duplicates(["service_id", "repo", "sha"])
    authored = commits.drop_duplicates(["repo", "sha"], keep="last")[["repo", "sha", "authored_at"]]

    prs = prs.drop_duplicates(["repo", "number"], keep="last")
    merged = prs[prs["merged_at"].notna()]
    shipped_prs = merged.merge(
        first[["service_id", "repo", "sha", "finished_at"]],
        left_on=["repo", "merge_sha"],
        right_on=["repo", "sha"],
    )
    shipped_prs["shas"] = shipped_prs.apply(
        lambda r: (
            list(r["commit_shas"])
            if r["commit_shas"] is not None and len(r["commit_shas"]) > 0
            else [r["merge_sha"]]
        ),
        axis=1,
    )
    pr_commits = shipped_prs[["service_id", "repo", "number", "shas"]].explode("shas")
    pr_commits = pr_commits.rename(columns={"shas": "sha"})
    first_authored = (
        pr_commits.merge(authored, on=["repo", "sha"])
        .groupby(["service_id", "repo", "number"], as_index=False)["authored_at"]
        .min()
    )
    pr_changes = shipped_prs.merge(first_authored, on=["service_id", "repo", "number"], how="left")

    in_pr = pd.concat(
        [
            pr_commits[["service_id", "repo", "sha"]],
            shipped_prs[["service_id", "repo", "merge_sha"]].rename(columns={"merge_sha": "sha"}),
        ]
    ).drop_duplicates()
    trunk = first.merge(in_pr, on=["service_id", "repo", "sha"], how="left", indicator=True)
    trunk = trunk[trunk["_merge"] == "left_only"].drop(columns="_merge")
    trunk = trunk.merge(authored, on=["repo", "sha"], how="left")

    out = pd.concat(
        [
            pr_changes[["service_id", "finished_at", "authored_at"]],
            trunk[["service_id", "finished_at", "authored_at"]],
        ],
        ignore_index=True,
    )
    hours = (out["finished_at"] - out["authored_at"]).dt.total_seconds() / 3600.0
    out["lead_time_hours"] = hours.where(out["finished_at"] >= out["authored_at"])
    return out


def compute(batch: Path) -> tuple[dict[str, dict[str, float | None]], dict[str, float]]:
    """metric -> {week (ISO date) -> value}, and seconds per phase."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    f = _load(batch)
    timings["load"] = time.perf_counter() - started

    started = time.perf_counter()
    counted = counted_deployments(f["deployments"])
    links, rollbacks = failures(counted, f["incidents"])
    failed_ids = set(links["deployment_id"]) | set(rollbacks["deployment_id"])
    counted["week"] = _week(counted["finished_at"])
    counted["failed"] = counted["deployment_id"].isin(failed_ids)
    counted["rework"] = counted["kind"].isin(["rollback", "hotfix"])
    timings["deployments"] = time.perf_counter() - started

    started = time.perf_counter()
    shipped = deployment_commit_sets(counted, f["commits"], f["deployment_commits"], f["services"])
    timings["commit_walk"] = time.perf_counter() - started

    started = time.perf_counter()
    ch = changes(shipped, counted, f["commits"], f["pull_requests"])
    ch["week"] = _week(ch["finished_at"])
    timings["changes"] = time.perf_counter() - started

    started = time.perf_counter()
    weekly = counted.groupby("week").agg(
        deployments=("deployment_id", "size"), failed=("failed", "sum"), rework=("rework", "sum")
    )
    recoveries = pd.concat(
        [
            pd.DataFrame(
                {
                    "at": links["resolved_at"],
                    "hours": (links["resolved_at"] - links["opened_at"]).dt.total_seconds() / 3600,
                }
            ).pipe(lambda r: r.assign(hours=r["hours"].where(r["hours"] >= 0))),
            pd.DataFrame(
                {
                    "at": rollbacks["rollback_finished_at"],
                    "hours": (
                        rollbacks["rollback_finished_at"] - rollbacks["finished_at"]
                    ).dt.total_seconds()
                    / 3600,
                }
            ),
        ],
        ignore_index=True,
    ).dropna(subset=["at"])
    recoveries["week"] = _week(recoveries["at"])
    values = {
        "deployment_frequency": weekly["deployments"].astype(float).to_dict(),
        "change_fail_rate": (weekly["failed"] / weekly["deployments"]).to_dict(),
        "deployment_rework_rate": (weekly["rework"] / weekly["deployments"]).to_dict(),
        "change_lead_time": ch.groupby("week")["lead_time_hours"].median().to_dict(),
        "failed_deployment_recovery_time": recoveries.groupby("week")["hours"].median().to_dict(),
    }
    timings["aggregate"] = time.perf_counter() - started
    clean = {
        m: {k.isoformat(): (None if pd.isna(v) else float(v)) for k, v in per_week.items()}
        for m, per_week in values.items()
    }
    return clean, timings


def paved_values(published: Path) -> dict[str, dict[str, float | None]]:
    """paved's org/week values of the five metrics from the published copy."""
    import duckdb

    con = duckdb.connect(str(published), read_only=True)
    try:
        rows = con.execute(
            "SELECT metric, period_start, value FROM metrics.metric_values "
            "WHERE grain = 'week' AND scope = 'org' AND list_contains(?, metric)",
            [list(DORA)],
        ).fetchall()
    finally:
        con.close()
    out: dict[str, dict[str, float | None]] = {m: {} for m in DORA}
    for metric, week, value in rows:
        out[metric][week.isoformat()] = None if value is None else float(value)
    return out


def compare(
    paved: dict[str, dict[str, float | None]],
    baseline: dict[str, dict[str, float | None]],
    rel_tol: float = 1e-6,
) -> dict[str, dict[str, object]]:
    """Per metric: weeks compared, weeks that agree, and up to three examples that do not.

    paved's calendar lists every week; a week absent from the baseline is 0 for counts and
    undefined (None) for ratios and medians, as the contract says.
    """
    report: dict[str, dict[str, object]] = {}
    for metric in DORA:
        weeks = sorted(set(paved.get(metric, {})) | set(baseline.get(metric, {})))
        empty = 0.0 if metric == "deployment_frequency" else None
        mismatches = []
        for week in weeks:
            a = paved.get(metric, {}).get(week, empty)
            b = baseline.get(metric, {}).get(week, empty)
            both = a is not None and b is not None
            same = (a is None and b is None) or (
                both and math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-9)
            )
            if not same:
                mismatches.append({"week": week, "paved": a, "pandas": b})
        report[metric] = {
            "weeks": len(weeks),
            "agree": len(weeks) - len(mismatches),
            "ok": not mismatches,
            "examples": mismatches[:3],
        }
    return report


__all__ = ["DORA", "compare", "compute", "paved_values"]
