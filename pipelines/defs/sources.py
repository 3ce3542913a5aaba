"""Ingest from the configured sources: one asset per provider type (`raw/github`, ...).

Sources are named in the configuration file, which is read when a run starts, not at import;
so the graph has one asset per *type* and each syncs every source of its type. A source that
fails is recorded in `meta.source_runs` with the request that failed and the run goes on: the
other sources, core, marts and metrics still build, and the `sources_healthy` check (a warning)
says which source to look at.
"""

import json
import logging
from datetime import UTC, datetime

import dagster as dg

from pipelines.connectors import SOURCE_TYPES, ConnectorError, SourceSyncError, sync_source
from pipelines.defs.resources import WarehouseResource
from pipelines.redact import install_logging, redact, redact_obj, register_config
from pipelines.sqlfiles import run_sql_file

SOURCE_KEYS = [dg.AssetKey(["raw", kind]) for kind in SOURCE_TYPES]
log = logging.getLogger("pipelines.defs.sources")


class SourceCrashed(RuntimeError):
    """A connector failed with an unexpected error (a bug); the message is redacted and the
    original chain is not attached, so the Dagster run storage never holds what it said."""


def _record(
    con,
    run_id: str,
    name: str,
    kind: str,
    started: datetime,
    status: str,
    report: dict | None,
    error: str | None,
) -> None:
    # The one place a source's outcome is written: whatever a provider echoed is masked here.
    report = redact_obj(report or {})
    error = redact(error) if error is not None else None
    run_sql_file(
        con,
        "meta/source_run.sql",
        {
            "run_id": run_id,
            "source": name,
            "type": kind,
            "started_at": started.replace(tzinfo=None),
            "status": status,
            "records": sum(report.get("records", {}).values()),
            "new_records": sum(report.get("inserted", {}).values()),
            "requests": report.get("requests", 0),
            "not_modified": report.get("not_modified", 0),
            "error": error,
            "report": json.dumps(report, default=str),
        },
    )


def _source_asset(kind: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", kind],
        group_name="ingest",
        description=f"One envelope per record fetched from every configured {kind} source "
        "(append-only; re-fetched records that did not change are stored once).",
        kinds={"duckdb", "python"},
        check_specs=[
            dg.AssetCheckSpec(
                "sources_healthy",
                asset=["raw", kind],
                description=f"every {kind} source synced without error",
            )
        ],
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        config = warehouse.config()
        install_logging()  # also when Dagster itself runs the job (`paved dev`, the schedule)
        register_config(config)  # every configured secret, before any source runs
        sources = {n: s for n, s in config.sources.items() if s.get("type") == kind}
        outcome: dict[str, str] = {}
        failures: list[str] = []
        with warehouse.connect() as con:
            run_sql_file(con, "meta/source_runs.sql")
            for name, settings in sources.items():
                if kind == "hr_csv" and config.path is not None:
                    settings = {"config_dir": str(config.path.parent), **settings}
                started = datetime.now(UTC)
                try:
                    report = sync_source(con, name, settings, full_resync=warehouse.full_resync)
                    _record(
                        con,
                        context.run.run_id,
                        name,
                        kind,
                        started,
                        "success",
                        report.as_dict(),
                        None,
                    )
                    outcome[name] = f"{report.total_records} records, {report.requests} requests"
                except SourceSyncError as exc:
                    _record(
                        con,
                        context.run.run_id,
                        name,
                        kind,
                        started,
                        "partial",
                        exc.report.as_dict(),
                        str(exc),
                    )
                    failures.append(redact(exc))
                except ConnectorError as exc:  # configuration or a failure before any data
                    _record(con, context.run.run_id, name, kind, started, "failed", None, str(exc))
                    failures.append(redact(exc))
                except Exception as exc:  # a bug: fail the step, but not with a secret in it
                    log.exception("[%s] sync crashed", name)  # redacted by pipelines.redact
                    raise SourceCrashed(
                        f"source {name!r} ({kind}) crashed: {type(exc).__name__}: {redact(exc)}"
                    ) from None
        for failure in failures:
            context.log.error(failure)
        yield dg.MaterializeResult(
            metadata={"sources": len(sources), "outcome": dg.MetadataValue.json(outcome)}
        )
        yield dg.AssetCheckResult(
            check_name="sources_healthy",
            passed=not failures,
            severity=dg.AssetCheckSeverity.WARN,
            description="; ".join(f.splitlines()[0] for f in failures) or None,
            metadata={"failed": len(failures)},
        )

    return _asset


SOURCE_ASSETS = [_source_asset(kind) for kind in SOURCE_TYPES]
