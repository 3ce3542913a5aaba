"""Readers for the platform pages (adoption, onboarding, impact and roadmap, CI, catalogue).

Why a module of its own: `data.py` reads one scope's stored series, whereas the platform pages
also read the platform marts (marts.adoption, capability_usage, ci_health, ...) and every team's
value of a metric at once (the team x period heatmaps). Every figure is a stored column; the only
aggregation here counts or sums *facts* the marts hold (services that adopted a path by a date,
events per channel over the window, services missing a field), never a metric's own formula: a
rate is always read from the column or metric that stores it. Each reader filters in SQL with
bound parameters and returns an empty frame with its columns when its table is not published.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from dashboards.data import METRIC_VALUES, query, status
from dashboards.filters import ORG

ADOPTION = "marts.adoption"
CAPABILITY_USAGE = "marts.capability_usage"
CI_HEALTH = "marts.ci_health"
CI_COMPARISON = "marts.ci_golden_path_comparison"
CATALOGUE = "marts.catalogue_completeness"
IMPACT = "marts.platform_impact"
ROADMAP = "marts.roadmap_progress"
OPPORTUNITIES = "marts.opportunities"
FRICTION = "marts.friction_signals"
RULES = "meta.rules"

DEFAULT_MIN_GROUP_SIZE = 5
"""The contract's default privacy threshold, used when meta.rules is not published."""

GOLDEN_PATHS = ("template", "ci", "deploy")
"""The adoption funnel in order: created from a template, golden-path CI, platform deploy."""


def _team(team: str) -> str | None:
    return None if team == ORG else team


# --- metric_values across teams ---------------------------------------------------------------

MATRIX_COLUMNS = ("team_id", "period_start", "value", "sample_size")

_MATRIX_SQL = """
SELECT scope_id AS team_id, period_start, value, sample_size
FROM metrics.metric_values
WHERE metric = $1 AND grain = $2 AND scope = 'team'
  AND period_start <= $3 AND ($4::DATE IS NULL OR period_start >= $4)
ORDER BY team_id, period_start
"""


def team_matrix(metric: str, grain: str, *, until: date, since: date | None) -> pd.DataFrame:
    """Every team's stored value of `metric` per period (one row per team and period)."""
    if not status().has(METRIC_VALUES):
        return pd.DataFrame(columns=list(MATRIX_COLUMNS))
    frame = query(_MATRIX_SQL, [metric, grain, until, since])
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    return frame


_MIN_GROUP_SQL = "SELECT min_group_size FROM meta.rules LIMIT 1"


def min_group_size() -> int:
    """The privacy threshold in force (meta.rules.min_group_size; the contract's 5 without it)."""
    if status().has(RULES):
        frame = query(_MIN_GROUP_SQL)
        if len(frame) and not pd.isna(frame["min_group_size"].iloc[0]):
            return int(frame["min_group_size"].iloc[0])
    return DEFAULT_MIN_GROUP_SIZE


# --- adoption ---------------------------------------------------------------------------------

FUNNEL_COLUMNS = ("period_start", "golden_path", "adopted", "in_scope")

# Per period: how many services (or teams) had taken up each golden path by the period's end, and
# how many existed by then. A templated service without created_at was adopted at an unknown
# time: it counts from the first period, as golden_path_service_share counts it.
_FUNNEL_SQL = """
WITH periods AS (
    SELECT unnest(generate_series($3::DATE, $4::DATE,
        CASE WHEN $5 = 'week' THEN INTERVAL 7 DAY ELSE INTERVAL 1 MONTH END))::DATE
        AS period_start
),
bounded AS (
    SELECT period_start,
        (period_start + CASE WHEN $5 = 'week' THEN INTERVAL 7 DAY ELSE INTERVAL 1 MONTH END)
            AS period_end
    FROM periods
),
a AS (
    SELECT golden_path, is_adopted, adopted_at, exists_since
    FROM marts.adoption
    WHERE scope = $1 AND ($2::VARCHAR IS NULL OR team_id = $2)
)
SELECT
    b.period_start,
    p.golden_path,
    count(a.golden_path) FILTER (
        WHERE a.is_adopted AND (a.adopted_at IS NULL OR a.adopted_at < b.period_end)
    ) AS adopted,
    count(a.golden_path) FILTER (
        WHERE a.exists_since IS NULL OR a.exists_since < b.period_end
    ) AS in_scope
FROM bounded AS b
CROSS JOIN (SELECT unnest(['template', 'ci', 'deploy']) AS golden_path) AS p
LEFT JOIN a ON a.golden_path = p.golden_path
GROUP BY b.period_start, p.golden_path
ORDER BY b.period_start, p.golden_path
"""


def adoption_funnel(unit: str, team: str, *, grain: str, first: date, last: date) -> pd.DataFrame:
    """Services (`unit` 'service') or teams ('team') that took up each golden path by the end of
    each period from `first` to `last` (period starts), with how many existed by then."""
    if not status().has(ADOPTION):
        return pd.DataFrame(columns=list(FUNNEL_COLUMNS))
    frame = query(_FUNNEL_SQL, [unit, _team(team), first, last, grain])
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    return frame


ADOPTION_COLUMNS = (
    "scope", "scope_id", "team_id", "golden_path", "is_adopted", "adopted_at", "evidence",
    "exists_since",
)  # fmt: skip

_ADOPTION_ROWS_SQL = """
SELECT scope, scope_id, team_id, golden_path, is_adopted, adopted_at, evidence, exists_since
FROM marts.adoption
WHERE scope = $1 AND ($2::VARCHAR IS NULL OR team_id = $2)
ORDER BY scope_id, list_position(['template', 'ci', 'deploy'], golden_path)
"""


def adoption_rows(unit: str, team: str) -> pd.DataFrame:
    """marts.adoption's rows of one unit (service or team): who adopted which path, when, why."""
    if not status().has(ADOPTION):
        return pd.DataFrame(columns=list(ADOPTION_COLUMNS))
    return query(_ADOPTION_ROWS_SQL, [unit, _team(team)])


CAPABILITY_COLUMNS = ("capability", "events", "self_service", "ticket", "actors_max")

_CAPABILITY_SQL = """
SELECT capability, sum(events) AS events, sum(self_service) AS self_service,
       sum(ticket) AS ticket
FROM marts.capability_usage
WHERE ($1::DATE IS NULL OR week >= $1) AND week < $2
  AND ($3::VARCHAR IS NULL OR team_id = $3)
GROUP BY capability
ORDER BY events DESC, capability
"""


def capability_totals(start: date | None, end: date, team: str) -> pd.DataFrame:
    """Platform events per capability and channel over [start, end): counts summed over weeks."""
    if not status().has(CAPABILITY_USAGE):
        return pd.DataFrame(columns=["capability", "events", "self_service", "ticket"])
    return query(_CAPABILITY_SQL, [start, end, _team(team)])


CAPABILITY_ROW_COLUMNS = (
    "week", "capability", "team_id", "events", "self_service", "ticket", "self_service_share",
    "actors", "self_service_median_s", "ticket_median_s",
)  # fmt: skip

_CAPABILITY_ROWS_SQL = """
SELECT week, capability, team_id, events, self_service, ticket, self_service_share, actors,
       self_service_median_s, ticket_median_s
FROM marts.capability_usage
WHERE ($1::DATE IS NULL OR week >= $1) AND week < $2
  AND ($3::VARCHAR IS NULL OR team_id = $3)
ORDER BY week DESC, capability, team_id
"""


def capability_rows(start: date | None, end: date, team: str) -> pd.DataFrame:
    """marts.capability_usage's weekly rows in [start, end) for the team (or every team)."""
    if not status().has(CAPABILITY_USAGE):
        return pd.DataFrame(columns=list(CAPABILITY_ROW_COLUMNS))
    return query(_CAPABILITY_ROWS_SQL, [start, end, _team(team)])


# --- CI health --------------------------------------------------------------------------------

CI_HEALTH_COLUMNS = (
    "week", "repo", "pipeline", "team_id", "golden_path", "runs", "conclusive_runs",
    "successful_runs", "success_rate", "duration_median_minutes", "duration_p90_minutes",
    "queue_median_minutes", "queue_p90_minutes", "reruns", "rerun_rate",
)  # fmt: skip

_CI_HEALTH_SQL = """
SELECT week, repo, pipeline, team_id, golden_path, runs, conclusive_runs, successful_runs,
       success_rate, duration_median_minutes, duration_p90_minutes, queue_median_minutes,
       queue_p90_minutes, reruns, rerun_rate
FROM marts.ci_health
WHERE ($1::DATE IS NULL OR week >= $1) AND week < $2
  AND ($3::VARCHAR IS NULL OR team_id = $3)
ORDER BY week DESC, repo, pipeline
"""


def ci_health(start: date | None, end: date, team: str) -> pd.DataFrame:
    """marts.ci_health's weekly rows per repository and pipeline in [start, end)."""
    if not status().has(CI_HEALTH):
        return pd.DataFrame(columns=list(CI_HEALTH_COLUMNS))
    return query(_CI_HEALTH_SQL, [start, end, _team(team)])


CI_COMPARISON_COLUMNS = (
    "week", "pipeline_kind", "pipelines", "runs", "conclusive_runs", "success_rate",
    "duration_median_minutes", "duration_p90_minutes", "queue_median_minutes",
    "queue_p90_minutes", "rerun_rate",
)  # fmt: skip

_CI_COMPARISON_SQL = """
SELECT week, pipeline_kind, pipelines, runs, conclusive_runs, success_rate,
       duration_median_minutes, duration_p90_minutes, queue_median_minutes, queue_p90_minutes,
       rerun_rate
FROM marts.ci_golden_path_comparison
WHERE scope = $1 AND scope_id = $2
  AND ($3::DATE IS NULL OR week >= $3) AND week < $4
ORDER BY week, pipeline_kind
"""


def ci_comparison(scope: str, scope_id: str, start: date | None, end: date) -> pd.DataFrame:
    """Golden-path against hand-rolled pipelines per week for one team or the org."""
    if not status().has(CI_COMPARISON):
        return pd.DataFrame(columns=list(CI_COMPARISON_COLUMNS))
    frame = query(_CI_COMPARISON_SQL, [scope, scope_id, start, end])
    frame["week"] = pd.to_datetime(frame["week"]).dt.date
    return frame


# --- catalogue --------------------------------------------------------------------------------

CATALOGUE_COLUMNS = (
    "service_id", "team_id", "completeness", "missing", "has_owner_team", "has_tier",
    "has_lifecycle", "has_repository", "has_template", "created_at",
)  # fmt: skip

_CATALOGUE_SQL = """
SELECT service_id, team_id, completeness, missing, has_owner_team, has_tier, has_lifecycle,
       has_repository, has_template, created_at
FROM marts.catalogue_completeness
WHERE ($1::VARCHAR IS NULL OR team_id = $1) AND ($2::VARCHAR IS NULL OR service_id = $2)
ORDER BY completeness, service_id
"""


def catalogue(team: str, service: str | None) -> pd.DataFrame:
    """One row per catalogued service with what is missing, least complete first."""
    if not status().has(CATALOGUE):
        return pd.DataFrame(columns=list(CATALOGUE_COLUMNS))
    return query(_CATALOGUE_SQL, [_team(team), service])


MISSING_FACTS = {
    "has_owner_team": "owner team",
    "has_tier": "tier",
    "has_lifecycle": "lifecycle",
    "has_repository": "repository",
    "has_template": "template",
}
"""The five facts of marts.catalogue_completeness, as the mart's `missing` column names them."""

_MISSING_SQL = """
SELECT fact, count(*) FILTER (WHERE NOT present) AS services_missing, count(*) AS services
FROM (
    UNPIVOT (
        SELECT service_id, has_owner_team, has_tier, has_lifecycle, has_repository, has_template
        FROM marts.catalogue_completeness
        WHERE ($1::VARCHAR IS NULL OR team_id = $1) AND ($2::VARCHAR IS NULL OR service_id = $2)
    ) ON has_owner_team, has_tier, has_lifecycle, has_repository, has_template
    INTO NAME fact VALUE present
)
GROUP BY fact
"""


def missing_counts(team: str, service: str | None) -> pd.DataFrame:
    """How many services lack each of the five facts (a count of rows, not a metric)."""
    if not status().has(CATALOGUE):
        return pd.DataFrame(columns=["fact", "services_missing", "services"])
    frame = query(_MISSING_SQL, [_team(team), service])
    order = list(MISSING_FACTS)
    frame["fact"] = pd.Categorical(frame["fact"], categories=order, ordered=True)
    frame = frame.sort_values("fact")
    frame["fact"] = frame["fact"].astype(str).map(MISSING_FACTS)
    return frame.reset_index(drop=True)


# --- impact, roadmap, opportunities, friction --------------------------------------------------

IMPACT_COLUMNS = (
    "metric", "comparison", "estimate", "ci_low", "ci_high", "unit", "statistic",
    "relative_estimate", "treated_value", "control_value", "baseline_value", "n_treated",
    "n_control", "teams_treated", "teams_control", "status", "reason", "method_notes",
    "confidence",
)  # fmt: skip

_IMPACT_SQL = """
SELECT metric, comparison, estimate, ci_low, ci_high, unit, statistic, relative_estimate,
       treated_value, control_value, baseline_value, n_treated, n_control, teams_treated,
       teams_control, status, reason, method_notes, confidence
FROM marts.platform_impact
WHERE $1::VARCHAR IS NULL OR metric = $1
ORDER BY metric, comparison
"""


def impact(metric: str | None = None) -> pd.DataFrame:
    """marts.platform_impact: each estimate with its interval, or why there is none."""
    if not status().has(IMPACT):
        return pd.DataFrame(columns=list(IMPACT_COLUMNS))
    return query(_IMPACT_SQL, [metric])


ROADMAP_COLUMNS = (
    "initiative_id", "title", "capability", "target_metric", "metric_label", "unit",
    "direction", "scope", "baseline_start", "baseline_end", "baseline_value", "current_start",
    "current_end", "current_value", "previous_value", "target_value", "due_date", "progress",
    "time_elapsed", "trend", "status", "why",
)  # fmt: skip

_ROADMAP_SQL = """
SELECT initiative_id, title, capability, target_metric, metric_label, unit, direction, scope,
       baseline_start, baseline_end, baseline_value, current_start, current_end, current_value,
       previous_value, target_value, due_date, progress, time_elapsed, trend, status, why
FROM marts.roadmap_progress
ORDER BY due_date, initiative_id
"""


def roadmap() -> pd.DataFrame:
    """Every roadmap initiative with baseline, current value, target, status and why."""
    if not status().has(ROADMAP):
        return pd.DataFrame(columns=list(ROADMAP_COLUMNS))
    return query(_ROADMAP_SQL)


ROADMAP_STATUSES = ("done", "on_track", "at_risk", "off_track", "not_measurable_yet")

_ROADMAP_COUNTS_SQL = (
    "SELECT status, count(*) AS initiatives FROM marts.roadmap_progress GROUP BY 1"
)


def roadmap_status_counts() -> dict[str, int] | None:
    """Initiatives per status (every status present, 0 when none); None without the table."""
    if not status().has(ROADMAP):
        return None
    frame = query(_ROADMAP_COUNTS_SQL)
    counts = dict(zip(frame["status"], frame["initiatives"], strict=True))
    return {s: int(counts.get(s, 0)) for s in ROADMAP_STATUSES} | {
        str(s): int(n) for s, n in counts.items() if s not in ROADMAP_STATUSES
    }


OPPORTUNITY_COLUMNS = (
    "rank", "team_id", "capability", "team_share", "adopters_share", "adopter_teams", "gap",
    "size", "size_unit", "score", "expected_effect", "window_start", "window_end",
)  # fmt: skip

_OPPORTUNITIES_SQL = """
SELECT rank, team_id, capability, team_share, adopters_share, adopter_teams, gap, size,
       size_unit, score, expected_effect, window_start, window_end
FROM marts.opportunities
WHERE $1::VARCHAR IS NULL OR team_id = $1
ORDER BY rank, team_id, capability
"""


def opportunities(team: str) -> pd.DataFrame:
    """marts.opportunities in rank order (teams only: the mart never ranks people)."""
    if not status().has(OPPORTUNITIES):
        return pd.DataFrame(columns=list(OPPORTUNITY_COLUMNS))
    return query(_OPPORTUNITIES_SQL, [_team(team)])


FRICTION_COLUMNS = (
    "signal", "scope", "scope_id", "capability", "value", "threshold", "triggered", "detail",
    "window_start", "window_end",
)  # fmt: skip

# Triggered first, then hidden (NULL: a small group), then quiet; the team filter keeps the
# team's own rows and the organisation's.
_FRICTION_SQL = """
SELECT signal, scope, scope_id, capability, value, threshold, triggered, detail, window_start,
       window_end
FROM marts.friction_signals
WHERE $1::VARCHAR IS NULL OR scope IN ('org', 'cohort') OR scope_id = $1
ORDER BY CASE WHEN triggered THEN 0 WHEN triggered IS NULL THEN 1 ELSE 2 END,
         signal, scope, scope_id, capability
"""


def friction(team: str) -> pd.DataFrame:
    """marts.friction_signals, triggered first (the team's and the organisation's rows)."""
    if not status().has(FRICTION):
        return pd.DataFrame(columns=list(FRICTION_COLUMNS))
    return query(_FRICTION_SQL, [_team(team)])


def labels(metrics: Sequence[str], catalog: pd.DataFrame) -> dict[str, str]:
    """Each metric's catalog label (its name when the catalog has none)."""
    out: dict[str, str] = {}
    for metric in metrics:
        label = catalog["label"].get(metric) if metric in catalog.index else None
        out[metric] = metric if label is None or pd.isna(label) or not str(label) else str(label)
    return out
