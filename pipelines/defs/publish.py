"""Publish: the last asset of every run. Readers never open the working warehouse."""

import dagster as dg

from pipelines.defs.resources import WarehouseResource
from pipelines.defs.transform import TRANSFORM_UPSTREAM
from pipelines.publish import publish
from pipelines.sqlfiles import run_sql_file


@dg.asset(
    key=["publish", "warehouse"],
    group_name="publish",
    deps=TRANSFORM_UPSTREAM,
    kinds={"duckdb", "parquet"},
)
def published_warehouse(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """The read-only copy every reader opens, swapped in atomically, plus Parquet marts.

    Runs only when everything upstream succeeded, so a failed run leaves the previous copy.
    """
    home = warehouse.home()
    with warehouse.connect() as con:
        run_sql_file(con, "meta/run_finished.sql", {"run_id": context.run.run_id})
        report = publish(con, home)
    return dg.MaterializeResult(
        metadata={
            "path": str(report.path),
            "tables": report.tables,
            "bytes": report.bytes,
            "parquet_files": report.parquet_files,
        }
    )
