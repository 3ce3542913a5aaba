"""Platform events: how engineers use the internal platform, and through which channel.

Before their team adopts, engineers mostly file tickets and wait days; after, they self-serve in
minutes. The org-wide ticket share also falls as the platform matures through the year. New hires
produce a burst of onboarding events (environment, secrets, observability) in their first days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.demo.org import Org
from pipelines.demo.spec import DAY, HOUR, WEEK
from pipelines.demo.util import ids, lognormal, whole_seconds, working_day_time

CAPABILITIES = (
    "service_template",
    "environment",
    "pipeline",
    "secrets",
    "observability",
    "database",
)
ACTIONS = (
    ("create",),
    ("create", "update", "destroy"),
    ("create", "update", "migrate"),
    ("create", "read", "rotate"),
    ("create_dashboard", "create_alert", "grant_access"),
    ("provision", "resize", "restore_backup"),
)
WEIGHTS_BEFORE = (0.03, 0.3, 0.1, 0.25, 0.17, 0.15)
WEIGHTS_AFTER = (0.05, 0.25, 0.2, 0.2, 0.2, 0.1)
SELF_SERVICE_MEDIAN_S = np.array([240.0, 420.0, 180.0, 20.0, 60.0, 900.0])
TICKET_MEDIAN_DAYS = 1.5
EVENTS_PER_WEEK = (0.2, 0.9)  # per engineer, before and after the team adopts


def build_platform_events(org: Org, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Platform event columns (contract names), sorted by time."""
    w = org.window
    ws = w.week_starts
    team = org.eng_team
    act_from = np.maximum(org.eng_start, w.start)
    act_to = np.minimum(org.eng_end, w.end)
    lo = np.maximum(ws[None, :], act_from[:, None])
    hi = np.minimum(ws[None, :] + WEEK, act_to[:, None])
    frac = np.clip((hi - lo) / WEEK, 0, 1)
    adopted_w = ws[None, :] + 3.5 * DAY >= org.team_adopt[team][:, None]
    counts = rng.poisson(np.where(adopted_w, EVENTS_PER_WEEK[1], EVENTS_PER_WEEK[0]) * frac)
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    e, k = np.divmod(cell, len(ws))
    t = working_day_time(
        rng, lo[e, k] + rng.random(len(e)) * (hi[e, k] - lo[e, k]), org.team_tz[team[e]]
    )
    keep = (t >= act_from[e]) & (t < act_to[e])
    e, t = e[keep], t[keep]
    adopted = t >= org.team_adopt[team[e]]
    cap = np.where(
        adopted,
        rng.choice(6, size=len(e), p=WEIGHTS_AFTER),
        rng.choice(6, size=len(e), p=WEIGHTS_BEFORE),
    )

    # onboarding: every new hire sets up an environment, secrets and dashboards in week one
    hires = np.flatnonzero(org.eng_hire)
    h = np.repeat(hires, 3)
    h_cap = np.tile([1, 3, 4], len(hires))
    h_t = working_day_time(
        rng, org.eng_start[h] + rng.integers(0, 3, len(h)) * DAY, org.team_tz[team[h]]
    )
    h_action = np.tile([0, 1, 2], len(hires))

    # a migration event per service when its team adopts, and a template use per new service
    svc_adopt = org.team_adopt[org.svc_team]
    mig = np.flatnonzero(
        np.isfinite(svc_adopt) & (org.svc_created < svc_adopt) & (svc_adopt < w.end)
    )
    tmpl = np.flatnonzero(pd.notna(org.svc_template))
    s_svc = np.concatenate([mig, tmpl])
    s_eng = org.team_lead[org.svc_team[s_svc]]
    s_t = np.concatenate(
        [svc_adopt[mig] + rng.random(len(mig)) * 4 * HOUR, org.svc_created[tmpl] - 300]
    )
    s_cap = np.concatenate([np.full(len(mig), 2), np.full(len(tmpl), 0)])
    s_action = np.concatenate([np.full(len(mig), 2), np.zeros(len(tmpl), dtype=np.int64)])

    n_rand = len(e)
    n_actions = np.array([len(a) for a in ACTIONS])
    eng = np.concatenate([e, h, s_eng])
    when = whole_seconds(np.concatenate([t, h_t, s_t]))
    cap = np.concatenate([cap, h_cap, s_cap])
    action = np.concatenate(
        [rng.integers(0, 3, n_rand) % n_actions[cap[:n_rand]], h_action, s_action]
    )
    fixed_svc = np.concatenate([np.full(n_rand + len(h), -1), s_svc])  # -1: any team service
    keep = (when >= w.start) & (when < w.end)
    eng, when, cap, action, fixed_svc = (a[keep] for a in (eng, when, cap, action, fixed_svc))
    n = len(eng)
    eng_team = team[eng]
    adopted = when >= org.team_adopt[eng_team]
    maturity = (when - w.start) / w.span
    p_ticket = np.where(adopted, 0.05 + 0.15 * (1 - maturity), 0.4 + 0.45 * (1 - maturity))
    ticket = (rng.random(n) < p_ticket) & (fixed_svc < 0)  # templates and migrations self-serve
    duration = np.where(
        ticket,
        lognormal(rng, TICKET_MEDIAN_DAYS, 0.8, n) * DAY,
        lognormal(rng, SELF_SERVICE_MEDIAN_S[cap], 0.6, n),
    )
    r = rng.random(n)
    status = np.where(r < 0.04, "failure", np.where(r < 0.06, "cancelled", "success")).astype(
        object
    )
    pending = when + duration >= w.end
    status[pending] = "in_progress"
    duration = np.where(pending, np.nan, np.round(duration, 1))

    off, cnt = org.team_svc_off[eng_team], org.team_svc_cnt[eng_team]
    svc = off + np.floor(rng.random(n) * cnt).astype(np.int64)
    svc = np.where(org.svc_created[svc] <= when, svc, off)
    svc = np.where(fixed_svc >= 0, fixed_svc, svc)
    service_id = org.svc_id[svc].copy()
    service_id[(fixed_svc < 0) & (rng.random(n) < 0.15)] = None

    action_table = np.array([[*a, *([""] * (3 - len(a)))] for a in ACTIONS], dtype=object)
    order = np.lexsort((eng, when))
    return {
        "event_id": ids("evt-", n, 8),
        "occurred_at": when[order],
        "capability": np.asarray(CAPABILITIES, dtype=object)[cap[order]],
        "action": action_table[cap[order], action[order]],
        "actor_id": org.eng_id[eng[order]],
        "team_id": org.team_id[eng_team[order]],
        "service_id": service_id[order],
        "channel": np.where(ticket, "ticket", "self_service").astype(object)[order],
        "status": status[order],
        "duration_s": duration[order],
    }
