"""CI runs: one per pushed commit on a pull-request branch, one per trunk commit, plus re-runs.

Adopted teams run the platform's standard pipeline (`golden_path` true), which queues and runs
faster and fails less.
"""

from __future__ import annotations

import numpy as np

from pipelines.demo.activity import FEATURE, ROOT, Commits, PullRequests
from pipelines.demo.org import Org
from pipelines.demo.spec import MINUTE
from pipelines.demo.util import lognormal, pick, whole_seconds

LEGACY_PIPELINES = ("build", "ci", "jenkins/build-and-test", "test", "circleci/build")
GOLDEN_PIPELINE = "golden-path"
STATUSES = ("success", "failure", "cancelled", "timed_out", "skipped")
STATUS_P = ((0.8, 0.12, 0.04, 0.015, 0.025), (0.87, 0.07, 0.03, 0.005, 0.025))
DURATION_MIN = (14.0, 7.0)
QUEUE_S = (90.0, 20.0)


def build_ci_runs(
    org: Org, commits: Commits, prs: PullRequests, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """CI run columns (contract names), sorted by start time."""
    w = org.window
    feature = commits.kind == FEATURE
    tip = np.ones(len(commits.sha), dtype=bool)
    tip[:-1] = ~(feature[1:] & (commits.pr[1:] == commits.pr[:-1]))
    runs_on = np.where(feature, tip | (rng.random(len(tip)) < 0.7), commits.kind != ROOT)
    c = np.flatnonzero(runs_on & (commits.svc >= 0))
    svc = commits.svc[c]
    legacy = pick(rng, LEGACY_PIPELINES, [0.2] * 5, len(org.svc_id))
    golden = commits.committed[c] >= org.team_adopt[org.svc_team[svc]]
    on_branch = feature[c]
    number = prs.number[np.maximum(commits.pr[c], 0)]
    branch = np.where(
        on_branch,
        np.char.add("feature/", number.astype("U12")).astype(object),
        org.repo_branch[commits.repo[c]],
    )

    # first attempts, then re-runs of failed ones: one loop step per attempt, not per run
    parts: list[dict[str, np.ndarray]] = []
    rows = np.arange(len(c))
    ready = commits.committed[c] + 5 + rng.random(len(c)) * 55
    for attempt in (1, 2, 3):
        n = len(rows)
        g = golden[rows].astype(int)
        started = ready + lognormal(rng, np.take(QUEUE_S, g), 0.8, n)
        status = np.where(
            g == 1, rng.choice(5, size=n, p=STATUS_P[1]), rng.choice(5, size=n, p=STATUS_P[0])
        )
        duration = np.where(
            status == 4, 0.0, lognormal(rng, np.take(DURATION_MIN, g), 0.5, n) * MINUTE
        )
        parts.append(
            {
                "rows": rows,
                "attempt": np.full(n, attempt),
                "queued": ready,
                "started": started,
                "finished": started + duration,
                "status": status,
            }
        )
        again = (status == 1) & (rng.random(n) < (0.4 if attempt == 1 else 0.2))
        rows, ready = (
            rows[again],
            (started + duration)[again] + lognormal(rng, 5.0, 0.8, int(again.sum())) * MINUTE,
        )
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    rows, attempt, queued, started, finished = (
        cols[k] for k in ("rows", "attempt", "queued", "started", "finished")
    )
    status_name = np.asarray(STATUSES, dtype=object)[cols["status"]]
    running = finished >= w.end
    status_name[running] = "in_progress"
    finished = np.where(running, np.nan, finished)
    keep = started < w.end
    rows, attempt, queued, started, finished, status_name = (
        a[keep] for a in (rows, attempt, queued, started, finished, status_name)
    )
    cc = c[rows]
    order = np.lexsort((attempt, cc, started))
    n = len(order)
    return {
        "run_id": (8_000_001 + np.arange(n)).astype("U12").astype(object),
        "repo": org.repo_name[commits.repo[cc]][order],
        "pipeline": np.where(golden[rows], GOLDEN_PIPELINE, legacy[svc[rows]]).astype(object)[
            order
        ],
        "started_at": whole_seconds(started[order]),
        "status": status_name[order],
        "finished_at": whole_seconds(finished[order]),
        "queued_at": whole_seconds(queued[order]),
        "sha": commits.sha[cc][order],
        "branch": branch[rows][order],
        "trigger": np.where(on_branch[rows], "pull_request", "push").astype(object)[order],
        "attempt": attempt[order],
        "golden_path": golden[rows][order],
    }
