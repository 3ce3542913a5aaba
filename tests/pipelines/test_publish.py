"""Publishing swaps in a complete read-only copy and its Parquet as one; readers never see an
error, a half state, or a DuckDB file and Parquet from two publishes; what a killed publish leaves
behind is removed by the next one. (Real `kill -9` runs are in test_crash.py.)"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time

import duckdb
import pytest

from pipelines import publish as publishing
from pipelines.paths import Home
from pipelines.publish import current_version, leftovers, publish
from pipelines.sqlfiles import run_sql_file
from pipelines.warehouse import open_warehouse

BEFORE_SWAP = ("publish:duckdb_written", "publish:between_parquet", "publish:before_swap")
"""The crash points of a publish before its swap, in the order a publish reaches them."""


def _fill(con: duckdb.DuckDBPyConnection, version: int) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute("CREATE SCHEMA IF NOT EXISTS metrics")
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(
        "CREATE OR REPLACE TABLE marts.facts AS SELECT range AS id, ? AS version FROM range(20000)",
        [version],
    )
    con.execute("COMMENT ON TABLE marts.facts IS 'one row per fact'")
    con.execute("COMMENT ON COLUMN marts.facts.version IS 'which publish wrote it'")
    con.execute("CREATE OR REPLACE TABLE metrics.values AS SELECT ? AS version", [version])
    con.execute("CREATE OR REPLACE TABLE raw.secretish AS SELECT 1 AS x")


def _db_version(home: Home) -> int:
    reader = duckdb.connect(str(home.published), read_only=True)
    try:
        return reader.execute("SELECT max(version) FROM marts.facts").fetchone()[0]
    finally:
        reader.close()


def _parquet_versions(home: Home) -> set[int]:
    """The publish each Parquet file comes from (every file carries a `version` column)."""
    return {
        duckdb.sql(f"SELECT max(version) FROM '{path}'").fetchone()[0]
        for path in home.parquet_dir.glob("*.parquet")
    }


class Stopped(BaseException):
    """Stands in for `kill -9` at a crash point: nothing after it in the publish runs."""


def _stop_at(monkeypatch: pytest.MonkeyPatch, point: str) -> None:
    def crash_point(name: str) -> None:
        if name == point:
            raise Stopped(name)

    monkeypatch.setattr(publishing, "crash_point", crash_point)


def _publish_stopped_at(
    monkeypatch: pytest.MonkeyPatch, con: duckdb.DuckDBPyConnection, home: Home, point: str
) -> None:
    _stop_at(monkeypatch, point)
    with pytest.raises(Stopped):
        publish(con, home)
    monkeypatch.undo()


def _run_started(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """meta.runs with `run_id` running, and the core.quarantine its success counts."""
    con.execute("CREATE SCHEMA IF NOT EXISTS core")
    con.execute("CREATE OR REPLACE TABLE core.quarantine AS SELECT 'open' AS status")
    run_sql_file(con, "meta/run_started.sql", {"run_id": run_id, "rules_json": "{}"})


def _entries(home: Home) -> set[str]:
    return {p.name for p in home.published.parent.iterdir()}


# --- what a publish writes --------------------------------------------------------------------


def test_the_published_copy_has_the_stable_schemas_and_their_comments(paved_home: Home):
    with open_warehouse(paved_home.warehouse) as con:
        _fill(con, 1)
        report = publish(con, paved_home)
    reader = duckdb.connect(str(report.path), read_only=True)
    try:
        assert reader.execute("SELECT count(*), max(version) FROM marts.facts").fetchone() == (
            20000,
            1,
        )
        assert reader.execute(
            "SELECT comment FROM duckdb_columns() "
            "WHERE table_name='facts' AND column_name='version'"
        ).fetchone() == ("which publish wrote it",)
        schemas = {
            r[0] for r in reader.execute("SELECT schema_name FROM duckdb_tables()").fetchall()
        }
        assert "raw" not in schemas
    finally:
        reader.close()


def test_marts_are_also_written_as_parquet(paved_home: Home):
    with open_warehouse(paved_home.warehouse) as con:
        _fill(con, 1)
        publish(con, paved_home)
    out = paved_home.parquet_dir / "marts.facts.parquet"
    assert duckdb.sql(f"SELECT count(*) FROM '{out}'").fetchone() == (20000,)


def test_readers_open_the_same_paths_which_lead_into_the_current_version(paved_home: Home):
    with open_warehouse(paved_home.warehouse) as con:
        _fill(con, 1)
        publish(con, paved_home)
    version = current_version(paved_home)
    assert version is not None
    assert paved_home.published.is_file() and paved_home.parquet_dir.is_dir()
    assert paved_home.published.resolve() == (version / "paved.duckdb").resolve()
    assert paved_home.parquet_dir.resolve() == (version / "parquet").resolve()


def test_the_links_are_relative_so_a_copied_home_reads_its_own_copy(paved_home: Home, tmp_path):
    with open_warehouse(paved_home.warehouse) as con:
        _fill(con, 1)
        publish(con, paved_home)
    copy = Home(tmp_path / "copy")
    shutil.copytree(paved_home.root, copy.root, symlinks=True)
    assert copy.published.resolve().is_relative_to(copy.root)
    assert copy.parquet_dir.resolve().is_relative_to(copy.root)
    assert _db_version(copy) == 1


def test_after_publishes_the_folder_holds_the_current_and_previous_versions_only(
    paved_home: Home,
):
    """The version a publish replaced stays until the next publish: a reader that resolved the
    path just before the swap can still open it (DuckDB resolves the symlinks first)."""
    with open_warehouse(paved_home.warehouse) as con:
        for version in (1, 2, 3):
            _fill(con, version)
            publish(con, paved_home)
            if version == 2:
                second = current_version(paved_home)
    current = current_version(paved_home)
    assert current is not None and second is not None
    assert _entries(paved_home) == {
        "current", "previous", "paved.duckdb", "parquet", current.name, second.name
    }  # fmt: skip
    assert sorted(p.name for p in current.iterdir()) == ["parquet", "paved.duckdb"]


def test_a_run_is_recorded_successful_in_the_copy_and_then_in_the_warehouse(paved_home: Home):
    with open_warehouse(paved_home.warehouse) as con:
        _fill(con, 1)
        _run_started(con, "r1")
        publish(con, paved_home, run_id="r1")
        in_warehouse = con.execute("SELECT run_id, status FROM meta.runs").fetchall()
    reader = duckdb.connect(str(paved_home.published), read_only=True)
    try:
        published = reader.execute("SELECT run_id, status FROM meta.runs").fetchall()
    finally:
        reader.close()
    assert published == in_warehouse == [("r1", "success")]


def test_a_run_killed_while_publishing_is_not_recorded_successful(
    paved_home: Home, monkeypatch: pytest.MonkeyPatch
):
    with open_warehouse(paved_home.warehouse) as con:
        _fill(con, 1)
        _run_started(con, "r1")
        _stop_at(monkeypatch, "publish:before_swap")
        with pytest.raises(Stopped):
            publish(con, paved_home, run_id="r1")
        assert con.execute("SELECT status FROM meta.runs").fetchall() == [("running",)]


# --- a publish stopped part-way ----------------------------------------------------------------


@pytest.mark.parametrize("point", BEFORE_SWAP)
def test_a_publish_stopped_before_its_swap_leaves_the_previous_copy_and_its_parquet(
    paved_home: Home, monkeypatch: pytest.MonkeyPatch, point: str
):
    with open_warehouse(paved_home.warehouse) as con:
        _fill(con, 1)
        publish(con, paved_home)
        _fill(con, 2)
        _publish_stopped_at(monkeypatch, con, paved_home, point)
    assert _db_version(paved_home) == 1
    assert _parquet_versions(paved_home) == {1}


def test_a_publish_stopped_after_its_swap_has_published_the_new_copy_and_its_parquet(
    paved_home: Home, monkeypatch: pytest.MonkeyPatch
):
    with open_warehouse(paved_home.warehouse) as con:
        _fill(con, 1)
        publish(con, paved_home)
        _fill(con, 2)
        _publish_stopped_at(monkeypatch, con, paved_home, "publish:swapped")
    assert _db_version(paved_home) == 2
    assert _parquet_versions(paved_home) == {2}


@pytest.mark.parametrize("point", [*BEFORE_SWAP, "publish:swapped"])
def test_the_next_publish_removes_what_a_stopped_publish_left(
    paved_home: Home, monkeypatch: pytest.MonkeyPatch, point: str
):
    with open_warehouse(paved_home.warehouse) as con:
        for version in (1, 2):
            _fill(con, version)
            publish(con, paved_home)
        _fill(con, 3)
        _publish_stopped_at(monkeypatch, con, paved_home, point)
        assert leftovers(paved_home), "the stopped publish left nothing to clean: a weak test"
        _fill(con, 4)
        publish(con, paved_home)
    assert leftovers(paved_home) == []
    assert _db_version(paved_home) == 4
    assert _parquet_versions(paved_home) == {4}


def test_leftovers_of_the_single_file_layout_are_removed_and_other_files_kept(paved_home: Home):
    folder = paved_home.published.parent
    (folder / ".staging-0a1b.duckdb").write_bytes(b"half")
    (folder / ".staging-0a1b.duckdb.wal").write_bytes(b"wal")
    for name in (".parquet-0a1b", ".parquet-old-0a1b"):
        (folder / name).mkdir()
        (folder / name / "marts.facts.parquet").write_bytes(b"half")
    (folder / "paved.duckdb.wal").write_bytes(b"stale")
    (folder / "notes.txt").write_text("a user's file")
    with open_warehouse(paved_home.warehouse) as con:
        _fill(con, 1)
        publish(con, paved_home)
    version = current_version(paved_home)
    assert version is not None
    # No "previous": the single-file layout had no version to keep.
    assert _entries(paved_home) == {"current", "paved.duckdb", "parquet", version.name, "notes.txt"}


def test_a_home_published_as_a_single_file_is_migrated_to_the_versioned_layout(paved_home: Home):
    paved_home.parquet_dir.mkdir()
    (paved_home.parquet_dir / "marts.facts.parquet").write_bytes(b"old")
    old = duckdb.connect(str(paved_home.published))
    old.execute("CREATE TABLE t AS SELECT 1 AS x")
    old.close()
    with open_warehouse(paved_home.warehouse) as con:
        _fill(con, 7)
        publish(con, paved_home)
    assert paved_home.published.is_symlink() and paved_home.parquet_dir.is_symlink()
    assert _db_version(paved_home) == 7
    assert _parquet_versions(paved_home) == {7}
    assert leftovers(paved_home) == []


def test_a_publish_waits_for_one_in_progress_and_never_removes_its_files(paved_home: Home):
    """Another process publishing the home holds the folder's lock: its half-written version is
    not a leftover, and this publish starts once that one is done."""
    folder = paved_home.published.parent
    in_progress = folder / ".v-in-progress"
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    in_progress.mkdir()
    done = threading.Event()

    def other_publish() -> None:
        with open_warehouse(paved_home.warehouse) as con:
            _fill(con, 1)
            publish(con, paved_home)
        done.set()

    thread = threading.Thread(target=other_publish)
    thread.start()
    try:
        time.sleep(1.0)
        assert in_progress.is_dir()
        assert not done.is_set()
    finally:
        os.close(fd)
    thread.join(timeout=60)
    assert done.is_set()
    assert _db_version(paved_home) == 1


# --- readers during publishes ------------------------------------------------------------------


def test_the_dashboard_sees_each_new_publish_through_the_links(paved_home: Home):
    from dashboards import data

    sql = "SELECT max(version) AS version FROM marts.facts"
    with open_warehouse(paved_home.warehouse) as con:
        _fill(con, 1)
        publish(con, paved_home)
        first = data.file_identity(paved_home.published)
        assert data.query(sql)["version"].iloc[0] == 1
        _fill(con, 2)
        publish(con, paved_home)
    assert data.file_identity(paved_home.published) != first
    assert data.query(sql)["version"].iloc[0] == 2


READER = textwrap.dedent(
    """
    import sys, time, duckdb
    path, until = sys.argv[1], time.time() + float(sys.argv[2])
    ok = errors = 0
    seen = set()
    while time.time() < until:
        try:
            con = duckdb.connect(path, read_only=True)
            n, lo, hi = con.execute(
                "SELECT count(*), min(version), max(version) FROM marts.facts").fetchone()
            con.close()
            assert n == 20000 and lo == hi, (n, lo, hi)
            seen.add(lo)
            ok += 1
        except Exception as exc:
            errors += 1
            print(repr(exc), file=sys.stderr)
    print(ok, errors, len(seen))
    """
)


def _publish_repeatedly(con: duckdb.DuckDBPyConnection, home: Home, seconds: float) -> int:
    version = 0
    deadline = time.time() + seconds
    while time.time() < deadline:
        version += 1
        _fill(con, version)
        publish(con, home)
    return version


def test_a_reader_querying_during_publishes_sees_old_or_new_never_an_error(paved_home: Home):
    with open_warehouse(paved_home.warehouse) as con:
        _fill(con, 0)
        publish(con, paved_home)
        reader = subprocess.Popen(
            [sys.executable, "-c", READER, str(paved_home.published), "4"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _publish_repeatedly(con, paved_home, 3.5)
        out, err = reader.communicate(timeout=60)
    ok, errors, versions_seen = (int(x) for x in out.split())
    assert errors == 0, err
    assert ok > 10
    assert versions_seen >= 2


DB_THEN_PARQUET = textwrap.dedent(
    """
    import sys, time, duckdb
    db, parquet, until = sys.argv[1], sys.argv[2], time.time() + float(sys.argv[3])
    reads = older = 0
    while time.time() < until:
        con = duckdb.connect(db, read_only=True)
        in_db = con.execute("SELECT max(version) FROM marts.facts").fetchone()[0]
        con.close()
        in_parquet = duckdb.sql(f"SELECT max(version) FROM '{parquet}'").fetchone()[0]
        reads += 1
        older += in_parquet < in_db
    print(reads, older)
    """
)


def test_a_reader_never_finds_the_parquet_older_than_the_duckdb_file_it_just_read(
    paved_home: Home,
):
    """Both are swapped as one: the Parquet read after the DuckDB file is from the same publish
    or a later one, never from the publish before it."""
    parquet = paved_home.parquet_dir / "marts.facts.parquet"
    with open_warehouse(paved_home.warehouse) as con:
        _fill(con, 0)
        publish(con, paved_home)
        reader = subprocess.Popen(
            [sys.executable, "-c", DB_THEN_PARQUET, str(paved_home.published), str(parquet), "4"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        publishes = _publish_repeatedly(con, paved_home, 3.5)
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    reads, older = (int(x) for x in out.split())
    assert publishes > 5 and reads > 20
    assert older == 0
