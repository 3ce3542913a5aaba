"""Source connectors: provider APIs (and an HR export) mapped to the contract's canonical records.

The one entry point is `sync_source`: it reads one `[sources.<name>]` table, fetches what changed
since the last run (or everything, with `full_resync`), writes the mapped records to the raw
layer and returns a `SyncReport`. No Dagster here: the ingest assets wrap this function.

    report = sync_source(con, "github", config.sources["github"])
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import httpx

from pipelines.connectors.backstage import BackstageConnector
from pipelines.connectors.base import Connector, RunContext, Sink
from pipelines.connectors.errors import ConnectorError, RateLimitExhausted, SourceConfigError
from pipelines.connectors.github import GitHubConnector
from pipelines.connectors.gitlab import GitLabConnector
from pipelines.connectors.hr_csv import HrCsvConnector
from pipelines.connectors.http import RetryPolicy, client_stats, make_client
from pipelines.connectors.opsgenie import OpsgenieConnector
from pipelines.connectors.pagerduty import PagerDutyConnector
from pipelines.connectors.state import SyncState
from pipelines.raw import ensure_raw
from pipelines.redact import redact, register

log = logging.getLogger("pipelines.connectors")

SOURCE_TYPES: dict[str, type[Connector]] = {
    c.TYPE: c
    for c in (
        GitHubConnector,
        GitLabConnector,
        PagerDutyConnector,
        OpsgenieConnector,
        BackstageConnector,
        HrCsvConnector,
    )
}

_SECRET_KEYS = ("token", "api_key", "password", "secret")


@dataclass
class SyncReport:
    """What one `sync_source` call did; `as_dict()` is JSON-ready for asset metadata."""

    source: str
    type: str
    batch_id: str
    full_resync: bool
    records: dict[str, int] = field(default_factory=dict)  # mapped records per entity
    inserted: dict[str, int] = field(default_factory=dict)  # of those, new in raw
    requests: int = 0  # HTTP attempts, retries included
    retries: int = 0
    not_modified: int = 0  # conditional requests answered 304: pages and sub-requests saved
    waited_s: float = 0.0
    duration_s: float = 0.0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def total_records(self) -> int:
        return sum(self.records.values())

    @property
    def records_per_s(self) -> float:
        return self.total_records / self.duration_s if self.duration_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["records_per_s"] = round(self.records_per_s, 1)
        return out


class SourceSyncError(ConnectorError):
    """Some units of a source failed. What the other units read is already in raw; the
    `report` says what loaded, and the message lists each failed unit and what to do."""

    def __init__(self, report: SyncReport) -> None:
        self.report = report
        lines = "\n  ".join(report.errors)
        super().__init__(redact(
            f"source {report.source!r} ({report.type}): {len(report.errors)} part(s) failed; "
            f"the rest loaded ({report.total_records} records):\n  {lines}"
        ))


def _connector_class(name: str, settings: Mapping[str, Any]) -> type[Connector]:
    kind = str(settings.get("type") or "")
    connector_cls = SOURCE_TYPES.get(kind)
    if connector_cls is None:
        raise SourceConfigError(
            f"[sources.{name}]: type {kind!r} is not one of {', '.join(SOURCE_TYPES)}"
        )
    return connector_cls


def _check_secrets(name: str, settings: Mapping[str, Any], needed: bool) -> None:
    """No token written in the file; `token_env` names one when the source needs it."""
    literal = [k for k in settings if k.lower() in _SECRET_KEYS]
    if literal:
        raise SourceConfigError(
            f"[sources.{name}]: `{literal[0]}` must not be in the configuration file; put the "
            "token in an environment variable and name that variable in `token_env`"
        )
    if needed and not settings.get("token_env"):
        raise SourceConfigError(
            f"[sources.{name}]: `token_env` is required (the NAME of the environment "
            "variable that holds the token)"
        )


def check_source(name: str, settings: Mapping[str, Any]) -> None:
    """Everything `sync_source` checks in a `[sources.<name>]` table before any request, without
    reading the environment: the type, no literal token, `token_env`, and the connector's own
    checks (accepted keys, required keys, regexes, deploy rules). Raises SourceConfigError."""
    connector_cls = _connector_class(name, settings)
    _check_secrets(name, settings, needed=False)  # a token in the file: the clearest message
    connector_cls.check_keys(name, settings)  # a misspelt `token_env` before a missing one
    _check_secrets(name, settings, connector_cls.NEEDS_TOKEN)
    # validate() reads only the context's name and the settings: no client, state or sink.
    ctx = RunContext(
        name=name, client=None, token=None, sink=None, state=None, now=datetime.now(UTC)
    )
    connector_cls(settings, ctx)


def _token(name: str, settings: Mapping[str, Any], env: Mapping[str, str],
           needed: bool) -> str | None:
    """The token from the environment variable named by `token_env`; never from the file."""
    _check_secrets(name, settings, needed)
    var = settings.get("token_env")
    if not var:
        return None
    token = env.get(str(var))
    if not token:
        raise SourceConfigError(
            f"[sources.{name}]: environment variable {var} is not set; export it (or add it "
            "to .env) before running"
        )
    register([token])  # masked in every message from now on, whoever called us
    return token


def _policy(settings: Mapping[str, Any]) -> RetryPolicy:
    policy = RetryPolicy()
    if "max_attempts" in settings:
        policy.max_attempts = int(settings["max_attempts"])
    if "rate_limit_budget_s" in settings:
        policy.rate_limit_budget_s = float(settings["rate_limit_budget_s"])
    return policy


def sync_source(
    con: duckdb.DuckDBPyConnection,
    name: str,
    settings: dict[str, Any],
    *,
    full_resync: bool = False,
    client: httpx.Client | None = None,
    env: Mapping[str, str] = os.environ,
    batch_id: str | None = None,
) -> SyncReport:
    """Fetch what changed in one configured source and store it in raw; see module docstring.

    Raises `SourceConfigError` before any request when the settings are unusable, and
    `SourceSyncError` (carrying the report) after the run when some part failed.
    """
    kind = str(settings.get("type") or "")
    connector_cls = _connector_class(name, settings)
    token = _token(name, settings, env, connector_cls.NEEDS_TOKEN)
    started = time.monotonic()
    now = datetime.now(UTC)
    batch_id = batch_id or f"{name}-{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    own_client = client is None
    if client is None:
        client = make_client(timeout_s=float(settings.get("timeout_s", 30)),
                             policy=_policy(settings))
    stats = client_stats(client)
    before = stats.snapshot()
    ensure_raw(con)
    sink = Sink(con, name, batch_id)
    ctx = RunContext(name=name, client=client, token=token, sink=sink,
                     state=SyncState(con, name, full_resync=full_resync), now=now)
    try:
        connector = connector_cls(settings, ctx)
        con.execute(
            "INSERT OR IGNORE INTO meta.batches VALUES (?, ?, 'source', ?)",
            [batch_id, now.replace(tzinfo=None),
             json.dumps({"source": name, "type": kind, "full_resync": full_resync})],
        )
        log.info("[%s] sync started (%s, %s)", name, kind,
                 "full resync" if full_resync else "incremental")
        errors = connector.run()
    finally:
        if own_client:
            client.close()
    after = stats.snapshot()
    report = SyncReport(
        source=name,
        type=kind,
        batch_id=batch_id,
        full_resync=full_resync,
        records=dict(sink.totals.mapped),
        inserted=dict(sink.totals.inserted),
        requests=int(after["requests"] - before["requests"]),
        retries=int(after["retries"] - before["retries"]),
        not_modified=int(after["not_modified"] - before["not_modified"]),
        waited_s=round(after["waited_s"] - before["waited_s"], 3),
        duration_s=round(time.monotonic() - started, 3),
        errors=errors,
        warnings=list(ctx.warnings),
    )
    log.info("[%s] sync finished: %s records, %s requests (%s not modified), %.1fs",
             name, report.total_records, report.requests, report.not_modified,
             report.duration_s)
    if errors:
        raise SourceSyncError(report)
    return report


__all__ = [
    "SOURCE_TYPES",
    "ConnectorError",
    "RateLimitExhausted",
    "SourceConfigError",
    "SourceSyncError",
    "SyncReport",
    "check_source",
    "make_client",
    "sync_source",
]
