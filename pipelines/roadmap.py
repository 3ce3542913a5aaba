"""The platform roadmap and friction thresholds from paved.toml, and the tables built from them.

`[[roadmap.initiatives]]` names what the platform team promised (a capability, the metric that
shows it, a baseline window, a target and a due date); `[roadmap]` and `[friction]` hold the
windows and thresholds. `load_platform_settings` validates them against the metric registry (a
typo fails the run with the key named, not a dashboard), `write_settings` records them in
`meta.*` so every figure can be explained by the settings that made it, and
`build_roadmap` writes `marts.roadmap_progress` (each initiative's baseline, current value,
trend and status, with why) and `marts.opportunities` (which teams would gain most from which
capability). Team level only: no individual is ever named.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import duckdb

from metrics.compute import FRAMEWORK_DIR, _events_view
from metrics.registry import load_registry
from pipelines.config_models import (
    FrictionSection,
    RoadmapSection,
    Section,
    SectionError,
    check,
    given,
)
from pipelines.impact import ImpactSettings
from pipelines.sqlfiles import run_sql_file

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SCOPE = re.compile(r"^(org|team:(?P<team>.+))$")
# A date relative to the end of the data: "end-40w" is 40 weeks before the Monday after the
# last week holding a deployment (so a generated demo's roadmap stays in its window).
_RELATIVE = re.compile(r"^end(?P<sign>[+-])(?P<weeks>\d+)w$")
DateSpec = dt.date | str


class PlatformConfigError(ValueError):
    """A [roadmap], [[roadmap.initiatives]] or [friction] entry that cannot be used."""


@dataclass(frozen=True)
class FrictionThresholds:
    """`[friction]`: each signal's threshold; the defaults are documented in docs/platform.md."""

    window_weeks: int = 12  # trailing ISO weeks every signal looks at
    onboarding_days: float = 14.0  # days to a first production deploy that count as slow
    onboarding_cohort_months: int = 6  # cohorts (start months) the onboarding signal looks at
    slow_onboarding_engineers: int = 1  # slow engineers that trigger the signal
    hand_rolled_pipeline_teams: int = 3  # teams running their own CI pipelines
    ticket_request_teams: int = 3  # teams asking for the same capability by ticket
    drift_cause_pattern: str = r"(config(uration)?[ -]?drift|drift between)"
    drift_incidents: int = 1  # drift incidents (per team or org) that trigger the signal
    ticket_requests: int = 3  # a team's tickets for a capability others self-serve
    self_served_by_teams: int = 3  # other teams self-serving the capability

    def validate(self) -> None:
        try:
            re.compile(self.drift_cause_pattern)
        except re.error as exc:
            raise PlatformConfigError(f"[friction] drift_cause_pattern: {exc}") from exc
        for name, value in asdict(self).items():
            if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
                raise PlatformConfigError(f"[friction] {name} must not be negative")
        if self.window_weeks < 1 or self.onboarding_cohort_months < 1:
            raise PlatformConfigError("[friction] window_weeks, onboarding_cohort_months >= 1")


@dataclass(frozen=True)
class RoadmapSettings:
    """`[roadmap]`: how progress is measured."""

    current_window_weeks: int = 4  # trailing ISO weeks the current value is taken over
    on_track_tolerance: float = 0.1  # progress may lag elapsed time by this share and be on track


@dataclass(frozen=True)
class Initiative:
    """One `[[roadmap.initiatives]]` entry, validated."""

    id: str
    title: str
    capability: str
    target_metric: str
    scope: str
    baseline_start: DateSpec  # a date, or "end-<n>w" resolved by `resolve`
    baseline_end: DateSpec
    target_value: float
    due_date: DateSpec

    def resolve(self, data_end: dt.date | None) -> Initiative:
        """The initiative with relative dates made absolute against the data's end."""

        def one(value: DateSpec) -> dt.date:
            if isinstance(value, dt.date):
                return value
            match = _RELATIVE.match(value)
            if match is None or data_end is None:
                raise PlatformConfigError(
                    f"initiative {self.id!r}: {value!r} needs data to be resolved"
                )
            weeks = int(match["weeks"]) * (1 if match["sign"] == "+" else -1)
            return data_end + dt.timedelta(weeks=weeks)

        resolved = replace(
            self,
            baseline_start=one(self.baseline_start),
            baseline_end=one(self.baseline_end),
            due_date=one(self.due_date),
        )
        _check_order(resolved)
        return resolved

    @property
    def scope_kind(self) -> str:
        return "org" if self.scope == "org" else "team"

    @property
    def scope_id(self) -> str:
        return "org" if self.scope == "org" else self.scope.split(":", 1)[1]


@dataclass(frozen=True)
class PlatformSettings:
    initiatives: tuple[Initiative, ...] = ()
    roadmap: RoadmapSettings = field(default_factory=RoadmapSettings)
    friction: FrictionThresholds = field(default_factory=FrictionThresholds)
    impact: ImpactSettings = field(default_factory=ImpactSettings)


def _section(model: type[Section], raw: Any, name: str) -> dict[str, Any]:
    """The keys a section sets, typed by its model (pipelines.config_models)."""
    try:
        return given(check(model, raw, name))
    except SectionError as exc:
        raise PlatformConfigError(str(exc)) from None


def _date(value: Any, where: str) -> DateSpec:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _RELATIVE.match(value.strip()):
        return value.strip()
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise PlatformConfigError(
            f"{where}: {value!r} is not a date (YYYY-MM-DD, or end-<n>w / end+<n>w)"
        ) from exc


def _check_order(initiative: Initiative) -> None:
    where = f"initiative {initiative.id!r}"
    dates = (initiative.baseline_start, initiative.baseline_end, initiative.due_date)
    if not all(isinstance(d, dt.date) for d in dates):
        return  # relative dates are checked once resolved
    if initiative.baseline_end < initiative.baseline_start:
        raise PlatformConfigError(f"{where}: baseline_end is before baseline_start")
    if initiative.due_date <= initiative.baseline_end:
        raise PlatformConfigError(f"{where}: due_date must be after baseline_end")


def _initiative(raw: dict[str, Any]) -> Initiative:
    """One initiative whose keys and types `InitiativeSection` has checked."""
    where = f"initiative {raw['id']!r}"
    if not _ID.match(raw["id"]):
        raise PlatformConfigError(f"{where}: id must be letters, digits, _ . -")
    if raw["target_metric"] not in load_registry():
        raise PlatformConfigError(
            f"{where}: target_metric {raw['target_metric']!r} is not a metric of the registry"
        )
    if not _SCOPE.match(raw["scope"]):
        raise PlatformConfigError(f"{where}: scope must be 'org' or 'team:<team_id>'")
    initiative = Initiative(
        id=raw["id"], title=raw["title"], capability=raw["capability"],
        target_metric=raw["target_metric"], scope=raw["scope"],
        baseline_start=_date(raw["baseline_start"], f"{where}: baseline_start"),
        baseline_end=_date(raw["baseline_end"], f"{where}: baseline_end"),
        target_value=float(raw["target_value"]),
        due_date=_date(raw["due_date"], f"{where}: due_date"),
    )  # fmt: skip
    _check_order(initiative)
    metric = load_registry()[initiative.target_metric]
    if initiative.scope_kind not in metric.scopes:
        raise PlatformConfigError(f"{where}: {metric.name} is not reported per {initiative.scope}")
    return initiative


def load_platform_settings(raw: dict[str, Any]) -> PlatformSettings:
    """Validate the platform sections of a parsed paved.toml (`Config.raw`).

    Keys and types first (RoadmapSection, FrictionSection, ImpactSection), then what the values
    mean: registry metrics, scopes, dates in order, thresholds in range.
    """
    roadmap = _section(RoadmapSection, raw.get("roadmap"), "roadmap")
    initiatives_raw = roadmap.pop("initiatives", [])
    initiatives = tuple(_initiative(given(i)) for i in initiatives_raw)
    ids = [i.id for i in initiatives]
    if len(set(ids)) != len(ids):
        raise PlatformConfigError("[[roadmap.initiatives]]: ids must be unique")
    friction = FrictionThresholds(**_section(FrictionSection, raw.get("friction"), "friction"))
    friction.validate()
    try:
        impact = ImpactSettings.from_raw(raw)
    except ValueError as exc:
        raise PlatformConfigError(str(exc)) from exc
    return PlatformSettings(
        initiatives=initiatives,
        roadmap=RoadmapSettings(**roadmap),
        friction=friction,
        impact=impact,
    )


def write_settings(con: duckdb.DuckDBPyConnection, settings: PlatformSettings) -> int:
    """Record the settings in meta.initiatives, meta.friction_thresholds, meta.roadmap_settings
    and meta.impact_settings; returns the number of initiatives."""
    row = con.execute(
        "SELECT (date_trunc('week', max(finished_at)) + INTERVAL 7 DAY)::DATE FROM core.deployments"
    ).fetchone()
    data_end = row[0] if row else None
    initiatives = [i.resolve(data_end) for i in settings.initiatives]
    params = {
        **asdict(settings.friction),
        **asdict(settings.roadmap),
        **settings.impact.as_record(),
    }
    run_sql_file(con, "meta/platform_settings.sql", params)
    if not initiatives:
        return 0
    con.executemany(
        "INSERT INTO meta.initiatives VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                i.id,
                i.title,
                i.capability,
                i.target_metric,
                i.scope,
                i.scope_kind,
                i.scope_id,
                i.baseline_start,
                i.baseline_end,
                i.target_value,
                i.due_date,
            ]  # fmt: skip
            for i in initiatives
        ],
    )
    return len(initiatives)


def build_roadmap(con: duckdb.DuckDBPyConnection, as_of: datetime | None = None) -> dict[str, int]:
    """(Re)create marts.roadmap_progress and marts.opportunities; returns their row counts.

    Reads meta.initiatives and meta.roadmap_settings (write_settings), the marts and the metric
    events of the registry; `as_of` fixes "now" (default: the current time) so tests are
    deterministic.
    """
    now = (as_of or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    run_sql_file(con, "marts/roadmap_windows.sql", {"as_of": now})
    registry = load_registry()
    initiatives = con.execute(
        "SELECT i.initiative_id, i.target_metric, i.scope_kind, i.scope_id, w.window_name, "
        "w.start_ts, w.end_ts, w.weeks FROM meta.initiatives AS i "
        "JOIN roadmap_windows AS w USING (initiative_id) ORDER BY 1, 5"
    ).fetchall()
    window_value = (FRAMEWORK_DIR / "window_value.sql").read_text(encoding="utf-8")
    window_value = window_value.strip().rstrip(";")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE roadmap_values (initiative_id VARCHAR, window_name "
        "VARCHAR, value DOUBLE, sample_size BIGINT)"
    )
    for initiative_id, metric_name, kind, scope_id, window, start, end, weeks in initiatives:
        metric = registry[metric_name]
        _events_view(con, metric)
        con.execute(
            "INSERT INTO roadmap_values SELECT $initiative_id, $window, value, sample_size FROM ("
            + window_value
            + ")",
            {
                "initiative_id": initiative_id,
                "window": window,
                "kind": metric.kind,
                "quantile": metric.quantile if metric.quantile is not None else 0.5,
                "private": metric.private,
                "start": start,
                "end": end,
                "weeks": weeks,
                "scope_kind": kind,
                "scope_id": scope_id,
                "grain": "week" if "week" in metric.grains else "month",
            },  # fmt: skip
        )
    con.execute("DROP VIEW IF EXISTS metric_events")
    run_sql_file(con, "marts/roadmap_progress.sql", {"as_of": now})
    run_sql_file(con, "marts/opportunities.sql", {})
    counts = {}
    for table in ("roadmap_progress", "opportunities"):
        row = con.execute(f"SELECT count(*) FROM marts.{table}").fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts


def build_platform(
    con: duckdb.DuckDBPyConnection, settings: PlatformSettings, as_of: datetime | None = None
) -> dict[str, int]:
    """The whole platform stage after the metrics, in the order the Dagster assets run it
    (settings, friction signals, impact, roadmap): for callers without Dagster (the SQL
    reference, benchmarks)."""
    from pipelines.impact import build_platform_impact

    write_settings(con, settings)
    run_sql_file(con, "marts/friction_signals.sql")
    counts = {"platform_impact": build_platform_impact(con, settings.impact)}
    return counts | build_roadmap(con, as_of)


__all__ = [
    "FrictionThresholds",
    "Initiative",
    "PlatformConfigError",
    "PlatformSettings",
    "RoadmapSettings",
    "build_platform",
    "build_roadmap",
    "load_platform_settings",
    "write_settings",
]
