"""Crash points for the crash tests: `PAVED_CRASH_AT=<point>` kills the process there with SIGKILL.

Why in the product: a crash test must stop a run at an exact place (between two writes of one
stage) to prove that a rerun repairs it, and a signal sent from outside lands wherever the run
happens to be. Unset (always, outside those tests), a crash point is one dictionary lookup.

The points (tests/pipelines/test_crash.py kills a run at one per stage):
- `meta_rules:run_started` (pipelines/defs/ingest.py): the run's entry in meta.runs is written;
- `raw:merged` (pipelines/inbox.py): the raw merge ran, before its COMMIT;
- `core:quarantined` (pipelines/core.py): an entity's quarantine rows written, before its state;
- `sql:<file>` (pipelines/sqlfiles.py): before each SQL file run through `run_sql_file`, e.g.
  `sql:marts/commit_graph_nodes.sql` (the mart files of pipelines/marts.py do not go through it);
- `metric:<name>` (metrics/compute.py): before each metric's values are computed;
- `publish:duckdb_written`, `publish:between_parquet` (after the first Parquet file),
  `publish:before_swap`, `publish:swapped` (pipelines/publish.py).
"""

from __future__ import annotations

import os
import signal

ENV = "PAVED_CRASH_AT"


def crash_point(name: str) -> None:
    """Die here, as `kill -9` would, when the environment names this point."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
