"""The organisation: teams, engineers (with aliases), services and repositories.

Also decides each team's golden-path adoption time, the hidden variable every later module reads:
activity speeds up, deployments move to the platform and failures drop once a team adopts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.demo.spec import DAY, HOUR, WEEK, DemoSpec, Window
from pipelines.demo.util import ids, pick

NEVER = np.inf

TEAM_WORDS = (
    "payments", "checkout", "search", "catalog", "identity", "notifications", "billing",
    "onboarding", "mobile", "growth", "pricing", "inventory", "shipping", "fulfilment",
    "recommendations", "ads", "analytics", "messaging", "accounts", "fraud", "ledger", "loyalty",
    "reviews", "media", "maps", "partners", "support", "compliance", "reporting", "subscriptions",
    "cart", "orders", "returns", "tax", "invoicing", "merchandising", "experiments", "content",
    "localisation", "seller-tools",
)  # fmt: skip
TEAM_QUALIFIERS = (
    "core", "api", "web", "apps", "data", "risk", "ops", "insights", "integrations", "experience",
    "edge", "backoffice", "partners", "quality", "automation", "infra", "tools", "labs",
)  # fmt: skip
SERVICE_SUFFIXES = (
    "api", "worker", "web", "gateway", "jobs", "events", "admin", "sync", "indexer", "scheduler",
)  # fmt: skip
PLATFORM_SERVICES = ("developer-portal", "deploy-service", "service-templates")
TEMPLATES = ("python-service", "go-service", "node-service", "java-service", "web-frontend")
FIRST_NAMES = (
    "alice", "bob", "carla", "deepak", "elena", "farid", "grace", "hiro", "ines", "jonas", "kofi",
    "lena", "mateo", "nadia", "omar", "priya", "quentin", "rosa", "sven", "tariq", "ursula",
    "victor", "wen", "xavier", "yara", "zoe", "amara", "bruno", "chen", "dana", "emil", "fatima",
    "goran", "hana", "ivan", "julia", "kai", "leila", "marco", "noor", "olga", "pablo", "rahul",
    "sara", "tomas", "uma", "vera", "yusuf",
)  # fmt: skip
LAST_NAMES = (
    "nguyen", "smith", "garcia", "kim", "mueller", "rossi", "silva", "khan", "tanaka", "okafor",
    "novak", "larsen", "dubois", "cohen", "ivanova", "patel", "jones", "costa", "haddad", "berg",
    "moreau", "santos", "yilmaz", "kowalski", "andersen", "fischer", "ali", "park", "lopez",
    "brown", "schmidt", "mendes", "sato", "oconnor", "weber", "popescu",
)  # fmt: skip
TIMEZONES = (0.0, 1.0, -5.0, -8.0, 5.5)  # hours from UTC: London, Berlin, New York, SF, Bangalore


@dataclass
class Org:
    """Arrays describing the organisation; index = position, ids are the contract ids."""

    window: Window
    # teams
    team_id: np.ndarray
    team_name: np.ndarray
    team_topology: np.ndarray
    team_parent: np.ndarray
    team_tz: np.ndarray
    team_adopt: np.ndarray  # epoch seconds of golden-path adoption, inf = never
    team_trunk_share: np.ndarray  # share of work pushed straight to trunk
    team_lead: np.ndarray  # engineer index of a long-standing member who never leaves
    team_svc_off: np.ndarray
    team_svc_cnt: np.ndarray
    # engineers
    eng_id: np.ndarray
    eng_team: np.ndarray
    eng_start: np.ndarray
    eng_end: np.ndarray  # inf = still employed
    eng_hire: np.ndarray  # started inside the window
    eng_rate: np.ndarray  # work items per week at full speed
    eng_login: np.ndarray
    eng_email: np.ndarray
    eng_email_caps: np.ndarray  # the e-mail as a mail client writes it (case differs)
    eng_noreply: np.ndarray  # GitHub no-reply address or None
    # services (sorted by team, then creation; existing ones first)
    svc_id: np.ndarray
    svc_team: np.ndarray
    svc_repo: np.ndarray
    svc_path: np.ndarray
    svc_tier: np.ndarray
    svc_lifecycle: np.ndarray
    svc_created: np.ndarray
    svc_template: np.ndarray
    svc_prod_env: np.ndarray
    svc_bot: np.ndarray
    svc_trains: np.ndarray  # release-train deployments per week before adoption
    # repositories
    repo_name: np.ndarray
    repo_created: np.ndarray
    repo_branch: np.ndarray
    repo_root_author: np.ndarray
    repo_monorepo: np.ndarray

    @property
    def svc_monorepo(self) -> np.ndarray:
        return self.repo_monorepo[self.svc_repo]


def team_names(n: int) -> list[str]:
    """Plausible, unique team names: the plain domains first, then qualified ones, then numbered."""
    names = list(TEAM_WORDS)
    names += [f"{w}-{q}" for q in TEAM_QUALIFIERS for w in TEAM_WORDS]
    while len(names) < n:
        names += [f"{w}-{len(names) // len(TEAM_WORDS)}" for w in TEAM_WORDS]
    return names[:n]


def build_org(spec: DemoSpec, window: Window, rng: np.random.Generator) -> Org:
    """Teams of about eight, one platform team, staggered golden-path adoption."""
    n = spec.engineers
    n_platform = int(np.clip(round(0.05 * n), 3, 40))
    n_enabling = int(np.clip(round(0.02 * n), 2, 12)) if n >= 40 else 0
    n_rest = n - n_platform - n_enabling
    n_stream = max(2, round(n_rest / 8))

    # ---- teams: stream-aligned first, then platform, then enabling
    names = team_names(n_stream)
    topology = ["stream_aligned"] * n_stream + ["platform"]
    team_names_all = [*names, "platform"]
    if n_enabling:
        topology.append("enabling")
        team_names_all.append("dev-enablement")
    n_teams = len(team_names_all)
    team_id = np.array(team_names_all, dtype=object)
    team_parent = np.full(n_teams, None, dtype=object)
    if n_enabling:
        team_parent[-1] = "platform"
    platform_idx = n_stream
    team_tz = pick(rng, TIMEZONES, (0.3, 0.3, 0.2, 0.1, 0.1), n_teams).astype(float)
    team_tz[platform_idx:] = 0.0

    # staggered adoption: the platform team dogfoods first, ~80% of stream teams follow
    adopt = np.full(n_teams, NEVER)
    order = rng.permutation(n_stream)
    n_adopters = max(1, min(n_stream - 1, round(0.8 * n_stream)))
    quantile = 0.12 + 0.72 * (np.arange(n_adopters) + rng.random(n_adopters)) / n_adopters
    adopt[order[:n_adopters]] = window.start + quantile * window.span
    adopt[platform_idx] = window.start + 0.04 * window.span
    if n_enabling:
        adopt[-1] = window.start + 0.08 * window.span
    adopt = _monday_morning(adopt)
    trunk_share = np.where(rng.random(n_teams) < 0.25, 0.35, 0.03)

    # ---- engineers: sizes ~8 (min 3) for stream teams
    weights = rng.gamma(6.0, size=n_stream)
    extra = rng.multinomial(n_rest - 3 * n_stream, weights / weights.sum())
    sizes = np.concatenate([3 + extra, [n_platform], [n_enabling] if n_enabling else []])
    eng_team = np.repeat(np.arange(n_teams), sizes.astype(int))
    team_first = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
    team_lead = team_first

    n_hires = int(min(round(spec.weeks * max(1.5, 0.0065 * n)), n // 2))
    candidates = np.setdiff1d(np.arange(n), team_lead)
    hires = np.sort(rng.choice(candidates, size=min(n_hires, len(candidates)), replace=False))
    eng_hire = np.zeros(n, dtype=bool)
    eng_hire[hires] = True
    start = window.start - (10 + 2200 * rng.random(n) ** 1.5) * DAY
    # hires: spread evenly over the window so every month has a cohort; most start on a Monday
    slots = (rng.permutation(len(hires)) + rng.random(len(hires))) / len(hires)
    hire_day = np.floor(slots * (window.span / DAY - 3))
    monday = rng.random(len(hires)) < 0.85
    hire_day = np.where(monday, np.floor(hire_day / 7) * 7, hire_day)
    start[hires] = window.start + hire_day * DAY
    start = np.floor(start / DAY) * DAY
    leaver = (~eng_hire) & (rng.random(n) < 0.08 * spec.weeks / 52)
    leaver[team_lead] = False
    end = np.where(leaver, window.start + np.floor(rng.random(n) * window.span / DAY) * DAY, NEVER)
    rate = rng.gamma(4.0, 2.6 / 4.0, n)

    first = pick(rng, FIRST_NAMES, np.full(len(FIRST_NAMES), 1 / len(FIRST_NAMES)), n)
    last = pick(rng, LAST_NAMES, np.full(len(LAST_NAMES), 1 / len(LAST_NAMES)), n)
    login, email, caps = _aliases(rng, first, last)
    noreply = np.full(n, None, dtype=object)
    has_noreply = rng.random(n) < 0.2
    gh_ids = rng.integers(100_000, 9_999_999, n).astype("U8").astype(object)
    noreply[has_noreply] = (gh_ids + "+" + login + "@users.noreply.github.com")[has_noreply]

    # ---- services
    svc = _services(rng, window, team_id, topology, adopt)
    n_svc = len(svc["team"])
    team_svc_cnt = np.bincount(svc["team"], minlength=n_teams)
    team_svc_off = np.concatenate([[0], np.cumsum(team_svc_cnt)[:-1]])

    monorepo_teams = _monorepo_teams(rng, n_stream)
    in_mono = np.isin(svc["team"], monorepo_teams) & ~svc["new"]
    own = ~in_mono
    repo_of = np.zeros(n_svc, dtype=np.int64)
    repo_of[own] = np.arange(own.sum())
    names_own = list("acme/" + svc["name"][own])
    created_own = svc["created"][own]
    created_repo = np.where(
        np.isfinite(created_own) & (created_own >= window.start),
        created_own,
        window.start - (1 + 71 * rng.random(own.sum())) * HOUR,
    )
    repo_name = names_own
    repo_created = list(created_repo)
    if in_mono.any():
        repo_of[in_mono] = len(repo_name)
        repo_name.append("acme/monorepo")
        repo_created.append(window.start - 30 * HOUR)
    n_repo = len(repo_name)
    repo_monorepo = np.zeros(n_repo, dtype=bool)
    repo_monorepo[repo_of[in_mono]] = True
    repo_new = np.zeros(n_repo, dtype=bool)
    repo_new[repo_of[svc["new"]]] = True
    repo_branch = np.where(~repo_new & (rng.random(n_repo) < 0.25), "master", "main").astype(object)
    repo_branch[repo_monorepo] = "main"
    # the first commit: a team member for old repos, the template bot for templated ones
    owner_team = np.zeros(n_repo, dtype=np.int64)
    owner_team[repo_of] = svc["team"]
    repo_root_author = login[team_lead[owner_team]].copy()
    templated = np.zeros(n_repo, dtype=bool)
    templated[repo_of[pd.notna(svc["template"])]] = True
    repo_root_author[templated] = "paved-templates[bot]"

    path = np.full(n_svc, None, dtype=object)
    path[in_mono] = "services/" + svc["name"][in_mono]
    prod_env = pick(rng, ("production", "prod", "Production"), (0.6, 0.3, 0.1), n_svc)
    bot = pick(rng, ("dependabot[bot]", "renovate[bot]"), (0.6, 0.4), n_repo)[repo_of]
    trains = rng.choice([1, 2, 3, 4], size=n_svc, p=[0.1, 0.35, 0.35, 0.2])

    return Org(
        window=window,
        team_id=team_id,
        team_name=np.array([t.replace("-", " ").title() for t in team_names_all], dtype=object),
        team_topology=np.array(topology, dtype=object),
        team_parent=team_parent,
        team_tz=team_tz,
        team_adopt=adopt,
        team_trunk_share=trunk_share,
        team_lead=team_lead,
        team_svc_off=team_svc_off,
        team_svc_cnt=team_svc_cnt,
        eng_id=ids("eng-", n, 5),
        eng_team=eng_team,
        eng_start=start,
        eng_end=end,
        eng_hire=eng_hire,
        eng_rate=rate,
        eng_login=login,
        eng_email=email,
        eng_email_caps=caps,
        eng_noreply=noreply,
        svc_id=svc["name"],
        svc_team=svc["team"],
        svc_repo=repo_of,
        svc_path=path,
        svc_tier=pick(rng, ("tier-1", "tier-2", "tier-3"), (0.25, 0.45, 0.3), n_svc),
        svc_lifecycle=svc["lifecycle"],
        svc_created=svc["created"],
        svc_template=svc["template"],
        svc_prod_env=prod_env,
        svc_bot=bot,
        svc_trains=trains,
        repo_name=np.array(repo_name, dtype=object),
        repo_created=np.array(repo_created, dtype=float),
        repo_branch=repo_branch,
        repo_root_author=repo_root_author,
        repo_monorepo=repo_monorepo,
    )


def _monday_morning(t: np.ndarray) -> np.ndarray:
    """Adoption happens at a Monday 10:00 UTC (a planned migration), inf stays inf."""
    finite = np.isfinite(t)
    days = np.floor(np.where(finite, t, 0) / DAY)
    monday = days - (days + 3) % 7
    return np.where(finite, monday * DAY + 10 * HOUR, t)


def _aliases(
    rng: np.random.Generator, first: np.ndarray, last: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GitHub-style logins and work e-mails, made unique with a numeric suffix where needed."""
    n = len(first)
    style = rng.integers(0, 3, n)
    login = np.where(
        style == 0,
        first + "-" + last,
        np.where(style == 1, first + last, first.astype("U1") + last),
    ).astype(object)
    login = _uniquify(login)
    email_local = _uniquify((first + "." + last).astype(object))
    email = email_local + "@acme.example"
    caps = np.char.title(email_local.astype(str)).astype(object) + "@acme.example"
    return login, email, caps


def _uniquify(values: np.ndarray) -> np.ndarray:
    """Append 2, 3, ... to repeated values, in order of appearance."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    start = np.ones(len(values), dtype=bool)
    start[1:] = sorted_values[1:] != sorted_values[:-1]
    group_start = np.maximum.accumulate(np.where(start, np.arange(len(values)), 0))
    dup = np.empty(len(values), dtype=np.int64)
    dup[order] = np.arange(len(values)) - group_start
    suffix = np.where(dup > 0, (dup + 1).astype("U6"), "").astype(object)
    return values + suffix


def _monorepo_teams(rng: np.random.Generator, n_stream: int) -> np.ndarray:
    """A few stream teams keep their older services in the shared `acme/monorepo`."""
    if n_stream < 3:
        return np.array([], dtype=np.int64)
    k = max(1, round(0.15 * n_stream)) if n_stream < 6 else max(2, round(0.15 * n_stream))
    return np.sort(rng.choice(n_stream, size=k, replace=False))


def _services(
    rng: np.random.Generator,
    window: Window,
    team_id: np.ndarray,
    topology: list[str],
    adopt: np.ndarray,
) -> dict[str, np.ndarray]:
    """1-3 existing services per team plus the ones created during the window.

    After adoption teams create services from golden-path templates, and more of them: that is
    what makes the templated share of services rise through the year. One loop per team.
    """
    rows: list[tuple[int, str, float, object, str, bool]] = []
    for team in range(len(team_id)):
        name = str(team_id[team])
        if topology[team] == "platform":
            suffixes: list[str] = list(PLATFORM_SERVICES)
            n_old = len(suffixes)
        else:
            n_old = 1 if topology[team] == "enabling" else 1 + int(rng.binomial(2, 0.4))
            suffixes = [f"{name}-{s}" for s in rng.permutation(SERVICE_SUFFIXES)]
        born = window.start - (30 + 1500 * rng.random(n_old)) * DAY
        lifecycle = pick(
            rng, ("production", "deprecated", "experimental"), (0.85, 0.1, 0.05), n_old
        )
        for i in range(n_old):
            rows.append((team, suffixes[i], float(born[i]), None, str(lifecycle[i]), False))
        pre_end = min(adopt[team], window.end)
        pre_weeks = (pre_end - window.start) / WEEK
        post_weeks = max(0.0, (window.end - adopt[team]) / WEEK) if np.isfinite(adopt[team]) else 0
        n_pre = int(rng.poisson(0.3 * pre_weeks / 52))
        n_post = int(rng.poisson(1.6 * post_weeks / 52))
        if topology[team] != "platform":  # platform names are numbered, never run out
            n_pre = min(n_pre, len(suffixes) - n_old)
            n_post = min(n_post, len(suffixes) - n_old - n_pre)
        t_pre = window.start + rng.random(n_pre) * (pre_end - window.start)
        t_post = adopt[team] + rng.random(n_post) * (window.end - adopt[team]) if n_post else []
        created = sorted(
            [(float(t), None) for t in t_pre]
            + [(float(t), str(rng.choice(TEMPLATES))) for t in t_post]
        )
        for j, (t, template) in enumerate(created):
            if topology[team] == "platform":
                suffix = f"platform-{SERVICE_SUFFIXES[j % len(SERVICE_SUFFIXES)]}-{j + 1}"
            else:
                suffix = suffixes[n_old + j]
            life = "experimental" if rng.random() < 0.3 else "production"
            rows.append((team, suffix, t, template, life, True))
    team = np.array([r[0] for r in rows], dtype=np.int64)
    created = np.array([r[2] for r in rows], dtype=float)
    created = np.where(
        created >= window.start, np.floor(created / 60) * 60, np.floor(created / DAY) * DAY
    )
    return {
        "team": team,
        "name": np.array([r[1] for r in rows], dtype=object),
        "created": created,
        "template": np.array([r[3] for r in rows], dtype=object),
        "lifecycle": np.array([r[4] for r in rows], dtype=object),
        "new": np.array([r[5] for r in rows], dtype=bool),
    }
