"""The metric registry: loads and validates the metric definitions; the one API everyone reads.

Definitions are data (`metrics/*.yml`, a list under `metrics:`), each naming one SQL file in
`metrics/sql/` that SELECTs the metric's *events* from the marts. The metric layer
(`metrics.compute`) turns events into `metrics.metric_values` the same way for every metric of a
kind, so a metric is added by writing YAML and one SELECT, never Python. Performance bands are
data too (`metrics/bands.csv`), with the report year they come from.

Every metric SQL returns exactly these columns (one row per event):
    event_at TIMESTAMP     the instant that places the event in a period (UTC)
    service_id VARCHAR     the service scope (NULL: not reported per service)
    team_id VARCHAR        the team scope (NULL: not reported per team)
    value DOUBLE           the measured value (quantile kinds) or numerator (ratio)
    denominator DOUBLE     the ratio's denominator contribution (ratio kinds; else NULL)

A metric marked `per_grain: true` measures a state rather than events (a share of the services
that exist at the end of each week, the users active in a month): its SQL crosses the calendar
itself and returns one more column,
    grain VARCHAR          the grain ('week' or 'month') the row belongs to,
with event_at at the period start; each row counts only in periods of its own grain.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

METRICS_DIR = Path(__file__).resolve().parent
SQL_DIR = METRICS_DIR / "sql"
BANDS_FILE = METRICS_DIR / "bands.csv"

UNITS = ("count", "days", "hours", "minutes", "ratio", "engineers")
DIRECTIONS = ("higher_is_better", "lower_is_better")
# count: events per period; distinct_days: days with at least one event; ratio: sum(value) /
# sum(denominator); quantile: interpolated quantile (quantile_cont) of value.
KINDS = ("count", "distinct_days", "ratio", "quantile")
GRAINS = ("week", "month")
SCOPES = ("service", "team", "org")
BANDS = ("elite", "high", "medium", "low")
EVENT_COLUMNS = ("event_at", "service_id", "team_id", "value", "denominator")
PER_GRAIN_COLUMNS = (*EVENT_COLUMNS, "grain")

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SQL_FILE = re.compile(r"^[a-z][a-z0-9_]*\.sql$")
_FIELDS = {
    "name", "label", "unit", "description", "direction", "kind", "grains", "scopes", "sql",
    "quantile", "private", "banded", "definition", "per_grain",
}  # fmt: skip


class RegistryError(ValueError):
    """A metric definition that cannot be used; the message names the file and the metric."""


@dataclass(frozen=True)
class MetricDefinition:
    """One metric, as written in its YAML file (validated)."""

    name: str
    label: str
    unit: str
    description: str
    direction: str
    kind: str
    grains: tuple[str, ...]
    scopes: tuple[str, ...]
    sql: str  # file name in metrics/sql/
    definition: str  # markdown: the exact rule, for the catalog and docs/metrics.md
    quantile: float | None = None  # quantile kinds: 0.5 is the median
    private: bool = False  # value NULL when fewer than rules.min_group_size in the sample
    banded: bool = False  # has performance bands in bands.csv
    per_grain: bool = False  # SQL returns a grain column: rows are per (grain, period) states
    source_file: str = ""

    @property
    def sql_path(self) -> Path:
        return SQL_DIR / self.sql

    def sql_text(self) -> str:
        """The metric's SELECT (one statement, no trailing semicolon)."""
        return self.sql_path.read_text(encoding="utf-8").strip().rstrip(";").strip()


@dataclass(frozen=True)
class Band:
    """One performance band of one metric in one State of DevOps report year.

    A value v is in the band when lower <= v < upper (NULL bound: unbounded). The bands of a
    (metric, year) partition the value axis, so every value gets exactly one band.
    """

    metric: str
    report_year: int
    band: str
    lower: float | None
    upper: float | None
    reported: str  # the report's own wording for the cluster
    source: str


def _tuple_of(value: Any, allowed: tuple[str, ...], where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise RegistryError(f"{where}: {key} must be a non-empty list")
    bad = [v for v in value if v not in allowed]
    if bad:
        raise RegistryError(f"{where}: {key} {bad} not in {list(allowed)}")
    return tuple(value)


def _one_of(raw: dict[str, Any], key: str, allowed: tuple[str, ...], where: str) -> str:
    value = raw.get(key)
    if value not in allowed:
        raise RegistryError(f"{where}: {key} must be one of {list(allowed)}, not {value!r}")
    return str(value)


def _text(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RegistryError(f"{where}: {key} is required text")
    return value.strip()


def _parse(raw: Any, file: Path) -> MetricDefinition:
    if not isinstance(raw, dict):
        raise RegistryError(f"{file.name}: each metric must be a mapping")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise RegistryError(f"{file.name}: invalid metric name {name!r}")
    where = f"{file.name}: {name}"
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise RegistryError(f"{where}: unknown keys {unknown}")
    sql = raw.get("sql")
    if not isinstance(sql, str) or not _SQL_FILE.match(sql):
        raise RegistryError(f"{where}: sql must be a file name like {name}.sql")
    if not (SQL_DIR / sql).is_file():
        raise RegistryError(f"{where}: metrics/sql/{sql} does not exist")
    kind = _one_of(raw, "kind", KINDS, where)
    quantile = raw.get("quantile")
    if kind == "quantile":
        if not isinstance(quantile, int | float) or not 0 < quantile < 1:
            raise RegistryError(f"{where}: a quantile metric needs quantile in (0, 1)")
        quantile = float(quantile)
    elif quantile is not None:
        raise RegistryError(f"{where}: quantile is only for kind quantile")
    for flag in ("private", "banded", "per_grain"):
        if not isinstance(raw.get(flag, False), bool):
            raise RegistryError(f"{where}: {flag} must be true or false")
    return MetricDefinition(
        name=name,
        label=_text(raw, "label", where),
        unit=_one_of(raw, "unit", UNITS, where),
        description=_text(raw, "description", where),
        direction=_one_of(raw, "direction", DIRECTIONS, where),
        kind=kind,
        grains=_tuple_of(raw.get("grains"), GRAINS, where, "grains"),
        scopes=_tuple_of(raw.get("scopes"), SCOPES, where, "scopes"),
        sql=sql,
        definition=_text(raw, "definition", where),
        quantile=quantile,
        private=bool(raw.get("private", False)),
        banded=bool(raw.get("banded", False)),
        per_grain=bool(raw.get("per_grain", False)),
        source_file=file.name,
    )


def load_bands(path: Path | None = None) -> tuple[Band, ...]:
    """Read and validate the performance bands (the CSV is data, not code)."""
    path = path or BANDS_FILE
    bands: list[Band] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for i, row in enumerate(csv.DictReader(handle), start=2):
            where = f"{path.name} line {i}"
            try:
                band = Band(
                    metric=row["metric"],
                    report_year=int(row["report_year"]),
                    band=row["band"],
                    lower=float(row["lower"]) if row["lower"] else None,
                    upper=float(row["upper"]) if row["upper"] else None,
                    reported=row["reported"],
                    source=row["source"],
                )
            except (KeyError, ValueError) as exc:
                raise RegistryError(f"{where}: {exc}") from exc
            if band.band not in BANDS:
                raise RegistryError(f"{where}: band {band.band!r} not in {list(BANDS)}")
            if band.lower is not None and band.upper is not None and band.lower >= band.upper:
                raise RegistryError(f"{where}: lower must be below upper")
            bands.append(band)
    _check_partition(bands, path)
    return tuple(bands)


def _check_partition(bands: list[Band], path: Path) -> None:
    """Each (metric, year) must have the four bands, tiling the axis with no gap or overlap."""
    groups: dict[tuple[str, int], list[Band]] = {}
    for band in bands:
        groups.setdefault((band.metric, band.report_year), []).append(band)
    for (metric, year), group in groups.items():
        where = f"{path.name}: {metric} {year}"
        if sorted(b.band for b in group) != sorted(BANDS):
            raise RegistryError(f"{where}: needs exactly the bands {list(BANDS)}")
        ordered = sorted(group, key=lambda b: float("-inf") if b.lower is None else b.lower)
        if ordered[0].lower not in (None, 0.0) or ordered[-1].upper is not None:
            raise RegistryError(f"{where}: bands must start at 0 (or unbounded) and end unbounded")
        for below, above in zip(ordered, ordered[1:], strict=False):
            if below.upper != above.lower:
                raise RegistryError(f"{where}: gap or overlap between {below.band}, {above.band}")


@lru_cache(maxsize=1)
def load_registry() -> dict[str, MetricDefinition]:
    """All metric definitions, validated, in file then listed order (name -> definition).

    Raises RegistryError naming the file and metric when a definition is unusable, so a bad
    definition fails the first test or run, not a dashboard.
    """
    metrics: dict[str, MetricDefinition] = {}
    for file in sorted(METRICS_DIR.glob("*.yml")):
        document = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        if not isinstance(document, dict) or not isinstance(document.get("metrics"), list):
            raise RegistryError(f"{file.name}: expected a mapping with a 'metrics' list")
        for raw in document["metrics"]:
            definition = _parse(raw, file)
            if definition.name in metrics:
                raise RegistryError(f"{file.name}: metric {definition.name} defined twice")
            metrics[definition.name] = definition
    banded = {b.metric for b in load_bands()}
    for definition in metrics.values():
        if definition.banded != (definition.name in banded):
            raise RegistryError(
                f"{definition.source_file}: {definition.name}: banded must be true exactly when "
                "bands.csv has bands for it"
            )
    unknown = banded - set(metrics)
    if unknown:
        raise RegistryError(f"bands.csv: bands for unknown metrics {sorted(unknown)}")
    return metrics
