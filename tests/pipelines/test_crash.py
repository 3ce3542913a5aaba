"""`kill -9` at each stage of a run on a batch of 100,000+ records, then a rerun.

For every crash point: the run dies by SIGKILL there; until the rerun the published copy is
exactly the previous good one (readable, its Parquet from the same publish); the rerun succeeds
and publishes what a run without the crash publishes; raw.records, the core tables and
core.quarantine hold exactly what they hold after the same batches without a crash (row counts
and a hash of the rows); published/ holds no leftover; no run is left `running`.

How: a clean base home runs a small batch, a reference home (a copy of the base) runs the big
batch once; each case copies the base home, runs the big batch with `PAVED_CRASH_AT=<point>`
(pipelines/faults.py), then again without. Every run is `python -m pipelines.cli run` in a
subprocess. The cases are independent and run two at a time (a run uses about one core).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.demo import DemoSpec, generate, write_batch
from pipelines.faults import ENV as CRASH_ENV
from pipelines.paths import Home
from pipelines.publish import current_version, leftovers

pytestmark = pytest.mark.heavy

REPO = Path(__file__).resolve().parents[2]
END = dt.date(2025, 6, 1)
BASE_SPEC = DemoSpec(engineers=30, weeks=8, seed=11, end=END)
BIG_SPEC = DemoSpec(engineers=120, weeks=52, seed=11, end=END)
MIN_RECORDS = 100_000
BAD_DEPLOYMENTS = 150  # no finished_at: quarantined as a missing required field
BAD_COMMITS = 100  # authored in 2199: quarantined by the plausibility bound
RUN_TIMEOUT_S = 300
WORKERS = 2

VOLATILE = frozenset({"batch_id", "fetched_at", "loaded_at", "resolved_at", "built_at"})
"""Columns that differ between two homes loading the same records at other moments (any column
ending in `seq` too): left out of the row hashes."""
UNSTABLE = {"marts.platform_impact": frozenset({"ci_low", "ci_high"})}
"""Columns that differ between two runs of the same batches even without a crash, also left out:
the bootstrap resamples observations in an order with ties (pipelines/impact.py sorts by metric,
observed_at, team_id, which is not unique), so its interval bounds move from run to run."""
CHECKED_SCHEMAS = ("core", "marts", "metrics")
"""Published schemas compared with the reference (meta holds each run's own bookkeeping)."""


@dataclass(frozen=True)
class Case:
    stage: str
    point: str

    def __str__(self) -> str:
        return self.point


CASES = (
    Case("raw load", "raw:merged"),
    Case("core", "core:quarantined"),
    # marts.py runs the mart files itself; commit_graph_nodes.sql (inside marts/deployment_commits)
    # is the marts file that goes through run_sql_file and so has a crash point.
    Case("marts", "sql:marts/commit_graph_nodes.sql"),
    Case("metrics", "metric:change_lead_time"),
    Case("Parquet export", "publish:between_parquet"),
    Case("publish, before the swap", "publish:before_swap"),
)
"""One kill per stage. The other publish points (`publish:duckdb_written`, `publish:swapped`) are
stopped in-process by test_publish.py: a real kill costs ~20 s per case here."""

Digests = dict[str, tuple[int, int]]
"""`schema.table` (or a Parquet file name) -> (rows, sum of row hashes)."""


# --- reading a home ----------------------------------------------------------------------------


def _digest(
    con: duckdb.DuckDBPyConnection, name: str, relation: str, columns: list[str]
) -> tuple[int, int]:
    left_out = VOLATILE | UNSTABLE.get(name, frozenset())
    kept = ", ".join(f'"{c}"' for c in columns if c not in left_out and not c.endswith("seq"))
    rows, total = con.execute(
        "SELECT count(*), coalesce(sum(hash(r)::HUGEINT), 0) "
        f"FROM (SELECT {kept} FROM {relation}) r"
    ).fetchone()
    return int(rows), int(total)


def _table_digests(path: Path, schemas: tuple[str, ...]) -> Digests:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "SELECT schema_name, table_name, list(column_name ORDER BY column_index) "
            "FROM duckdb_columns() WHERE schema_name IN (SELECT unnest(?)) "
            "GROUP BY ALL ORDER BY ALL",
            [list(schemas)],
        ).fetchall()
        return {f"{s}.{t}": _digest(con, f"{s}.{t}", f'"{s}"."{t}"', cols) for s, t, cols in tables}
    finally:
        con.close()


def _parquet_digests(folder: Path) -> Digests:
    con = duckdb.connect()
    try:
        out = {}
        for path in sorted(folder.glob("*.parquet")):
            relation = f"read_parquet('{path}')"
            columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
            out[path.name] = _digest(con, path.name.removesuffix(".parquet"), relation, columns)
        return out
    finally:
        con.close()


def _runs(warehouse: Path) -> list[str]:
    """The status of every run the working warehouse recorded, oldest first."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("SELECT status FROM meta.runs ORDER BY started_at").fetchall()
        return [r[0] for r in rows]
    finally:
        con.close()


@dataclass
class Published:
    """What a reader finds in published/ at one moment."""

    version: str | None
    tables: Digests
    parquet: Digests
    parquet_rows_match_duckdb: bool

    @classmethod
    def read(cls, home: Home) -> Published:
        version = current_version(home)
        tables = _table_digests(home.published, CHECKED_SCHEMAS)
        parquet = _parquet_digests(home.parquet_dir)
        match = all(
            tables.get(name.removesuffix(".parquet"), (None,))[0] == rows
            for name, (rows, _) in parquet.items()
        )
        return cls(version.name if version else None, tables, parquet, match)


@dataclass
class Outcome:
    """One crash case: the killed run, what it left, and the rerun."""

    returncode: int
    stderr: str
    before_rerun: Published | None = None
    rerun_returncode: int | None = None
    rerun_output: str = ""
    after_rerun: Published | None = None
    warehouse: Digests = field(default_factory=dict)
    entries: set[str] = field(default_factory=set)
    leftovers: list[str] = field(default_factory=list)
    expected_entries: set[str] = field(default_factory=set)
    runs: list[str] = field(default_factory=list)


# --- running the pipeline ----------------------------------------------------------------------


def _run(home: Home, batch: Path, crash_at: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in (CRASH_ENV, "PAVED_HOME")}
    if crash_at:
        env[CRASH_ENV] = crash_at
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--home", str(home.root)]
        + ["--inbox", str(batch)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )


def _copy(source: Home, target: Path) -> Home:
    shutil.copytree(source.root, target, symlinks=True)  # keep published/'s relative links
    return Home(target)


def _warehouse_digests(home: Home) -> Digests:
    digests = _table_digests(home.warehouse, ("raw", "core"))
    return {k: v for k, v in digests.items() if k == "raw.records" or k.startswith("core.")}


def _crash_and_rerun(case: Case, base: Home, batch: Path, folder: Path) -> Outcome:
    home = _copy(base, folder / case.point.replace(":", "_").replace("/", "_"))
    crashed = _run(home, batch, crash_at=case.point)
    outcome = Outcome(crashed.returncode, crashed.stderr[-2000:])
    if crashed.returncode != -signal.SIGKILL:
        return outcome
    outcome.before_rerun = Published.read(home)
    rerun = _run(home, batch)
    outcome.rerun_returncode = rerun.returncode
    outcome.rerun_output = (rerun.stdout + rerun.stderr)[-2000:]
    if rerun.returncode != 0:
        return outcome
    outcome.after_rerun = Published.read(home)
    outcome.warehouse = _warehouse_digests(home)
    outcome.entries = {p.name for p in home.published.parent.iterdir()}
    outcome.leftovers = [p.name for p in leftovers(home)]
    versions = {os.readlink(home.published.parent / n) for n in ("current", "previous")}
    outcome.expected_entries = {"current", "previous", "paved.duckdb", "parquet", *versions}
    outcome.runs = _runs(home.warehouse)
    return outcome


# --- fixtures: one batch, one base, one reference, every case once per session -----------------


@pytest.fixture(scope="session")
def batches(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small base batch, and the big batch every case runs: the demo organisation over a year
    (100,000+ records) with some invalid records so core.quarantine has rows."""
    folder = tmp_path_factory.mktemp("crash-batches")
    base = folder / "base"
    write_batch(generate(BASE_SPEC), base)
    frames = generate(BIG_SPEC)
    deployments = frames["deployments"].copy()
    deployments.loc[deployments.index[:BAD_DEPLOYMENTS], "finished_at"] = pd.NaT
    commits = frames["commits"].copy()
    commits.loc[commits.index[:BAD_COMMITS], "authored_at"] = pd.Timestamp("2199-01-01", tz="UTC")
    frames.update(deployments=deployments, commits=commits)
    big = folder / "big"
    records = sum(write_batch(frames, big).values())
    assert records >= MIN_RECORDS
    return base, big


@pytest.fixture(scope="session")
def base_home(tmp_path_factory: pytest.TempPathFactory, batches: tuple[Path, Path]) -> Home:
    """A home whose last run succeeded: the 'previous good' published copy of every case."""
    home = Home(tmp_path_factory.mktemp("crash-base") / "home")
    done = _run(home, batches[0])
    assert done.returncode == 0, done.stdout + done.stderr
    return home


Reference = tuple[Published, Digests]
"""The base home after the big batch without any crash: its published copy and warehouse."""


def _reference(base: Home, batch: Path, folder: Path) -> Reference:
    home = _copy(base, folder / "reference")
    done = _run(home, batch)
    assert done.returncode == 0, done.stdout + done.stderr
    return Published.read(home), _warehouse_digests(home)


def _selected(request: pytest.FixtureRequest) -> list[Case]:
    """The cases of the tests this session runs (`-k before_swap` runs that case only)."""
    chosen = set()
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if item.module is sys.modules[__name__] and callspec and "case" in callspec.params:
            chosen.add(callspec.params["case"])
    return [c for c in CASES if c in chosen]


@pytest.fixture(scope="session")
def runs(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    base_home: Home,
    batches: tuple[Path, Path],
) -> tuple[Reference, dict[str, Outcome]]:
    """The reference run and each selected case on its own copy of the base home, two at a
    time (a run keeps about one core busy)."""
    folder = tmp_path_factory.mktemp("crash-runs")
    big = batches[1]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        reference = pool.submit(_reference, base_home, big, folder)
        cases = {
            c.point: pool.submit(_crash_and_rerun, c, base_home, big, folder)
            for c in _selected(request)
        }
        return reference.result(), {point: future.result() for point, future in cases.items()}


@pytest.fixture(scope="session")
def reference(runs: tuple[Reference, dict[str, Outcome]]) -> Reference:
    return runs[0]


@pytest.fixture(scope="session")
def outcomes(runs: tuple[Reference, dict[str, Outcome]]) -> dict[str, Outcome]:
    return runs[1]


@pytest.fixture(scope="session")
def base_published(base_home: Home) -> Published:
    return Published.read(base_home)


def _crashed(outcomes: dict[str, Outcome], case: Case) -> Outcome:
    outcome = outcomes[case.point]
    if outcome.returncode != -signal.SIGKILL:
        pytest.skip(f"the run did not die at {case.point} (see the test of the SIGKILL itself)")
    return outcome


def _rerun(outcomes: dict[str, Outcome], case: Case) -> Outcome:
    outcome = _crashed(outcomes, case)
    assert outcome.rerun_returncode == 0, outcome.rerun_output
    return outcome


# --- the specification -------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_run_dies_by_sigkill_at_the_crash_point(outcomes: dict[str, Outcome], case: Case):
    outcome = outcomes[case.point]
    assert outcome.returncode == -signal.SIGKILL, (
        f"crash point {case.point} ({case.stage}) never fired: the run ended with "
        f"{outcome.returncode}. Is the crash point still in the code?\n{outcome.stderr}"
    )


@pytest.mark.parametrize("case", CASES, ids=str)
def test_until_the_rerun_the_previous_good_copy_stays_published_whole(
    outcomes: dict[str, Outcome], base_published: Published, case: Case
):
    before = _crashed(outcomes, case).before_rerun
    assert before is not None
    assert before.version == base_published.version
    assert before.tables == base_published.tables
    assert before.parquet == base_published.parquet
    assert before.parquet_rows_match_duckdb


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_rerun_publishes_what_a_run_without_the_crash_publishes(
    outcomes: dict[str, Outcome], reference: Reference, case: Case
):
    after = _rerun(outcomes, case).after_rerun
    assert after is not None
    assert after.tables == reference[0].tables
    assert after.parquet == reference[0].parquet
    assert after.parquet_rows_match_duckdb


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_rerun_loses_and_duplicates_nothing_in_raw_core_and_quarantine(
    outcomes: dict[str, Outcome], reference: Reference, case: Case
):
    warehouse = _rerun(outcomes, case).warehouse
    assert reference[1]["core.quarantine"][0] >= BAD_DEPLOYMENTS + BAD_COMMITS
    assert warehouse == reference[1]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_rerun_leaves_no_leftover_in_published(outcomes: dict[str, Outcome], case: Case):
    outcome = _rerun(outcomes, case)
    assert outcome.leftovers == []
    assert outcome.entries == outcome.expected_entries


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_killed_run_is_abandoned_and_no_run_is_left_running(
    outcomes: dict[str, Outcome], case: Case
):
    """Base run, killed run, rerun: the rerun marks the killed one `abandoned`."""
    assert _rerun(outcomes, case).runs == ["success", "abandoned", "success"]
