"""The shape of `paved.toml`: one typed model per section, and errors a person can act on.

These models say which keys exist and what type each value has; nothing more. Strict: a string is
never read as a number or a boolean, an unknown key or section is refused. What a value means
(a regex that compiles, a band year that exists, a metric of the registry, a source's required
keys) stays with the code that uses it: `Rules.validate`, `pipelines.roadmap`, `pipelines.impact`,
the connectors. `pipelines.config.load_config` runs both, for the whole file, in one place.

Models hold no defaults: a field left out of the file stays unset (`given(section)` leaves it out)
and the dataclass that uses the section supplies its default, so each default lives once.

A failed validation becomes one line per problem, naming the key path and what is expected:
`[rules] band_window_weeks: expected an integer, got the string '12'` (see `problems`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError
from pydantic_core import PydanticCustomError

# --- values -------------------------------------------------------------------------------------


def describe(value: Any) -> str:
    """A TOML value as a person reads it: "the string '12'", "the integer 5", "a table"."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {value}"
    if isinstance(value, dt.datetime):
        return f"the date-time {value.isoformat()}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, dt.time):
        return f"the time {value.isoformat()}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"a {type(value).__name__}"


def _refuse(expected: str, value: Any) -> PydanticCustomError:
    return PydanticCustomError(
        "paved_config",
        "expected {expected}, got {got}",
        {"expected": expected, "got": describe(value)},
    )


def _check(expected: str, accept: Callable[[Any], bool]) -> PlainValidator:
    def validate(value: Any) -> Any:
        if not accept(value):
            raise _refuse(expected, value)
        return value

    return PlainValidator(validate)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _int_at_least(low: int) -> Any:
    return Annotated[int, _check(f"an integer >= {low}", lambda v: _is_int(v) and v >= low)]


def _number(low: float, inclusive: bool) -> Any:
    # int stays int and float stays float: the value reaches meta.* as written.
    sign = ">=" if inclusive else ">"
    return Annotated[
        float,
        _check(
            f"a number {sign} {low:g}",
            lambda v: _is_number(v) and (v >= low if inclusive else v > low),
        ),
    ]


Str = Annotated[str, _check("a string", lambda v: isinstance(v, str))]
Bool = Annotated[bool, _check("true or false", lambda v: isinstance(v, bool))]
Int = Annotated[int, _check("an integer", _is_int)]
IntAtLeast0 = _int_at_least(0)
IntAtLeast1 = _int_at_least(1)
IntAtLeast1024 = _int_at_least(1024)
Number = Annotated[float, _check("a number", _is_number)]
NonNegative = _number(0, inclusive=True)
Positive = _number(0, inclusive=False)
StrList = list[Str]
StrMap = dict[str, Str]
Patterns = Annotated[
    Any,
    _check(
        "a regex or an array of regexes",
        lambda v: (
            isinstance(v, str) or (isinstance(v, list) and all(isinstance(p, str) for p in v))
        ),
    ),
]
Addresses = Annotated[
    Any,
    _check(
        "an address or an array of addresses",
        lambda v: (
            isinstance(v, str) or (isinstance(v, list) and all(isinstance(a, str) for a in v))
        ),
    ),
]
# A roadmap date: a TOML date, or a string that pipelines.roadmap parses (YYYY-MM-DD, end-<n>w).
DateSpec = Annotated[
    Any,
    _check(
        "a date (YYYY-MM-DD) or end-<n>w / end+<n>w",
        lambda v: isinstance(v, str | dt.date),
    ),
]
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> str:
    """A date written as a TOML date or as the string YYYY-MM-DD, kept as that string."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    raise _refuse("a date YYYY-MM-DD", value)


IsoDate = Annotated[str, PlainValidator(_iso_date)]


class Section(BaseModel):
    """A TOML table: every key declared, every other key refused."""

    model_config = ConfigDict(extra="forbid")


# --- sections -----------------------------------------------------------------------------------
# Field names equal the dataclass fields that use them (pipelines.config.Rules, roadmap, impact);
# tests/pipelines/test_config_validation.py checks that they stay equal.


class RulesSection(Section):
    """`[rules]`: see pipelines.config.Rules for the defaults and what each rule means."""

    production_env_regex: Str = None
    incident_severities: StrList = None
    attribution_window_hours: Number = None  # > 0: Rules.validate
    rollback_is_failure: Bool = None
    band_window_weeks: Int = None  # >= 1: Rules.validate
    band_year: Int = None  # 2023 or 2024: Rules.validate
    min_group_size: Int = None  # >= 1: Rules.validate
    earliest_event_at: IsoDate = None
    event_future_tolerance_hours: NonNegative = None
    earliest_employment_date: IsoDate = None
    employment_future_tolerance_days: IntAtLeast0 = None
    max_field_bytes: IntAtLeast1024 = None


class DeployRuleSection(Section):
    """`[[sources.<name>.deploy_rules]]`; what the patterns mean: connectors.mapping.DeployRule."""

    workflow: Patterns = None
    job: Patterns = None
    environment: Str = None  # required: DeployRule.parse says so


class SourceSection(BaseModel):
    """`[sources.<name>]`: the type of every key any source accepts (docs/sources.md).

    Which keys a given `type` accepts, which are required and what they mean is the
    connector's to say (`pipelines.connectors.check_source`), so unknown keys pass here.
    """

    model_config = ConfigDict(extra="allow")

    # every source
    type: Str = None
    base_url: Str = None
    token_env: Str = None
    lookback_hours: NonNegative = None
    history_days: Positive = None
    per_page: IntAtLeast1 = None
    timeout_s: Positive = None
    max_attempts: IntAtLeast1 = None
    rate_limit_budget_s: NonNegative = None
    streams: StrList = None
    # GitHub and GitLab
    services: StrMap = None  # also PagerDuty, Opsgenie, Backstage
    branch: Str = None
    golden_path_pattern: Patterns = None
    deploy_rules: list[DeployRuleSection] = None
    rollback_pattern: Patterns = None
    hotfix_pattern: Patterns = None
    platform_actors: StrList = None
    repos: StrList = None
    orgs: StrList = None
    runs_window_cap: IntAtLeast1 = None
    projects: StrList = None
    groups: StrList = None
    pipeline_details: Bool = None
    # PagerDuty and Opsgenie
    service_ids: StrList = None
    default_service: Str = None
    window_days: Positive = None
    offset_cap: IntAtLeast1 = None
    log_entries: Bool = None
    query: Str = None
    # Backstage
    component_types: StrList = None
    group_types: StrList = None
    topologies: StrMap = None
    # HR CSV export
    path: Str = None
    columns: StrMap = None
    teams: StrMap = None
    date_format: Str = None
    delimiter: Str = None
    encoding: Str = None
    config_dir: Str = None


class InboxSection(Section):
    """`[inbox]`: folders of canonical files every run loads (relative to the file)."""

    paths: StrList = None


class ReportSection(Section):
    """`[report]`: delivery of the weekly report (docs/report.md)."""

    slack_webhook_env: Str = None
    smtp_host: Str = None
    smtp_port: Int = None
    smtp_starttls: Bool = None
    smtp_user_env: Str = None
    smtp_password_env: Str = None
    mail_from: Str = None
    mail_to: Addresses = None
    public_url: Str = None
    timezone: Str = None
    max_attempts: Int = None
    backoff_seconds: NonNegative = None
    timeout_seconds: Positive = None


class InitiativeSection(Section):
    """One `[[roadmap.initiatives]]`: every key required; meaning checked by pipelines.roadmap."""

    id: Str
    title: Str
    capability: Str
    target_metric: Str
    scope: Str
    baseline_start: DateSpec
    baseline_end: DateSpec
    target_value: Number
    due_date: DateSpec


class RoadmapSection(Section):
    """`[roadmap]` and its `[[roadmap.initiatives]]` (docs/platform.md)."""

    current_window_weeks: IntAtLeast1 = None
    on_track_tolerance: NonNegative = None
    initiatives: list[InitiativeSection] = None


class FrictionSection(Section):
    """`[friction]`: bounds are FrictionThresholds.validate's (docs/platform.md)."""

    window_weeks: Int = None
    onboarding_days: Number = None
    onboarding_cohort_months: Int = None
    slow_onboarding_engineers: Int = None
    hand_rolled_pipeline_teams: Int = None
    ticket_request_teams: Int = None
    drift_cause_pattern: Str = None
    drift_incidents: Int = None
    ticket_requests: Int = None
    self_served_by_teams: Int = None


class ImpactSection(Section):
    """`[impact]`: ranges are ImpactSettings.from_raw's (docs/platform.md)."""

    min_observations: Int = None
    min_engineers: Int = None
    min_teams: Int = None
    bootstrap_samples: Int = None
    confidence: Number = None
    seed: Int = None


class SqlSection(Section):
    """`[sql]`: limits of `paved sql` queries (reserved: not read yet)."""

    memory_limit_gb: Positive = None
    timeout_s: Positive = None
    max_rows: IntAtLeast1 = None


class PavedFile(Section):
    """The whole file: these sections, and no other."""

    rules: RulesSection = None
    sources: dict[str, SourceSection] = None
    inbox: InboxSection = None
    report: ReportSection = None
    roadmap: RoadmapSection = None
    friction: FrictionSection = None
    impact: ImpactSection = None
    sql: SqlSection = None


# --- errors -------------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


class SectionError(ValueError):
    """Some values of a section have the wrong type or an unknown key; one problem per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def given(section: BaseModel | None) -> dict[str, Any]:
    """The keys the file sets in a validated section, with their values as written."""
    if section is None:
        return {}
    return {name: getattr(section, name) for name in section.model_fields_set}


def check(model: type[M], data: Any, *loc: str | int) -> M:
    """`data` validated by `model`, or SectionError. `loc` is where `data` sits in the file
    (`"friction"`, or `"sources", "github"`) so each problem names its whole key path."""
    try:
        return model.model_validate({} if data is None else data)
    except ValidationError as exc:
        raise SectionError(problems(exc, model, loc)) from None


def problems(exc: ValidationError, model: type[BaseModel], prefix: Loc = ()) -> list[str]:
    """One sentence per error: `<key path>: <what is expected>, got <what was found>`."""
    lines: list[str | Loc] = []
    missing: dict[Loc, list[str]] = {}  # one line per table for its missing keys
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        where = key_path(prefix + loc)
        kind = error["type"]
        if kind == "paved_config":
            lines.append(f"{where}: {error['msg']}")
        elif kind == "extra_forbidden":
            lines.append(f"{where}: {_unknown(model, prefix, loc)}")
        elif kind == "missing":
            if loc[:-1] not in missing:
                missing[loc[:-1]] = []
                lines.append(loc[:-1])  # placeholder, filled in below
            missing[loc[:-1]].append(str(loc[-1]))
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            lines.append(f"{where}: expected a table, got {describe(error['input'])}")
        elif kind == "list_type":
            lines.append(f"{where}: expected an array, got {describe(error['input'])}")
        else:  # not reached with the types above; still one readable line
            lines.append(f"{where}: {error['msg'].lower()}, got {describe(error['input'])}")
    return [
        f"{key_path(prefix + line)}: missing required key(s) {', '.join(missing[line])}"
        if isinstance(line, tuple)
        else line
        for line in lines
    ]


def _unknown(model: type[BaseModel], prefix: Loc, loc: Loc) -> str:
    known = sorted(_fields_at(model, loc[:-1]))
    if not prefix and len(loc) == 1:
        return f"unknown section; the sections are {', '.join(known)}"
    what = "rule" if (prefix + loc)[0] == "rules" and len(prefix + loc) == 2 else "key"
    accepted = f"; expected one of {', '.join(known)}" if known else ""
    return f"unknown {what}{accepted}"


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the table at `loc` (relative to `model`) declares."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return []
            current = field.annotation
        elif get_origin(current) in (list, dict):
            current = get_args(current)[-1]
        else:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(part: str) -> str:
    return part if _BARE_KEY.match(part) else f'"{part}"'


def key_path(loc: Loc) -> str:
    """`[rules] band_year`, `[sources.github] deploy_rules[0].environment`,
    `[[roadmap.initiatives]] #2 target_value`, `[sql]` (the table itself)."""
    if not loc:
        return "the file"
    head, rest = str(loc[0]), loc[1:]
    if head == "sources" and rest:
        section, rest = f"[sources.{_key(str(rest[0]))}]", rest[1:]
    elif head == "roadmap" and len(rest) >= 2 and rest[0] == "initiatives":
        if isinstance(rest[1], int):
            section, rest = f"[[roadmap.initiatives]] #{rest[1] + 1}", rest[2:]
        else:
            section = "[roadmap]"
    else:
        section = f"[{_key(head)}]"
    if not rest:
        return section
    path = ""
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else f"{'.' if path else ''}{_key(part)}"
    return f"{section} {path}"
