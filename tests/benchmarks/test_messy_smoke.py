"""The messy-input benchmark's batches at a tiny size (20 engineers x 10 weeks, 2,109 records).

Why: benchmarks.messy reports its figures only when its checks pass, and those checks rest on
two things tested here without a pipeline run: the corrupted batch is the same on every run (so
figures compare), and what the manifest expects (core = clean records minus the damaged ones, one
open quarantine entry per damaged record and per unreadable file) is what `load_inbox` +
`build_core` produce. A higher rate than the benchmark's 1% puts every kind of damage in.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from benchmarks.messy import (
    BAD_FILES,
    KINDS,
    clean_counts,
    corrupt,
    place_of,
    verify,
    write_clean,
)
from pipelines.core import build_core
from pipelines.inbox import load_inbox
from pipelines.warehouse import configure

ENGINEERS, WEEKS, RATE = 20, 10, 0.05


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("messy")
    info = write_clean(root / "clean", ENGINEERS, WEEKS)
    first = corrupt(root / "clean", root / "a", info, rate=RATE)
    second = corrupt(root / "clean", root / "b", info, rate=RATE)
    return {"root": root, "info": info, "first": first, "second": second}


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = configure(duckdb.connect(str(tmp_path / "w.duckdb")))
    yield connection
    connection.close()


def test_the_corruption_is_deterministic(batches: dict[str, Any]) -> None:
    root = batches["root"]
    assert batches["first"] == batches["second"]
    names = sorted(p.name for p in (root / "a").iterdir())
    assert names == sorted(p.name for p in (root / "b").iterdir())
    for name in names:
        assert (root / "a" / name).read_bytes() == (root / "b" / name).read_bytes(), name


def test_every_file_and_every_kind_of_damage_is_in_the_batch(batches: dict[str, Any]) -> None:
    manifest, info = batches["first"], batches["info"]
    assert 2_000 <= manifest["records"] <= 2_300
    damaged_files = {f for f, _, _, _ in manifest["damaged"]}
    assert damaged_files == {info["files"][e] for e, n in info["rows"].items() if n}
    assert all(manifest["by_kind"][k] > 0 for k in KINDS), manifest["by_kind"]
    lines = [(f, line) for f, line, _, _ in manifest["damaged"]]
    assert len(lines) == len(set(lines))  # distinct records, so distinct keys
    assert manifest["expected_open"] == len(lines) + len(BAD_FILES)
    assert (batches["root"] / "a" / BAD_FILES[0]).stat().st_size == 0


def test_the_clean_batch_loads_whole(batches: dict[str, Any], con) -> None:
    load_inbox(con, batches["root"] / "clean", "clean")
    build_core(con)
    counts = clean_counts(con, batches["info"]["rows"])
    assert counts["ok"], counts


def test_loader_and_core_give_the_counts_the_benchmark_expects(
    batches: dict[str, Any], con
) -> None:
    report = load_inbox(con, batches["root"] / "a", "messy")
    core = build_core(con)
    result = verify(con, batches["first"])
    assert result["ok"], {k: result[k] for k in ("core_differs", "missing", "unexpected")}
    assert core.quarantined_total == batches["first"]["expected_open"]
    assert report.unreadable > 0
    reasons = dict(
        con.execute(
            "SELECT regexp_extract(origin, '[^/]+$'), reason FROM core.quarantine "
            "WHERE origin LIKE '%.parquet'"
        ).fetchall()
    )
    assert sorted(reasons) == sorted(BAD_FILES)
    assert all("cannot read this parquet file" in r for r in reasons.values()), reasons


REASONS = {  # kind -> what its quarantine reason says, by whichever check caught it
    "invalid_utf8": ("invalid UTF-8 at byte offset",),
    "truncated": ("not valid JSON", "columns, found"),
    "lone_surrogate": ("not valid JSON",),
    "deep_array": ("not a JSON object",),
    "long_field": ("longer than 65,536 bytes",),
    "object_id": ("got an object",),
    "fraction": ("expected an integer, got a fraction",),
    "nan": ("got a fraction", "cannot parse 'NaN' as number"),
    "ts_infinity": ("infinity is more than",),
    "ts_year9999": ("9999-12-31T23:59:59Z is more than",),
    "unbalanced_quote": ("quoting cannot be parsed",),
}


def test_each_kind_of_damage_is_caught_by_the_check_meant_for_it(
    batches: dict[str, Any], con
) -> None:
    load_inbox(con, batches["root"] / "a", "messy")
    build_core(con)
    reasons = {
        place_of(origin): reason
        for origin, reason in con.execute("SELECT origin, reason FROM core.quarantine").fetchall()
    }
    wrong = [
        (f"{file}:{line}", kind, reasons[f"{file}:{line}"][:100])
        for file, line, _, kind in batches["first"]["damaged"]
        if not any(text in reasons[f"{file}:{line}"] for text in REASONS[kind])
    ]
    assert wrong == []
