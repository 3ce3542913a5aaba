"""The project's configuration file (`paved.toml`): DORA rules, privacy, sources.

Defaults are the contract's. The rules in force are written to `meta.rules` at the start of every
run (and appended to `meta.rule_history`), so every figure can be explained by the rules that made
it. Secrets never live here: a source names the environment variable that holds its token.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Rules:
    """Rules that vary between DORA tools; each default is the contract's (§3, §4)."""

    production_env_regex: str = "^(prod|production)$"
    incident_severities: tuple[str, ...] | None = None  # None: every incident counts
    attribution_window_hours: float | None = None  # None: latest earlier deployment, any age
    rollback_is_failure: bool = True
    band_window_weeks: int = 12
    band_year: int = 2024
    min_group_size: int = 5
    # Plausibility (contract §1, v2): a record outside these bounds is quarantined with the bound.
    earliest_event_at: str = "2000-01-01"  # event timestamps before this are implausible
    event_future_tolerance_hours: float = 24  # ... and after the run's time plus this
    earliest_employment_date: str = "1970-01-01"  # start/end dates before this are implausible
    employment_future_tolerance_days: int = 366  # ... and after the run's date plus this
    max_field_bytes: int = 65536  # a field longer than this is quarantined

    def validate(self, where: str) -> None:
        try:
            re.compile(self.production_env_regex)
        except re.error as exc:
            raise ConfigError(f"{where}: production_env_regex is not a regex: {exc}") from exc
        if self.band_year not in (2023, 2024):
            raise ConfigError(f"{where}: band_year must be 2023 or 2024, not {self.band_year}")
        if self.band_window_weeks < 1:
            raise ConfigError(f"{where}: band_window_weeks must be at least 1")
        if self.min_group_size < 1:
            raise ConfigError(f"{where}: min_group_size must be at least 1")
        if self.attribution_window_hours is not None and self.attribution_window_hours <= 0:
            raise ConfigError(f"{where}: attribution_window_hours must be positive")

    def as_record(self) -> dict[str, Any]:
        record = asdict(self)
        if self.incident_severities is not None:
            record["incident_severities"] = list(self.incident_severities)
        return record


@dataclass(frozen=True)
class Config:
    rules: Rules = field(default_factory=Rules)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    inboxes: tuple[Path, ...] = ()
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)  # whole file, for sections owned elsewhere


def load_config(path: str | os.PathLike[str] | None) -> Config:
    """Read a `paved.toml`; no path means the contract's defaults."""
    if path is None:
        return Config()
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"configuration file {file} does not exist: check --config")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc}); fix the line it names") from exc
    raw_rules = data.get("rules", {})
    known = set(Rules.__dataclass_fields__)
    unknown = sorted(set(raw_rules) - known)
    if unknown:
        raise ConfigError(f"{file}: unknown key(s) in [rules]: {', '.join(unknown)}")
    if "incident_severities" in raw_rules and raw_rules["incident_severities"] is not None:
        raw_rules["incident_severities"] = tuple(raw_rules["incident_severities"])
    try:
        rules = Rules(**raw_rules)
    except TypeError as exc:
        raise ConfigError(f"{file}: [rules]: {exc}") from exc
    rules.validate(str(file))
    inboxes = tuple((file.parent / p).resolve() for p in data.get("inbox", {}).get("paths", []))
    return Config(
        rules=rules, sources=data.get("sources", {}), inboxes=inboxes, path=file, raw=data
    )
