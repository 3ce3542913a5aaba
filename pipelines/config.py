"""The project's configuration file (`paved.toml`): DORA rules, privacy, sources.

`load_config` is the one place that says yes or no to the whole file: the shape of every section
(pipelines.config_models: strict types, no unknown key or section), then the meaning of each,
by the code that owns it. Every problem is a ConfigError naming the file and the key.

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

from pipelines.config_models import PavedFile, SectionError, check, given


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
    """Read a `paved.toml`; no path means the contract's defaults.

    The whole file is checked here, once: every problem found is listed in one ConfigError, one
    line each, naming the file, the key and what is expected.
    """
    if path is None:
        return Config()
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"configuration file {file} does not exist: check --config")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc}); fix the line it names") from exc
    rules = validate_file(data, str(file))
    inboxes = tuple((file.parent / p).resolve() for p in data.get("inbox", {}).get("paths", []))
    return Config(
        rules=rules, sources=data.get("sources", {}), inboxes=inboxes, path=file, raw=data
    )


def validate_file(data: dict[str, Any], where: str) -> Rules:
    """The rules of a parsed `paved.toml`, or ConfigError listing what is wrong in the file.

    First the shape of every section (config_models: types, unknown keys and sections), then,
    when the shape is right, what the values mean, by the code that owns each section:
    `Rules.validate`, the connectors (`check_source`), the platform sections
    (`load_platform_settings`: roadmap, friction, impact). `[report]`, `[inbox]` and `[sql]` are
    fully described by their models.
    """
    try:
        shape = check(PavedFile, data)
    except SectionError as exc:
        raise ConfigError("\n".join(f"{where}: {line}" for line in exc.problems)) from None
    problems: list[str] = []
    settings = given(shape.rules)
    if settings.get("incident_severities") is not None:
        settings["incident_severities"] = tuple(settings["incident_severities"])
    rules = Rules(**settings)
    try:
        rules.validate(f"{where} [rules]")
    except ConfigError as exc:
        problems.append(str(exc))
    if data.get("sources"):
        from pipelines.connectors import SourceConfigError, check_source

        for name, source in data["sources"].items():
            try:
                check_source(name, source)
            except SourceConfigError as exc:
                problems.append(f"{where}: {exc}")
    if any(data.get(section) for section in ("roadmap", "friction", "impact")):
        from pipelines.roadmap import PlatformConfigError, load_platform_settings

        try:
            load_platform_settings(data)
        except PlatformConfigError as exc:
            problems.append(f"{where}: {exc}")
    if problems:
        raise ConfigError("\n".join(problems))
    return rules
