"""Deployments: release trains before adoption, continuous delivery after it, and their failures.

Before a team adopts the golden paths its services deploy on fixed weekly "train" slots; after,
every merge triggers a deployment through the platform. Each counted production deployment is
bad with a probability that drops on adoption (the planted change-failure reduction); a bad one
is rolled back or causes an incident, sometimes fixed by a hotfix commit and deployment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.demo.activity import HOTFIX, ROOT, TRUNK_KINDS, Activity, Commits
from pipelines.demo.graph import Graph
from pipelines.demo.org import Org
from pipelines.demo.spec import DAY, HOUR, MINUTE
from pipelines.demo.util import (
    first_in_group,
    ids,
    keys,
    lognormal,
    next_working,
    shas,
    whole_seconds,
)

# probability that a counted production deployment is bad (before, after adoption)
BAD_DEPLOY = (0.17, 0.075)
ROLLBACK_SHARE = (0.3, 0.55)  # of bad deployments, the share rolled back rather than an incident
DEPLOY_FAILURE = (0.07, 0.025)  # deployment job fails outright
DEPLOY_CANCELLED = 0.02
# weekdays of the release trains, by trains per week (0..4); -1 = no train
TRAIN_DAYS = np.array(
    [[-1, -1, -1, -1], [2, -1, -1, -1], [1, 3, -1, -1], [0, 2, 3, -1], [0, 1, 2, 3]]
)

STAGING, PRODUCTION = 0, 1
REGULAR, ROLLBACK, HOTFIX_KIND = "regular", "rollback", "hotfix"


@dataclass
class Deploys:
    """Deployment rows, sorted by finish time, with their contract ids."""

    deployment_id: np.ndarray
    svc: np.ndarray
    line: np.ndarray  # STAGING or PRODUCTION
    environment: np.ndarray
    sha: np.ndarray  # commit index
    started: np.ndarray
    finished: np.ndarray
    status: np.ndarray
    kind: np.ndarray
    via_platform: np.ndarray


@dataclass
class BadDeploys:
    """Bad production deployments that surface as an incident (input for `incidents`)."""

    svc: np.ndarray
    deployment_id: np.ndarray
    opened: np.ndarray
    fixed: np.ndarray  # hotfix deployment finish, NaN if none
    adopted: np.ndarray


@dataclass
class Delivery:
    deploys: Deploys
    hotfixes: Commits
    bad: BadDeploys


def build_delivery(org: Org, act: Activity, rng: np.random.Generator) -> Delivery:
    """Every deployment of the window plus the hotfix commits they need."""
    c = act.commits
    w = org.window
    trunk = np.flatnonzero(np.isin(c.kind, TRUNK_KINDS))
    repo_order = trunk[np.lexsort((trunk, c.committed[trunk], c.repo[trunk]))]
    repo_keys = keys(c.repo[repo_order], c.committed[repo_order])
    own = trunk[(c.kind[trunk] != ROOT) & (c.svc[trunk] >= 0)]
    svc_order = own[np.lexsort((own, c.committed[own], c.svc[own]))]
    svc_keys = keys(c.svc[svc_order], c.committed[svc_order])

    svc, cutoff = _candidates(org, c, svc_order, rng)
    # a candidate ships only if the service has new commits since the previous one
    n_before = np.searchsorted(svc_keys, keys(svc, cutoff), side="right") - np.searchsorted(
        svc_keys, keys(svc, np.zeros(len(svc))), side="left"
    )
    prev = np.concatenate([[0], n_before[:-1]])
    prev[first_in_group(svc)] = 0
    keep = n_before > prev
    svc, cutoff = svc[keep], cutoff[keep]
    repo = org.svc_repo[svc]
    sha = repo_order[np.searchsorted(repo_keys, keys(repo, cutoff), side="right") - 1]
    team = org.svc_team[svc]
    adopted = cutoff >= org.team_adopt[team]
    tz = org.team_tz[team]
    step = adopted.astype(int)
    n = len(svc)

    rows: list[dict[str, np.ndarray]] = []
    stg_fin = cutoff + lognormal(rng, np.take([12.0, 4.0], step), 0.5, n) * MINUTE
    rows.append(_rows(svc, STAGING, sha, cutoff, stg_fin, "success", REGULAR, adopted))
    retry = rng.random(n) < 0.05
    rows.append(
        _rows(svc[retry], STAGING, sha[retry], cutoff[retry] - 40 * MINUTE,
              cutoff[retry] - 31 * MINUTE, "failure", REGULAR, adopted[retry])
    )  # fmt: skip

    wait = np.where(
        adopted,
        stg_fin + lognormal(rng, 10.0, 0.3, n) * MINUTE,
        next_working(rng, stg_fin + lognormal(rng, 1.5, 0.6, n) * HOUR, tz),
    )
    prod_start = wait
    prod_fin = prod_start + lognormal(rng, np.take([20.0, 5.0], step), 0.5, n) * MINUTE
    r = rng.random(n)
    failed = r < np.take(DEPLOY_FAILURE, step)
    cancelled = ~failed & (r < np.take(DEPLOY_FAILURE, step) + DEPLOY_CANCELLED)
    status = np.where(failed, "failure", np.where(cancelled, "cancelled", "success"))
    rows.append(_rows(svc, PRODUCTION, sha, prod_start, prod_fin, status, REGULAR, adopted))
    retried = failed & (rng.random(n) < 0.85)
    re_start = prod_fin + lognormal(rng, 45.0, 0.5, n) * MINUTE
    re_fin = re_start + lognormal(rng, np.take([20.0, 5.0], step), 0.5, n) * MINUTE
    rows.append(
        _rows(svc[retried], PRODUCTION, sha[retried], re_start[retried], re_fin[retried],
              "success", REGULAR, adopted[retried])
    )  # fmt: skip

    # counted regular production deployments, per service in time order
    ok = (status == "success") | retried
    fin = np.where(retried, re_fin, prod_fin)
    c_idx = np.flatnonzero(ok)
    c_idx = c_idx[np.lexsort((fin[c_idx], svc[c_idx]))]
    c_svc, c_fin, c_sha, c_adopted = svc[c_idx], fin[c_idx], sha[c_idx], adopted[c_idx]
    first = first_in_group(c_svc)
    nxt = np.concatenate([c_fin[1:], [np.inf]])
    nxt[np.flatnonzero(first)[1:] - 1] = np.inf
    gap = np.minimum(nxt, w.end) - c_fin
    c_step = c_adopted.astype(int)
    bad = rng.random(len(c_idx)) < np.take(BAD_DEPLOY, c_step)
    rollback = bad & ~first & (rng.random(len(c_idx)) < np.take(ROLLBACK_SHARE, c_step))
    prev_sha = np.concatenate([[-1], c_sha[:-1]])

    rb_fin = c_fin + np.minimum(lognormal(rng, 45.0, 0.5, len(c_idx)) * MINUTE, 0.6 * gap)
    rb_start = rb_fin - lognormal(rng, 4.0, 0.3, len(c_idx)) * MINUTE
    rows.append(
        _rows(c_svc[rollback], PRODUCTION, prev_sha[rollback], rb_start[rollback],
              rb_fin[rollback], "success", ROLLBACK, c_adopted[rollback])
    )  # fmt: skip

    incident = bad & ~rollback
    delay = np.clip(
        lognormal(rng, 1.5, 0.8, len(c_idx)) * HOUR, MINUTE, np.maximum(0.7 * gap, MINUTE)
    )
    opened = c_fin + delay
    hot = incident & (rng.random(len(c_idx)) < 0.35)
    hf_authored = opened + lognormal(rng, 1.2, 0.5, len(c_idx)) * HOUR
    hf_start = hf_authored + 60 + lognormal(rng, 15.0, 0.4, len(c_idx)) * MINUTE
    hf_fin = hf_start + lognormal(rng, 5.0, 0.4, len(c_idx)) * MINUTE
    hot &= hf_fin < w.end
    # the author of the service's latest change before the bad deployment writes the fix
    culprit_pos = np.searchsorted(svc_keys, keys(c_svc, cutoff[c_idx]), side="right") - 1
    culprit = svc_order[np.maximum(culprit_pos, 0)]
    h = np.flatnonzero(hot)
    hotfixes = Commits(
        sha=shas(rng, len(h)),
        repo=org.svc_repo[c_svc[h]],
        svc=c_svc[h],
        authored=whole_seconds(hf_authored[h]),
        committed=whole_seconds(hf_authored[h] + 60),
        author=c.author[culprit[h]],
        kind=np.full(len(h), HOTFIX),
        pr=np.full(len(h), -1),
        seq=np.zeros(len(h), dtype=np.int64),
    )
    hotfix_sha = np.full(len(c_idx), -1, dtype=np.int64)
    hotfix_sha[h] = len(c.sha) + np.arange(len(h))  # indices after the activity commits
    rows.append(
        _rows(c_svc[h], PRODUCTION, hotfix_sha[h], hf_start[h], hf_fin[h], "success",
              HOTFIX_KIND, c_adopted[h])
    )  # fmt: skip

    deploys, row_of = _assemble(org, rows, w.end)
    # map each counted deployment back to its final row (retried ones to the retry row)
    n_rows = [len(r["svc"]) for r in rows]
    base_prod, base_retry = sum(n_rows[:2]), sum(n_rows[:3])
    retry_pos = np.cumsum(retried) - 1
    src = np.where(retried[c_idx], base_retry + retry_pos[c_idx], base_prod + c_idx)
    dep_id = row_of[src]
    inc = incident & (opened < w.end) & (dep_id >= 0)
    bad_out = BadDeploys(
        svc=c_svc[inc],
        deployment_id=deploys.deployment_id[dep_id[inc]],
        opened=whole_seconds(opened[inc]),
        fixed=np.where(hot[inc], hf_fin[inc], np.nan),
        adopted=c_adopted[inc],
    )
    return Delivery(deploys=deploys, hotfixes=hotfixes, bad=bad_out)


def _candidates(
    org: Org, c: Commits, svc_order: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(service, cutoff) of every deployment opportunity, sorted by service then time."""
    w = org.window
    ws = w.week_starts
    n_svc = len(org.svc_id)
    team = org.svc_team
    days = TRAIN_DAYS[org.svc_trains]  # (services, slots)
    hour = 13 + 3 * rng.random(n_svc) - org.team_tz[team]
    t = (
        ws[None, :, None]
        + days[:, None, :] * DAY
        + hour[:, None, None] * HOUR
        + rng.random((n_svc, len(ws), TRAIN_DAYS.shape[1])) * 30 * MINUTE
    )
    valid = (
        (days[:, None, :] >= 0)
        & (t >= org.svc_created[:, None, None] + DAY)
        & (t < org.team_adopt[team][:, None, None])
        & (t < w.end)
    )
    train_svc = np.broadcast_to(np.arange(n_svc)[:, None, None], t.shape)[valid]
    train_t = t[valid]

    # continuous delivery: each trunk change of an adopted team's service starts a pipeline
    s = c.svc[svc_order]
    post = c.committed[svc_order] >= org.team_adopt[team[s]]
    cd_t = c.committed[svc_order][post] + lognormal(rng, 20.0, 0.4, int(post.sum())) * MINUTE
    svc = np.concatenate([train_svc, s[post]])
    cutoff = whole_seconds(np.concatenate([train_t, cd_t]))
    order = np.lexsort((cutoff, svc))
    svc, cutoff = svc[order], cutoff[order]
    keep = cutoff < w.end
    return svc[keep], cutoff[keep]


def _rows(
    svc: np.ndarray,
    line: int,
    sha: np.ndarray,
    started: np.ndarray,
    finished: np.ndarray,
    status: np.ndarray | str,
    kind: str,
    via_platform: np.ndarray,
) -> dict[str, np.ndarray]:
    n = len(svc)
    return {
        "svc": svc,
        "line": np.full(n, line),
        "sha": sha,
        "started": whole_seconds(started),
        "finished": whole_seconds(finished),
        "status": np.broadcast_to(np.asarray(status, dtype=object), (n,)),
        "kind": np.full(n, kind, dtype=object),
        "via_platform": via_platform.astype(bool),
    }


def _assemble(
    org: Org, rows: list[dict[str, np.ndarray]], end: float
) -> tuple[Deploys, np.ndarray]:
    """Concatenate, drop what finishes after the window, sort by finish time and number.

    Returns the deployments and, for every input row, its final position (-1 if dropped).
    """
    cols = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
    n = len(cols["svc"])
    kept = np.flatnonzero(cols["finished"] < end)
    order = kept[np.lexsort((kept, cols["line"][kept], cols["svc"][kept], cols["finished"][kept]))]
    row_of = np.full(n, -1, dtype=np.int64)
    row_of[order] = np.arange(len(order))
    pick = {k: v[order] for k, v in cols.items()}
    env = np.where(pick["line"] == PRODUCTION, org.svc_prod_env[pick["svc"]], "staging")
    deploys = Deploys(
        deployment_id=ids("dep-", len(order), 7),
        svc=pick["svc"],
        line=pick["line"],
        environment=env.astype(object),
        sha=pick["sha"],
        started=pick["started"],
        finished=pick["finished"],
        status=pick["status"],
        kind=pick["kind"],
        via_platform=pick["via_platform"],
    )
    return deploys, row_of


def explicit_commits(
    org: Org, deploys: Deploys, commits: Commits, graph: Graph
) -> tuple[np.ndarray, np.ndarray]:
    """(deployment_id, sha) rows for monorepo services, whose deploy tool lists what it shipped.

    A commit is listed once, on the first successful non-rollback deployment of its service and
    environment whose deployed trunk position reaches the commit's landing position. Everyone else
    is left to the commit-graph derivation, so both paths of the contract are exercised.
    """
    mono = org.svc_monorepo
    d = np.flatnonzero(
        mono[deploys.svc] & (deploys.status == "success") & (deploys.kind != ROLLBACK)
    )
    line = deploys.svc[d] * 2 + deploys.line[d]
    order = np.lexsort((deploys.finished[d], line))
    d, line = d[order], line[order]
    big = np.int64(graph.rank.max() + 2)
    reach = np.maximum.accumulate(line * big + graph.rank[deploys.sha[d]])
    line_keys = reach  # sorted: lines ascending, reach non-decreasing within a line

    ci = np.flatnonzero((commits.svc >= 0) & (graph.landed >= 0))
    ci = ci[mono[commits.svc[ci]]]
    out_dep, out_sha = [], []
    for env_line in (STAGING, PRODUCTION):
        c_line = commits.svc[ci] * 2 + env_line
        pos = np.searchsorted(line_keys, c_line * big + graph.landed[ci], side="left")
        ok = pos < len(d)
        ok[ok] = line[pos[ok]] == c_line[ok]
        out_dep.append(deploys.deployment_id[d[pos[ok]]])
        out_sha.append(commits.sha[ci[ok]])
    dep = np.concatenate(out_dep)
    sha = np.concatenate(out_sha)
    order = np.lexsort((sha, dep))
    return dep[order], sha[order]
