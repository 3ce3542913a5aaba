"""Engineering activity: work items become pull requests, feature commits, merges and trunk commits.

Volume comes from a Poisson draw per engineer and week (one matrix, no per-commit loop). Each
item is timed with log-normal steps (coding, waiting for review, waiting to merge) whose medians
drop once the author's team has adopted the golden paths; that is where the planted lead-time
reduction comes from (the rest is the deployment cadence, see `delivery`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.demo.org import Org
from pipelines.demo.spec import DAY, HOUR, WEEK
from pipelines.demo.util import lognormal, next_working, shas, whole_seconds, working_day_time

ROOT, FEATURE, MERGE, DIRECT, HOTFIX = 0, 1, 2, 3, 4
TRUNK_KINDS = (ROOT, MERGE, DIRECT, HOTFIX)

# medians in hours (before adoption, after adoption); sigma of the log-normal
CODING_H = (3.0, 2.0)
REVIEW_WAIT_H = (3.0, 2.0)
MERGE_WAIT_H = (3.0, 1.5)
STEP_SIGMA = 0.8
# days from start date to a new hire's first commit (before, after adoption)
FIRST_COMMIT_DAYS = (16.0, 4.0)
CLOSED_UNMERGED = 0.07
NO_COMMIT_LIST = 0.03  # pull requests whose provider did not list commits (merge commit alone)


@dataclass
class Commits:
    """Flat commit arrays. Feature commits of one pull request are contiguous, in order."""

    sha: np.ndarray
    repo: np.ndarray
    svc: np.ndarray
    authored: np.ndarray
    committed: np.ndarray
    author: np.ndarray
    kind: np.ndarray
    pr: np.ndarray  # pull-request index for feature and merge commits, else -1
    seq: np.ndarray  # position within the pull request's feature commits

    def take(self, mask: np.ndarray) -> Commits:
        return Commits(**{k: v[mask] for k, v in self.__dict__.items()})

    @staticmethod
    def concat(parts: list[Commits]) -> Commits:
        return Commits(
            **{k: np.concatenate([p.__dict__[k] for p in parts]) for k in Commits.__annotations__}
        )


@dataclass
class PullRequests:
    """Pull-request arrays; NaN times have not happened by the end of the window."""

    repo: np.ndarray
    svc: np.ndarray
    eng: np.ndarray  # engineer index, -1 for bots
    author: np.ndarray
    number: np.ndarray
    created: np.ndarray
    first_review: np.ndarray
    merged: np.ndarray
    closed: np.ndarray
    adopted: np.ndarray  # the team had adopted the golden paths when work started
    list_commits: np.ndarray  # False: commit_shas left empty


@dataclass
class Activity:
    commits: Commits
    prs: PullRequests


def commit_author(org: Org, eng: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """How a commit names its author: engineer id, login, e-mail (any case) or no-reply address."""
    r = rng.random(len(eng))
    noreply = org.eng_noreply[eng]
    noreply = np.where(pd.isna(noreply), org.eng_email[eng], noreply)
    return np.select(
        [r < 0.3, r < 0.65, r < 0.88, r < 0.94],
        [org.eng_id[eng], org.eng_login[eng], org.eng_email[eng], org.eng_email_caps[eng]],
        noreply,
    ).astype(object)


def pr_author(org: Org, eng: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pull requests name the login mostly, the engineer id otherwise."""
    return np.where(rng.random(len(eng)) < 0.75, org.eng_login[eng], org.eng_id[eng]).astype(object)


def build_activity(org: Org, rng: np.random.Generator) -> Activity:
    """All commits and pull requests of the window (hotfix commits come later, from delivery)."""
    w = org.window
    eng, t0, first_item = _human_items(org, rng)
    team = org.eng_team[eng]
    tz = org.team_tz[team]
    adopted = t0 >= org.team_adopt[team]
    svc = _pick_service(org, team, t0, rng)
    direct = (rng.random(len(eng)) < org.team_trunk_share[team]) & ~first_item

    # ---- direct trunk commits
    d_eng, d_t, d_svc = eng[direct], t0[direct], svc[direct]
    d_committed = d_t + rng.random(len(d_t)) * 600
    direct_commits = _commits(
        org, rng, d_svc, d_t, d_committed, commit_author(org, d_eng, rng), DIRECT
    )

    # ---- human pull requests
    p_eng, p_t0, p_svc, p_tz, p_adopt = (
        eng[~direct],
        t0[~direct],
        svc[~direct],
        tz[~direct],
        adopted[~direct],
    )
    n = len(p_eng)
    step = np.where(p_adopt, 1, 0)
    coding = lognormal(rng, np.take(CODING_H, step), STEP_SIGMA, n) * HOUR
    created = next_working(rng, p_t0 + np.maximum(coding, 120), p_tz)
    review = next_working(
        rng, created + lognormal(rng, np.take(REVIEW_WAIT_H, step), STEP_SIGMA, n) * HOUR, p_tz
    )
    merged = next_working(
        rng, review + lognormal(rng, np.take(MERGE_WAIT_H, step), STEP_SIGMA, n) * HOUR, p_tz
    )
    unmerged = (rng.random(n) < CLOSED_UNMERGED) & ~first_item[~direct]
    closed = np.where(
        unmerged, next_working(rng, created + lognormal(rng, 30.0, 1.0, n) * HOUR, p_tz), merged
    )
    merged = np.where(unmerged, np.nan, merged)
    review = np.where((rng.random(n) < 0.04) | (unmerged & (rng.random(n) < 0.4)), np.nan, review)
    human = PullRequests(
        repo=org.svc_repo[p_svc],
        svc=p_svc,
        eng=p_eng,
        author=pr_author(org, p_eng, rng),
        number=np.zeros(n, dtype=np.int64),
        created=created,
        first_review=review,
        merged=merged,
        closed=closed,
        adopted=p_adopt,
        list_commits=rng.random(n) >= NO_COMMIT_LIST,
    )
    n_commits = np.minimum(1 + rng.poisson(1.3, n), 10)
    last_push = created + rng.random(n) * 0.8 * (closed - created)
    human_feature = _feature_commits(org, rng, human, p_t0, last_push, n_commits, p_eng)

    bots, bot_first, bot_last = _bot_prs(org, rng)
    bot_feature = _feature_commits(
        org, rng, bots, bot_first, bot_last, np.ones(len(bots.repo), dtype=np.int64), None
    )
    prs = _concat_prs(human, bots)
    bot_feature.pr += len(human.repo)
    feature = Commits.concat([human_feature, bot_feature])
    _truncate_at_end(prs, w.end)
    _number_prs(org, rng, prs)

    # ---- merge commits (one per merged pull request)
    m_idx = np.flatnonzero(np.isfinite(prs.merged))
    m_author = prs.author[m_idx].copy()
    is_human = prs.eng[m_idx] >= 0
    m_author[is_human] = commit_author(org, prs.eng[m_idx][is_human], rng)
    merges = _commits(
        org, rng, prs.svc[m_idx], prs.merged[m_idx], prs.merged[m_idx], m_author, MERGE
    )
    merges.pr = m_idx

    roots = Commits(
        sha=shas(rng, len(org.repo_name)),
        repo=np.arange(len(org.repo_name)),
        svc=_root_service(org),
        authored=whole_seconds(org.repo_created),
        committed=whole_seconds(org.repo_created),
        author=org.repo_root_author.copy(),
        kind=np.full(len(org.repo_name), ROOT),
        pr=np.full(len(org.repo_name), -1),
        seq=np.zeros(len(org.repo_name), dtype=np.int64),
    )
    commits = Commits.concat([roots, feature, merges, direct_commits])
    commits = commits.take(commits.authored < w.end)
    return Activity(commits=commits, prs=prs)


def _human_items(org: Org, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(engineer, start time, is a hire's first item) of every work item.

    Poisson per engineer and week, in working hours. A new hire's first item is planted at a
    log-normal delay after the start date; their regular flow begins the day after it.
    """
    w = org.window
    ws = w.week_starts
    hire = org.eng_hire
    adopted_at_start = org.eng_start >= org.team_adopt[org.eng_team]
    days = lognormal(
        rng, np.where(adopted_at_start, FIRST_COMMIT_DAYS[1], FIRST_COMMIT_DAYS[0]), 0.4, len(hire)
    )
    tz_e = org.team_tz[org.eng_team]
    first = next_working(rng, org.eng_start + days * DAY, tz_e)
    first_ok = hire & (first < np.minimum(org.eng_end, w.end))

    act_from = np.where(hire, first + DAY, np.maximum(org.eng_start, w.start))
    act_to = np.minimum(org.eng_end, w.end)
    lo = np.maximum(ws[None, :], act_from[:, None])
    hi = np.minimum(ws[None, :] + WEEK, act_to[:, None])
    frac = np.clip((hi - lo) / WEEK, 0, 1)
    weeks_in = (ws[None, :] - org.eng_start[:, None]) / WEEK
    ramp = np.where(hire[:, None], np.clip(0.35 + 0.12 * weeks_in, 0.35, 1.0), 1.0)
    adopted = ws[None, :] + 3.5 * DAY >= org.team_adopt[org.eng_team][:, None]
    away = rng.random(frac.shape) < 0.07  # holidays, sick days, conferences
    lam = org.eng_rate[:, None] * frac * ramp * np.where(adopted, 1.15, 1.0) * _season(ws)[None, :]
    counts = rng.poisson(np.where(away, 0.0, lam))
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    e, k = np.divmod(cell, len(ws))
    t = lo[e, k] + rng.random(len(cell)) * (hi[e, k] - lo[e, k])
    t = working_day_time(rng, t, tz_e[e])
    keep = (t >= act_from[e]) & (t < act_to[e])
    eng = np.concatenate([np.flatnonzero(first_ok), e[keep]])
    t = np.concatenate([first[first_ok], t[keep]])
    is_first = np.arange(len(eng)) < first_ok.sum()
    return eng, whole_seconds(t), is_first


def _season(week_starts: np.ndarray) -> np.ndarray:
    """Less work in the Christmas and New Year weeks."""
    mid = ((week_starts + 3 * DAY) // DAY).astype(np.int64).astype("datetime64[D]")
    day_of_year = (mid - mid.astype("datetime64[Y]")).astype(np.int64)
    return np.where((day_of_year >= 354) | (day_of_year <= 3), 0.3, 1.0)


def _pick_service(
    org: Org, team: np.ndarray, t: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A service of the team that exists at `t` (new services only after they are created)."""
    off, cnt = org.team_svc_off[team], org.team_svc_cnt[team]
    svc = off + np.floor(rng.random(len(team)) ** 1.3 * cnt).astype(np.int64)
    return np.where(org.svc_created[svc] <= t - HOUR, svc, off)


def _commits(
    org: Org,
    rng: np.random.Generator,
    svc: np.ndarray,
    authored: np.ndarray,
    committed: np.ndarray,
    author: np.ndarray,
    kind: int,
) -> Commits:
    n = len(svc)
    return Commits(
        sha=shas(rng, n),
        repo=org.svc_repo[svc],
        svc=svc,
        authored=whole_seconds(authored),
        committed=whole_seconds(committed),
        author=author,
        kind=np.full(n, kind),
        pr=np.full(n, -1),
        seq=np.zeros(n, dtype=np.int64),
    )


def _feature_commits(
    org: Org,
    rng: np.random.Generator,
    prs: PullRequests,
    first: np.ndarray,
    last: np.ndarray,
    count: np.ndarray,
    eng: np.ndarray | None,
) -> Commits:
    """`count` commits per pull request between `first` and `last`, the first one at `first`."""
    pr = np.repeat(np.arange(len(count)), count)
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    seq = np.arange(len(pr)) - starts[pr]
    u = np.where(seq == 0, 0.0, rng.random(len(pr)))
    u = u[np.lexsort((u, pr))]  # sorted within each pull request; the zero stays first
    authored = first[pr] + u * np.maximum(last[pr] - first[pr], 0)
    # a rebased branch (15%) re-commits every commit at the time of its last push
    rebased = (rng.random(len(count)) < 0.15)[pr]
    committed = np.where(rebased, np.maximum(last[pr], authored), authored)
    author = prs.author[pr] if eng is None else commit_author(org, eng[pr], rng)
    out = _commits(org, rng, prs.svc[pr], authored, committed, author, FEATURE)
    out.pr, out.seq = pr, seq
    return out


def _bot_prs(org: Org, rng: np.random.Generator) -> tuple[PullRequests, np.ndarray, np.ndarray]:
    """Dependency-update pull requests (dependabot, renovate): about one every three weeks each."""
    w = org.window
    ws = w.week_starts
    n_svc = len(org.svc_id)
    counts = rng.poisson(0.35, size=(n_svc, len(ws)))
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    svc, k = np.divmod(cell, len(ws))
    t = ws[k] + rng.integers(0, 5, len(cell)) * DAY + (3 + 3 * rng.random(len(cell))) * HOUR
    keep = (t > org.svc_created[svc] + DAY) & (t < w.end)
    svc, t = svc[keep], whole_seconds(t[keep])
    n = len(svc)
    tz = org.team_tz[org.svc_team[svc]]
    created = t + 30
    review = next_working(rng, created + lognormal(rng, 20.0, 1.0, n) * HOUR, tz)
    merged = review + lognormal(rng, 0.8, 0.8, n) * HOUR
    unmerged = rng.random(n) < 0.25
    closed = np.where(unmerged, created + lognormal(rng, 100.0, 0.8, n) * HOUR, merged)
    prs = PullRequests(
        repo=org.svc_repo[svc],
        svc=svc,
        eng=np.full(n, -1),
        author=org.svc_bot[svc].copy(),
        number=np.zeros(n, dtype=np.int64),
        created=created,
        first_review=np.where(unmerged, np.nan, review),
        merged=np.where(unmerged, np.nan, merged),
        closed=closed,
        adopted=t >= org.team_adopt[org.svc_team[svc]],
        list_commits=np.ones(n, dtype=bool),
    )
    return prs, t, t


def _concat_prs(a: PullRequests, b: PullRequests) -> PullRequests:
    return PullRequests(**{k: np.concatenate([a.__dict__[k], b.__dict__[k]]) for k in a.__dict__})


def _number_prs(org: Org, rng: np.random.Generator, prs: PullRequests) -> None:
    """Numbers per repository in order of creation; old repositories already had some."""
    order = np.lexsort((np.arange(len(prs.repo)), prs.created, prs.repo))
    repo_sorted = prs.repo[order]
    group_start = np.searchsorted(repo_sorted, repo_sorted, side="left")
    base = np.where(
        org.repo_created < org.window.start, rng.integers(40, 3000, len(org.repo_name)), 0
    )
    prs.number[order] = np.arange(len(order)) - group_start + 1 + base[repo_sorted]


def _root_service(org: Org) -> np.ndarray:
    """Each repository's first commit belongs to its (first) service; the monorepo's to none."""
    svc = np.full(len(org.repo_name), -1)
    svc[org.svc_repo[::-1]] = np.arange(len(org.svc_id))[::-1]
    svc[org.repo_monorepo] = -1
    return svc


def _truncate_at_end(prs: PullRequests, end: float) -> None:
    """What happens after the window has not happened: such times become NaN."""
    for name in ("first_review", "merged", "closed"):
        values = getattr(prs, name)
        values[values >= end] = np.nan
