"""Small helpers every provider mapping shares: timestamps, patterns, entity refs, cursors.

Mappings are pure functions from one provider object to one canonical record (contract §1):
they never raise on a missing or unknown provider field. A record that lacks a required field
still goes to raw, where core quarantines it with the reason; dropping it silently here would
hide the problem from the user.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pipelines.connectors.errors import SourceConfigError


def parse_ts(value: Any) -> datetime | None:
    """An aware UTC datetime from an RFC 3339 / ISO 8601 string or epoch seconds; else None.

    A timestamp without an offset is UTC (contract §1).
    """
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).strip())
        except ValueError:
            return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def iso(dt: datetime | None) -> str | None:
    """RFC 3339 in UTC with a `Z`, seconds precision unless the source had sub-seconds."""
    if dt is None:
        return None
    dt = dt.astimezone(UTC)
    spec = "microseconds" if dt.microsecond else "seconds"
    return dt.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def ts(value: Any) -> str | None:
    """Normalise a provider timestamp to the canonical UTC form (None stays None)."""
    return iso(parse_ts(value))


def dig(obj: Any, *path: str | int) -> Any:
    """`obj[a][b]...` that returns None when any step is missing or of the wrong type."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(obj, list) or len(obj) <= step:
                return None
        elif not isinstance(obj, Mapping):
            return None
        obj = obj[step] if isinstance(step, int) else obj.get(step)
    return obj


def as_items(data: Any) -> list[dict[str, Any]]:
    """The objects of a list body; anything else (an error object, null) is no items."""
    return [i for i in data if isinstance(i, dict)] if isinstance(data, list) else []


def compile_patterns(value: Any, setting: str) -> list[re.Pattern[str]]:
    """Regexes from a setting that may be one string or a list of strings."""
    items = [value] if isinstance(value, str) else list(value or [])
    try:
        return [re.compile(p) for p in items]
    except (re.error, TypeError) as exc:
        raise SourceConfigError(f"`{setting}` is not a valid regular expression: {exc}") from exc


def matches(patterns: Iterable[re.Pattern[str]], *values: Any) -> bool:
    """Whether any pattern is found in any of the non-empty values."""
    texts = [str(v) for v in values if v not in (None, "")]
    return any(p.search(t) for p in patterns for t in texts)


def entity_ref_name(ref: Any, kind: str = "") -> str | None:
    """Backstage entity ref to a plain id: `group:default/team-a` → `team-a`.

    A non-default namespace is kept (`group:ops/sre` → `ops/sre`) so two teams of the same name
    in different namespaces do not merge.
    """
    if not ref or not isinstance(ref, str):
        return None
    text = ref.strip()
    if ":" in text.split("/")[0]:
        text = text.split(":", 1)[1]
    if text.startswith("default/"):
        text = text[len("default/") :]
    return text or None


@dataclass(frozen=True)
class DeployRule:
    """`[[sources.x.deploy_rules]]`: a CI workflow/pipeline (or one of its jobs) that deploys.

    For teams without a deployment API: a run whose workflow name or path matches `workflow`,
    and, when `job` is set, each of its jobs whose name matches `job`, is a deployment to
    `environment`.
    """

    workflow: re.Pattern[str] | None
    job: re.Pattern[str] | None
    environment: str

    @classmethod
    def parse(cls, raw: Any, where: str) -> DeployRule:
        if not isinstance(raw, Mapping) or not raw.get("environment"):
            raise SourceConfigError(f"{where}: each deploy rule needs an `environment`")
        if not raw.get("workflow") and not raw.get("job"):
            raise SourceConfigError(f"{where}: a deploy rule needs `workflow` or `job`")
        wf = compile_patterns(raw.get("workflow") or [], f"{where}.workflow")
        job = compile_patterns(raw.get("job") or [], f"{where}.job")
        return cls(wf[0] if wf else None, job[0] if job else None, str(raw["environment"]))

    def matches_workflow(self, *values: Any) -> bool:
        return self.workflow is None or matches([self.workflow], *values)


DEFAULT_ROLLBACK = r"(?i)\b(rollback|roll-back|revert)\b"
DEFAULT_HOTFIX = r"(?i)\bhotfix"


def deployment_kind(
    rollback: list[re.Pattern[str]], hotfix: list[re.Pattern[str]], *texts: Any
) -> str:
    """`rollback`, `hotfix` or `regular`, from the deployment's task, description, ref or job."""
    if matches(rollback, *texts):
        return "rollback"
    if matches(hotfix, *texts):
        return "hotfix"
    return "regular"


class CursorTracker:
    """Computes the next high-water mark of a stream filtered by a timestamp.

    The cursor is the newest timestamp seen, held back to the oldest item that is still
    unfinished (a running pipeline, an open incident, a deployment without a final status), so
    the next run re-reads it and records how it ended. Items unfinished for longer than
    `max_pending` no longer hold the cursor back: a deployment abandoned in `queued` must not
    pin every future run to re-read months of history.
    """

    def __init__(self, now: datetime, max_pending: timedelta = timedelta(days=7)) -> None:
        self.now = now
        self.max_pending = max_pending
        self.newest: datetime | None = None
        self.oldest_pending: datetime | None = None

    def see(self, value: Any, *, finished: bool = True) -> None:
        dt = parse_ts(value)
        if dt is None:
            return
        if self.newest is None or dt > self.newest:
            self.newest = dt
        if not finished and self.now - dt <= self.max_pending:
            if self.oldest_pending is None or dt < self.oldest_pending:
                self.oldest_pending = dt

    def result(self, previous: str | None) -> str | None:
        candidates = [d for d in (self.newest, self.oldest_pending) if d is not None]
        if not candidates:
            return previous
        nxt = min(candidates)
        prev = parse_ts(previous)
        if prev is not None and self.oldest_pending is None and nxt < prev:
            nxt = prev  # never move a cursor backwards because an overlap re-read older items
        return iso(nxt)
