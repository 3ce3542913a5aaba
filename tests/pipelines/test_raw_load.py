"""The raw load's guarantees: envelopes exactly as received, keys, arrival order, idempotence."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.inbox import load_inbox
from pipelines.raw import WriteResult, key_expression, write_records
from pipelines.warehouse import configure


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    connection = configure(duckdb.connect(str(tmp_path / "w.duckdb")))
    yield connection
    connection.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def line(origin: str) -> int:
    return int(origin.rsplit(":", 1)[1])


def write_parquet(path: Path, columns: dict[str, list], row_group_size: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path, row_group_size=row_group_size)


def deployments(n: int, start: int = 0) -> dict[str, list]:
    ids = [f"d{i}" for i in range(start, start + n)]
    return {"deployment_id": ids, "service_id": ["svc"] * n, "sha": [f"s{i}" for i in ids]}


def test_seq_follows_file_and_row_order_within_a_load(con, tmp_path):
    folder = tmp_path / "batch"
    write_parquet(folder / "deployments.parquet", deployments(30_000), row_group_size=2_000)
    (folder / "engineers.csv").write_text(
        "engineer_id,team_id,start_date\n" + "".join(f"e{i},t1,2024-01-08\n" for i in range(500))
    )
    (folder / "teams.jsonl").write_text(
        "".join(json.dumps({"team_id": f"t{i}", "name": "x"}) + "\n" for i in range(500))
    )
    load_inbox(con, folder, "b1")
    stored = rows(con, "SELECT entity, origin FROM raw.records ORDER BY seq")
    files = {"deployments": 0, "engineers": 1, "teams": 2}  # the batch's file order
    order = [(files[entity], line(origin)) for entity, origin in stored]
    assert order == sorted(order) and len(order) == 31_000
    assert rows(con, "SELECT min(seq), max(seq), count(DISTINCT seq) FROM raw.records") == [
        (1, 31_000, 31_000)
    ]


def test_a_second_load_gets_higher_seqs_than_the_first(con, write_batch):
    load_inbox(con, write_batch({"deployments": [{"deployment_id": "d1", "sha": "a"}]}), "b1")
    load_inbox(con, write_batch({"deployments": [{"deployment_id": "d1", "sha": "b"}]}), "b2")
    assert rows(con, "SELECT batch_id FROM raw.records ORDER BY seq") == [("b1",), ("b2",)]


def test_a_warehouse_whose_seqs_came_from_the_old_sequence_keeps_increasing(con, write_batch):
    load_inbox(con, write_batch({"deployments": [{"deployment_id": "d1"}]}), "b1")
    con.execute("UPDATE raw.records SET seq = 1000")  # as if numbered by raw.record_seq
    load_inbox(con, write_batch({"deployments": [{"deployment_id": "d2"}]}), "b2")
    assert rows(con, "SELECT seq, record_key FROM raw.records ORDER BY seq") == [
        (1000, "d1"),
        (1001, "d2"),
    ]


def test_redelivering_a_parquet_batch_stores_nothing(con, tmp_path):
    write_parquet(tmp_path / "batch" / "deployments.parquet", deployments(1_000))
    load_inbox(con, tmp_path / "batch", "b1")
    report = load_inbox(con, tmp_path / "batch", "b2")
    assert (report.inserted, report.unchanged) == (0, 1_000)
    assert rows(con, "SELECT count(*) FROM raw.records") == [(1_000,)]


def test_a_record_repeated_in_one_batch_is_stored_once_from_its_last_copy(con, write_batch):
    record = {"deployment_id": "d1", "sha": "a"}
    other = {"deployment_id": "d2", "sha": "b"}
    report = load_inbox(con, write_batch({"deployments": [record, other, record]}), "b1")
    assert report.results["deployments"] == WriteResult(inserted=2, unchanged=1)
    stored = rows(con, "SELECT record_key, origin FROM raw.records ORDER BY seq")
    assert [(key, line(origin)) for key, origin in stored] == [("d2", 2), ("d1", 3)]


def test_a_parquet_row_is_stored_as_to_json_of_the_row(con, tmp_path):
    path = tmp_path / "batch" / "pull_requests.parquet"
    write_parquet(
        path,
        {
            "repo": ["acme/x", None],
            "number": [7, 8],
            "created_at": pa.array([1_700_000_000_000_000, None], pa.timestamp("us", tz="UTC")),
            "commit_shas": [["a", "b"], []],
            "draft": [True, None],
        },
    )
    load_inbox(con, tmp_path / "batch", "b1")
    expected = rows(con, f"SELECT to_json(t)::VARCHAR FROM read_parquet('{path}') t")
    assert rows(con, "SELECT payload::VARCHAR FROM raw.records ORDER BY seq") == expected


KEY_VALUES = ["a", " a ", "", "   ", None, "\u00a0b\u3000", "c\u2003", "\tx\t", "é ", "ü"]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_keys_read_from_file_columns_equal_keys_extracted_from_the_payload(con, tmp_path, fmt):
    n = len(KEY_VALUES)
    columns = {"repo": KEY_VALUES, "sha": list(reversed(KEY_VALUES)), "author_id": ["x"] * n}
    folder = tmp_path / "batch"
    if fmt == "parquet":
        write_parquet(folder / "commits.parquet", columns)
        write_parquet(folder / "pull_requests.parquet", {"repo": KEY_VALUES, "number": range(n)})
        write_parquet(folder / "incidents.parquet", {"service_id": ["s"] * n})  # no key column
    else:
        folder.mkdir()
        pairs = zip(columns["repo"], columns["sha"], strict=True)
        csv = "repo,sha\n" + "".join(f'"{r or ""}","{s or ""}"\n' for r, s in pairs)
        (folder / "commits.csv").write_text(csv, encoding="utf-8")
    load_inbox(con, folder, "b1")
    for entity in ("commits", "pull_requests", "incidents"):
        assert rows(
            con,
            f"SELECT count(*) FROM raw.records WHERE entity = '{entity}' "
            f"AND record_key IS DISTINCT FROM ({key_expression(entity)})",
        ) == [(0,)]
    assert rows(con, "SELECT count(record_key) FROM raw.records WHERE entity = 'commits'") != [(0,)]


def test_write_records_counts_new_and_redelivered_records(con):
    first = [{"deployment_id": "d1"}, {"deployment_id": "d2"}]
    again = [{"deployment_id": "d1"}, {"deployment_id": "d2", "sha": "new"}]
    write = dict(source="gh", entity="deployments", origin="https://x", batch_id="s1")
    assert write_records(con, records=first, **write) == WriteResult(2, 0)
    assert write_records(con, records=again, **write) == WriteResult(1, 1)
    assert rows(con, "SELECT record_key FROM raw.records ORDER BY seq") == [
        ("d1",),
        ("d2",),
        ("d2",),
    ]


def test_a_load_leaves_the_compression_setting_as_it_was(con, write_batch):
    con.execute("SET disabled_compression_methods = 'bitpacking'")
    load_inbox(con, write_batch({"deployments": [{"deployment_id": "d1"}]}), "b1")
    setting = "SELECT current_setting('disabled_compression_methods')"
    assert rows(con, setting)[0][0].lower() == "bitpacking"
