"""Incidents: the ones bad deployments cause, and bursts of unrelated ones (outages hit many
services at once). Most carry no `caused_by_deployment_id`, as in real incident tools; the
metrics must attribute them by time.
"""

from __future__ import annotations

import numpy as np

from pipelines.demo.delivery import BadDeploys
from pipelines.demo.org import Org
from pipelines.demo.spec import HOUR, MINUTE
from pipelines.demo.util import ids, lognormal, pick, whole_seconds

SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
ACK_MEDIAN_MIN = np.array([3.0, 6.0, 15.0, 40.0])
RESOLVE_MEDIAN_H = np.array([1.5, 3.0, 8.0, 30.0])
EXPLICIT_LINK = 0.35
DRIFT = "configuration drift between staging and production"
DRIFT_SHARE = (0.3, 0.05)  # of deployment-caused incidents, before and after adoption
DEPLOY_CAUSES = (
    "regression in new release", "missing database migration", "feature flag misconfiguration",
    "bad configuration change", "dependency version conflict",
)  # fmt: skip
OTHER_CAUSES = (
    "upstream provider outage", "certificate expired", "capacity exhausted",
    "DNS resolution failures", "noisy neighbour on shared cluster", "third-party API rate limiting",
)  # fmt: skip
BACKGROUND_PER_SERVICE_WEEK = 0.02


def build_incidents(org: Org, bad: BadDeploys, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Incident columns (contract names), sorted by opening time."""
    w = org.window
    n_bad = len(bad.svc)
    explicit = rng.random(n_bad) < EXPLICIT_LINK
    drift = rng.random(n_bad) < np.take(DRIFT_SHARE, bad.adopted.astype(int))
    bad_cause = np.where(drift, DRIFT, pick(rng, DEPLOY_CAUSES, [0.2] * 5, n_bad))
    bad_sev = rng.choice(4, size=n_bad, p=[0.08, 0.2, 0.42, 0.3])

    # background: bursts (a shared dependency fails) of 1..n incidents within a few hours
    n_svc = len(org.svc_id)
    mean_size = 2.5
    n_bursts = rng.poisson(BACKGROUND_PER_SERVICE_WEEK * n_svc * w.weeks / mean_size)
    centre = w.start + rng.random(n_bursts) * w.span
    size = rng.geometric(1 / mean_size, n_bursts)
    burst = np.repeat(np.arange(n_bursts), size)
    bg_open = centre[burst] + np.abs(rng.normal(0, 1.5, len(burst))) * HOUR
    bg_svc = _alive_service(org, bg_open, rng)
    burst_sev = rng.choice(4, size=n_bursts, p=[0.05, 0.15, 0.4, 0.4])
    bg_sev = np.minimum(3, burst_sev[burst] + (rng.random(len(burst)) < 0.3))
    bg_cause = pick(rng, OTHER_CAUSES, [1 / 6] * 6, n_bursts)[burst]

    svc = np.concatenate([bad.svc, bg_svc])
    opened = whole_seconds(np.concatenate([bad.opened, bg_open]))
    sev = np.concatenate([bad_sev, bg_sev])
    caused_by = np.concatenate(
        [np.where(explicit, bad.deployment_id, None), np.full(len(burst), None)]
    ).astype(object)
    cause = np.concatenate([bad_cause, bg_cause]).astype(object)
    fixed = np.concatenate([bad.fixed, np.full(len(burst), np.nan)])
    keep = (opened < w.end) & (svc >= 0)
    svc, opened, sev, caused_by, cause, fixed = (
        a[keep] for a in (svc, opened, sev, caused_by, cause, fixed)
    )
    n = len(svc)
    cause[rng.random(n) < 0.25] = None  # no post-mortem yet

    ack = opened + lognormal(rng, ACK_MEDIAN_MIN[sev], 0.8, n) * MINUTE
    ack[(sev == 3) & (rng.random(n) < 0.15)] = np.nan
    resolved = opened + lognormal(rng, RESOLVE_MEDIAN_H[sev], 1.0, n) * HOUR
    resolved = np.where(
        np.isfinite(fixed), np.maximum(fixed, opened) + rng.random(n) * HOUR, resolved
    )
    resolved[rng.random(n) < 0.03] = np.nan  # still open
    for t in (ack, resolved):
        t[t >= w.end] = np.nan

    order = np.lexsort((svc, opened))
    return {
        "incident_id": ids("INC-", n, 6),
        "service_id": org.svc_id[svc[order]],
        "opened_at": opened[order],
        "severity": np.asarray(SEVERITIES, dtype=object)[sev[order]],
        "acknowledged_at": whole_seconds(ack[order]),
        "resolved_at": whole_seconds(resolved[order]),
        "caused_by_deployment_id": caused_by[order],
        "cause": cause[order],
    }


def _alive_service(org: Org, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random service that exists at each time (-1 when the draw hits a not-yet-created one)."""
    svc = rng.integers(0, len(org.svc_id), len(t))
    return np.where(org.svc_created[svc] <= t, svc, -1)
