"""Publish: the last asset of every run. Readers never open the working warehouse."""

import dagster as dg

from pipelines.defs.resources import WarehouseResource
from pipelines.defs.transform import TRANSFORM_UPSTREAM
from pipelines.publish import publish


@dg.asset(
    key=["publish", "warehouse"],
    group_name="publish",
    deps=TRANSFORM_UPSTREAM,
    kinds={"duckdb", "parquet"},
)
def published_warehouse(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """The read-only copy every reader opens and its Parquet marts, swapped in as one.

    Runs only when everything upstream succeeded, so a failed run leaves the previous copy. The
    run is recorded successful in the new copy and, once it is swapped in, in the working
    warehouse: a run killed while publishing is never recorded as a success.
    """
    home = warehouse.home()
    with warehouse.connect() as con:
        report = publish(con, home, run_id=context.run.run_id)
    return dg.MaterializeResult(
        metadata={
            "path": str(report.path),
            "tables": report.tables,
            "bytes": report.bytes,
            "parquet_files": report.parquet_files,
        }
    )
