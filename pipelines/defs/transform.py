"""Marts and metrics: source-agnostic facts, then one row per metric, grain, period and scope."""

import dagster as dg

from metrics.compute import build_metrics
from pipelines.defs.core import CORE_KEYS
from pipelines.defs.platform import PLATFORM_KEYS
from pipelines.defs.resources import WarehouseResource
from pipelines.marts import MARTS, Mart, build_mart

RULES_KEY = dg.AssetKey(["meta", "rules"])
METRIC_TABLES = {
    "calendar": "One row per ISO week (Monday) and month: the time spine of empty periods.",
    "metric_values": "One row per metric, grain, period and scope (contract §2).",
    "catalog": "One row per metric: label, unit, direction, definition.",
    "bands": "One row per metric, report year and performance band, with its source.",
    "performance": "One row per metric and scope: trailing-window value and its band.",
}


def _key(table: str) -> dg.AssetKey:
    return dg.AssetKey(table.split("."))


def _mart_asset(mart: Mart) -> dg.AssetsDefinition:
    @dg.asset(
        key=["marts", mart.name],
        group_name="marts",
        deps=[_key(d) for d in mart.deps] + [RULES_KEY],
        description=mart.description,
        kinds={"duckdb"},
    )
    def _asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            rows = build_mart(con, mart.name)
        return dg.MaterializeResult(metadata={"dagster/row_count": rows})

    return _asset


MART_ASSETS = [_mart_asset(m) for m in MARTS]
MART_KEYS = [dg.AssetKey(["marts", m.name]) for m in MARTS]
METRIC_KEYS = [dg.AssetKey(["metrics", t]) for t in METRIC_TABLES]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            group_name="metrics",
            deps=[*MART_KEYS, RULES_KEY],
            description=METRIC_TABLES[key.path[-1]],
            kinds={"duckdb"},
        )
        for key in METRIC_KEYS
    ],
    name="metric_tables",
)
def metric_tables(warehouse: WarehouseResource):
    """Every registered metric for every grain, period and scope, with the catalog and bands."""
    with warehouse.connect() as con:
        rows = build_metrics(con)
    for key in METRIC_KEYS:
        yield dg.MaterializeResult(
            asset_key=key, metadata={"dagster/row_count": int(rows.get(key.path[-1], 0))}
        )


TRANSFORM_UPSTREAM = [*CORE_KEYS, *MART_KEYS, *METRIC_KEYS, *PLATFORM_KEYS]
