"""Publishing swaps in a complete read-only copy; readers never see an error or a half state."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import duckdb

from pipelines.paths import Home
from pipelines.publish import publish
from pipelines.warehouse import open_warehouse


def _fill(con: duckdb.DuckDBPyConnection, version: int) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(
        "CREATE OR REPLACE TABLE marts.facts AS SELECT range AS id, ? AS version FROM range(20000)",
        [version],
    )
    con.execute("COMMENT ON TABLE marts.facts IS 'one row per fact'")
    con.execute("COMMENT ON COLUMN marts.facts.version IS 'which publish wrote it'")
    con.execute("CREATE OR REPLACE TABLE raw.secretish AS SELECT 1 AS x")


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


def test_no_wal_or_staging_file_is_left_beside_the_published_copy(paved_home: Home):
    with open_warehouse(paved_home.warehouse) as con:
        _fill(con, 1)
        publish(con, paved_home)
        publish(con, paved_home)
    names = sorted(p.name for p in paved_home.published.parent.iterdir())
    assert names == ["parquet", "paved.duckdb"]


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
        version = 0
        deadline = time.time() + 3.5
        while time.time() < deadline:
            version += 1
            _fill(con, version)
            publish(con, paved_home)
        out, err = reader.communicate(timeout=60)
    ok, errors, versions_seen = (int(x) for x in out.split())
    assert errors == 0, err
    assert ok > 10
    assert versions_seen >= 2
