"""What the weekly report says, built from a Snapshot: figures, movements and plain sentences.

Why it looks like this: every figure shown is a stored value of metrics.metric_values (or a
difference of two stored values: week on week, four weeks, a team's move), formatted once here
with `pipelines.headlines.format_value`, so the HTML, the Markdown, the e-mail and Slack all print
the very same strings and the dashboard's numbers. Sentences are generated from those figures,
never written by hand. Ordering is fixed (catalog order, then ids) so a fixed warehouse always
gives the same report. Privacy: the finest scopes shown are teams and services, never people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from metrics.groups import DORA_METRICS
from pipelines.headlines import format_value
from pipelines.report.data import CatalogEntry, Snapshot
from pipelines.report.weeks import IsoWeek

ANOMALY_WEEKS = 8
"""An anomaly is a value outside min..max of this many previous weeks."""
ANOMALY_MIN_HISTORY = 4
"""Fewer defined values than this in those weeks: too little history to call anything odd."""
ANOMALY_TEAM_LIMIT = 30
TREND_WEEKS = 12
MOVER_SCOPES = ("team", "service")
DASH = "—"


def format_delta(delta: float | None, unit: str) -> str:
    """A difference of two stored values: signed, ratios in percentage points."""
    if delta is None:
        return DASH
    if unit == "ratio":
        return "±0.0 pp" if delta == 0 else f"{delta * 100:+.1f} pp"
    sign = "+" if delta > 0 else "-" if delta < 0 else "±"
    return sign + format_value(abs(delta), unit)


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _is_better(delta: float, direction: str) -> bool:
    return delta > 0 if direction == "higher_is_better" else delta < 0


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _stamp(value: datetime | None) -> str:
    """A stored timestamp (UTC) as written; no clock is ever read for the report."""
    return DASH if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class MetricRow:
    """One metric's line in a table: raw stored values and the exact strings printed."""

    metric: str
    label: str
    unit: str
    direction: str
    grain: str
    period: date
    value: float | None
    previous: float | None
    four_weeks_ago: float | None
    value_text: str
    previous_text: str
    wow_text: str
    four_week_text: str
    band_text: str
    verdict: str  # "better", "worse", "unchanged" or "" (no comparison)

    @property
    def period_text(self) -> str:
        return f"week of {self.period}" if self.grain == "week" else f"month {self.period:%Y-%m}"


@dataclass(frozen=True)
class Mover:
    """The team or service whose stored value moved most, for one metric, one way."""

    metric: str
    label: str
    scope: str
    scope_id: str
    name: str
    previous_text: str
    value_text: str
    delta_text: str
    improved: bool

    @property
    def text(self) -> str:
        return f"{self.name}: {self.previous_text} → {self.value_text} ({self.delta_text})"


@dataclass(frozen=True)
class MoverRow:
    label: str
    scope: str
    improved: Mover | None
    worsened: Mover | None


@dataclass(frozen=True)
class Anomaly:
    metric: str
    label: str
    scope: str
    scope_id: str
    name: str
    value_text: str
    low_text: str
    high_text: str
    side: str  # "above" or "below"
    good: bool


@dataclass(frozen=True)
class IncidentRow:
    incident_id: str
    opened_text: str
    severity: str
    service: str
    team: str
    resolved_text: str
    links_text: str


@dataclass(frozen=True)
class Series:
    """One metric's org-level weekly values for a trend chart (None: undefined week)."""

    metric: str
    label: str
    unit: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class ChartSpec:
    """A trend chart: small multiples over the same weeks, the report week highlighted."""

    name: str  # file stem and div id suffix
    title: str
    weeks: tuple[str, ...]
    series: tuple[Series, ...]


@dataclass(frozen=True)
class Quality:
    quarantine_total: int | None
    quarantine_week: tuple[tuple[str, str, int], ...]
    last_run: tuple[str, str, str, str, str] | None  # id, status, started, finished, quarantined
    runs_published: bool


@dataclass
class ReportContent:
    """The whole report, every figure already formatted."""

    week: IsoWeek
    title: str
    subtitle: str
    has_data: bool
    headlines: list[str] = field(default_factory=list)
    dora: list[MetricRow] = field(default_factory=list)
    other: list[MetricRow] = field(default_factory=list)
    movers: list[MoverRow] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    anomalies_left_off: int = 0
    incidents: list[IncidentRow] | None = None
    incidents_linked: int = 0
    quality: Quality | None = None
    roadmap: tuple[list[str], list[list[str]]] | None = None
    charts: list[ChartSpec] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def build_content(snap: Snapshot) -> ReportContent:
    """Turn a snapshot into the report: sections first, then sentences from their figures."""
    week = snap.week
    content = ReportContent(
        week=week,
        title=f"Weekly metric report, {week.key}",
        subtitle=f"Monday {_day(week.monday)} to Sunday {_day(week.sunday)} (UTC)",
        has_data=snap.week_has_data(),
        notes=list(snap.notes),
    )
    catalog = {c.metric: c for c in snap.catalog}
    dora = [catalog[m] for m in DORA_METRICS if m in catalog]
    others = [c for c in snap.catalog if c.metric not in DORA_METRICS]
    content.incidents = _incidents(snap)
    content.incidents_linked = sum(1 for i in snap.incidents or [] if i.links)
    content.quality = _quality(snap)
    content.roadmap = _roadmap(snap)
    if content.has_data:
        content.dora = [r for r in (_metric_row(snap, c) for c in dora) if r]
        content.other = [r for r in (_metric_row(snap, c) for c in others) if r]
        content.movers = _movers(snap, [*dora, *others])
        anomalies = _anomalies(snap, [*dora, *others])
        org = [a for a in anomalies if a.scope == "org"]
        teams = [a for a in anomalies if a.scope != "org"]
        content.anomalies = org + teams[:ANOMALY_TEAM_LIMIT]
        content.anomalies_left_off = max(0, len(teams) - ANOMALY_TEAM_LIMIT)
        content.charts = _charts(snap, dora, others)
    content.headlines = _headlines(snap, content)
    return content


# --- metric tables ---------------------------------------------------------------------------


def _period(entry: CatalogEntry, week: IsoWeek) -> tuple[str, date, date | None, date | None]:
    """(grain, period, previous period, four weeks earlier) a metric is reported on."""
    if "week" in entry.grains:
        return "week", week.monday, week.shift(-1).monday, week.shift(-4).monday
    month = week.monday.replace(day=1)
    previous = (month - timedelta(days=1)).replace(day=1)
    return "month", month, previous, None


def _metric_row(snap: Snapshot, entry: CatalogEntry) -> MetricRow | None:
    grain, period, prev_period, four_period = _period(entry, snap.week)
    if not snap.has_row(entry.metric, period, grain=grain):
        return None
    value = snap.value(entry.metric, period, grain=grain)
    previous = snap.value(entry.metric, prev_period, grain=grain) if prev_period else None
    four = snap.value(entry.metric, four_period, grain=grain) if four_period else None
    wow = _diff(value, previous)
    band = snap.bands.get(entry.metric)
    band_text = DASH
    if band is not None and band.band:
        weeks = (band.window_end - band.window_start).days // 7 + 1
        band_text = f"{band.band} ({weeks} wk to {band.window_end}, {band.report_year} bands)"
    verdict = ""
    if wow is not None:
        verdict = (
            "unchanged" if wow == 0 else "better" if _is_better(wow, entry.direction) else ("worse")
        )
    return MetricRow(
        metric=entry.metric,
        label=entry.label,
        unit=entry.unit,
        direction=entry.direction,
        grain=grain,
        period=period,
        value=value,
        previous=previous,
        four_weeks_ago=four,
        value_text=format_value(value, entry.unit),
        previous_text=format_value(previous, entry.unit),
        wow_text=format_delta(wow, entry.unit),
        four_week_text=format_delta(_diff(value, four), entry.unit),
        band_text=band_text,
        verdict=verdict,
    )


# --- movers ------------------------------------------------------------------------------------


def _scope_name(snap: Snapshot, scope: str, scope_id: str) -> str:
    if scope == "team":
        return snap.team_names.get(scope_id, scope_id)
    if scope == "service":
        return snap.service_names.get(scope_id, scope_id)
    return "the organisation"


def _scope_deltas(
    snap: Snapshot, entry: CatalogEntry, scope: str
) -> list[tuple[str, float, float, float]]:
    """(scope_id, previous, value, delta) for every scope id defined in both weeks."""
    monday, before = snap.week.monday, snap.week.shift(-1).monday
    ids = sorted(
        {k[4] for k in snap.values if k[0] == entry.metric and k[1] == "week" and k[3] == scope}
    )
    out = []
    for scope_id in ids:
        value = snap.value(entry.metric, monday, scope, scope_id)
        previous = snap.value(entry.metric, before, scope, scope_id)
        if value is not None and previous is not None and value != previous:
            out.append((scope_id, previous, value, value - previous))
    return out


def _mover(snap: Snapshot, entry: CatalogEntry, scope: str, item: tuple) -> Mover:
    scope_id, previous, value, delta = item
    return Mover(
        metric=entry.metric,
        label=entry.label,
        scope=scope,
        scope_id=scope_id,
        name=_scope_name(snap, scope, scope_id),
        previous_text=format_value(previous, entry.unit),
        value_text=format_value(value, entry.unit),
        delta_text=format_delta(delta, entry.unit),
        improved=_is_better(delta, entry.direction),
    )


def _movers(snap: Snapshot, entries: list[CatalogEntry]) -> list[MoverRow]:
    rows = []
    for entry in entries:
        if "week" not in entry.grains:
            continue
        for scope in MOVER_SCOPES:
            deltas = _scope_deltas(snap, entry, scope)
            # Largest move first; ties broken by id so the choice is stable.
            ranked = sorted(deltas, key=lambda d: (-abs(d[3]), d[0]))
            best = next((d for d in ranked if _is_better(d[3], entry.direction)), None)
            worst = next((d for d in ranked if not _is_better(d[3], entry.direction)), None)
            if best or worst:
                rows.append(
                    MoverRow(
                        label=entry.label,
                        scope=scope,
                        improved=_mover(snap, entry, scope, best) if best else None,
                        worsened=_mover(snap, entry, scope, worst) if worst else None,
                    )
                )
    return rows


# --- anomalies ---------------------------------------------------------------------------------


def _anomalies(snap: Snapshot, entries: list[CatalogEntry]) -> list[Anomaly]:
    week = snap.week
    history = [week.shift(-n).monday for n in range(1, ANOMALY_WEEKS + 1)]
    found = []
    for scope in ("org", "team"):
        for entry in entries:
            if "week" not in entry.grains:
                continue
            ids = sorted(
                {
                    k[4]
                    for k in snap.values
                    if k[0] == entry.metric and k[1] == "week" and k[3] == scope
                }
            )
            for scope_id in ids:
                value = snap.value(entry.metric, week.monday, scope, scope_id)
                past = [snap.value(entry.metric, d, scope, scope_id) for d in history]
                defined = [v for v in past if v is not None]
                if value is None or len(defined) < ANOMALY_MIN_HISTORY:
                    continue
                low, high = min(defined), max(defined)
                if low <= value <= high:
                    continue
                side = "above" if value > high else "below"
                found.append(
                    Anomaly(
                        metric=entry.metric,
                        label=entry.label,
                        scope=scope,
                        scope_id=scope_id,
                        name=_scope_name(snap, scope, scope_id),
                        value_text=format_value(value, entry.unit),
                        low_text=format_value(low, entry.unit),
                        high_text=format_value(high, entry.unit),
                        side=side,
                        good=(side == "above") == (entry.direction == "higher_is_better"),
                    )
                )
    return found


# --- incidents, quality, roadmap ---------------------------------------------------------------


def _incidents(snap: Snapshot) -> list[IncidentRow] | None:
    if snap.incidents is None:
        return None
    rows = []
    for incident in snap.incidents:
        team_id = snap.service_teams.get(incident.service_id)
        rows.append(
            IncidentRow(
                incident_id=incident.incident_id,
                opened_text=_stamp(incident.opened_at),
                severity=incident.severity or DASH,
                service=snap.service_names.get(incident.service_id, incident.service_id),
                team=snap.team_names.get(team_id, team_id) if team_id else DASH,
                resolved_text=_stamp(incident.resolved_at) if incident.resolved_at else "open",
                links_text=", ".join(f"{d} ({m})" for d, m in incident.links) or "none",
            )
        )
    return rows


def _quality(snap: Snapshot) -> Quality:
    run = snap.last_run
    last = None
    if run is not None:
        last = (
            run.run_id,
            run.status,
            _stamp(run.started_at),
            _stamp(run.finished_at),
            DASH if run.quarantined is None else f"{run.quarantined:,}",
        )
    return Quality(
        quarantine_total=snap.quarantine_total,
        quarantine_week=tuple(snap.quarantine_week),
        last_run=last,
        runs_published=snap.runs_published,
    )


def _cell(value: object) -> str:
    if value is None:
        return DASH
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _roadmap(snap: Snapshot) -> tuple[list[str], list[list[str]]] | None:
    if snap.roadmap is None:
        return None
    columns, rows = snap.roadmap
    return columns, [[_cell(v) for v in row] for row in rows]


# --- charts ------------------------------------------------------------------------------------


def _series(snap: Snapshot, entries: list[CatalogEntry], weeks: list[IsoWeek]) -> list[Series]:
    out = []
    for entry in entries:
        if "week" not in entry.grains:
            continue
        values = tuple(snap.value(entry.metric, w.monday) for w in weeks)
        if any(v is not None for v in values):
            out.append(Series(entry.metric, entry.label, entry.unit, values))
    return out


def _charts(
    snap: Snapshot, dora: list[CatalogEntry], others: list[CatalogEntry]
) -> list[ChartSpec]:
    weeks = [snap.week.shift(-n) for n in range(TREND_WEEKS - 1, -1, -1)]
    keys = tuple(w.key for w in weeks)
    charts = []
    dora_series = _series(snap, dora, weeks)
    if dora_series:
        charts.append(
            ChartSpec(
                "dora_trends",
                "DORA metrics, whole organisation, 12 weeks",
                keys,
                tuple(dora_series),
            )
        )
    other_series = _series(snap, others, weeks)
    if other_series:
        charts.append(
            ChartSpec(
                "other_trends",
                "Other weekly metrics, whole organisation",
                keys,
                tuple(other_series),
            )
        )
    return charts


# --- headlines ---------------------------------------------------------------------------------


def _driver(snap: Snapshot, entry: CatalogEntry, org_delta: float) -> str:
    """The team whose stored value moved most in the same direction as the organisation's."""
    same_way = [d for d in _scope_deltas(snap, entry, "team") if (d[3] > 0) == (org_delta > 0)]
    if not same_way:
        return ""
    team_id, previous, value, _ = sorted(same_way, key=lambda d: (-abs(d[3]), d[0]))[0]
    name = _scope_name(snap, "team", team_id)
    return (
        f", driven by the {name} team ({format_value(previous, entry.unit)} to "
        f"{format_value(value, entry.unit)})"
    )


def _dora_sentence(snap: Snapshot, entry: CatalogEntry, row: MetricRow) -> str:
    if row.value is None:
        return f"{row.label} has no value this week (nothing to measure)."
    if row.previous is None:
        return f"{row.label} was {row.value_text}; the week before has no value to compare."
    delta = row.value - row.previous
    if delta == 0:
        return f"{row.label} held at {row.value_text}."
    verb = "rose" if delta > 0 else "fell"
    judgement = "an improvement" if _is_better(delta, entry.direction) else "a deterioration"
    return (
        f"{row.label} {verb} from {row.previous_text} to {row.value_text} ({judgement})"
        f"{_driver(snap, entry, delta)}."
    )


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def _headlines(snap: Snapshot, content: ReportContent) -> list[str]:
    week = snap.week
    if not content.has_data:
        lines = [f"No metric values are published for {week.key} ({content.subtitle})."]
        if snap.week_range:
            first, last = snap.week_range
            lines.append(
                f"The published warehouse holds weeks {IsoWeek.containing(first).key} to "
                f"{IsoWeek.containing(last).key}."
            )
        elif snap.published:
            lines.append("The published warehouse holds no weekly metric values yet.")
        return lines + _event_sentences(content)
    catalog = {c.metric: c for c in snap.catalog}
    lines = [_dora_sentence(snap, catalog[row.metric], row) for row in content.dora]
    for anomaly in content.anomalies:
        if anomaly.scope == "org":
            lines.append(
                f"{anomaly.label} of {anomaly.value_text} is {anomaly.side} its range of the "
                f"previous {ANOMALY_WEEKS} weeks ({anomaly.low_text} to {anomaly.high_text})."
            )
    return lines + _event_sentences(content)


def _event_sentences(content: ReportContent) -> list[str]:
    lines = []
    if content.incidents is not None:
        count = len(content.incidents)
        if count == 0:
            lines.append("No incident was opened this week.")
        else:
            lines.append(
                f"{_plural(count, 'incident')} opened this week; "
                f"{content.incidents_linked:,} linked to a deployment."
            )
    quality = content.quality
    if quality is not None:
        quarantined = sum(n for _, _, n in quality.quarantine_week)
        if quarantined:
            verb = "was" if quarantined == 1 else "were"
            lines.append(f"{_plural(quarantined, 'record')} {verb} quarantined this week.")
        if quality.last_run and quality.last_run[1].lower() not in ("success", "succeeded"):
            lines.append(
                f"The last pipeline run ({quality.last_run[0]}) has status {quality.last_run[1]}."
            )
    return lines
