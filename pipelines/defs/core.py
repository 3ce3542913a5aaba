"""Core: the canonical entities, typed and de-duplicated, and the quarantine (one step).

One multi-asset, because every core table is rebuilt from the same raw scan and the quarantine
collects what each of them rejected; each table is still its own asset key (`core/<entity>`).
"""

import dagster as dg

from pipelines.contract import ENTITIES
from pipelines.core import build_core
from pipelines.defs.ingest import INGEST_KEYS
from pipelines.defs.resources import WarehouseResource
from pipelines.defs.sources import SOURCE_KEYS

CORE_TABLES = [e.name for e in ENTITIES] + ["quarantine", "engineer_aliases", "alias_conflicts"]
_DOCS = {e.name: e.doc for e in ENTITIES} | {
    "quarantine": "One row per received record that failed validation, with every reason.",
    "engineer_aliases": "One row per alias (lower-cased login, e-mail or id) and its engineer.",
    "alias_conflicts": "One row per alias claimed by more than one engineer.",
}
CORE_KEYS = [dg.AssetKey(["core", t]) for t in CORE_TABLES]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            group_name="core",
            deps=[*INGEST_KEYS, *SOURCE_KEYS],
            description=_DOCS[key.path[-1]],
            kinds={"duckdb"},
        )
        for key in CORE_KEYS
    ],
    name="core_tables",
)
def core_tables(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Bring every core table up to date with raw under the run's rules: latest valid version
    per key; the rest quarantined (open until a later valid version of the key loads)."""
    with warehouse.connect() as con:
        report = build_core(con, warehouse.config().rules)
    if report.quarantined_total:
        context.log.warning(
            f"{report.quarantined_total} record(s) in quarantine ({report.new_open} new): "
            + ", ".join(f"{e} {n}" for e, n in report.quarantined_by_entity.items())
            + " (see core.quarantine for the reasons)"
        )
    for key in CORE_KEYS:
        table = key.path[-1]
        metadata: dict[str, object] = {"dagster/row_count": report.rows.get(table, 0)}
        if table == "quarantine":
            metadata = {
                "dagster/row_count": report.quarantined_total,
                "new_open": report.new_open,
                "by_entity": dg.MetadataValue.json(report.quarantined_by_entity),
            }
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)
