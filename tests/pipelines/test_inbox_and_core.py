"""The inbox loader and core build hold every rule of contract §1."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.core import build_core
from pipelines.inbox import InboxError, load_inbox
from pipelines.warehouse import configure

DEPLOY = {
    "deployment_id": "d1",
    "service_id": "svc",
    "environment": "production",
    "sha": "abc",
    "finished_at": "2024-03-04T10:00:00Z",
    "status": "success",
}
ENGINEER = {
    "engineer_id": "e1",
    "team_id": "t1",
    "start_date": "2024-01-08",
    "aliases": ["Alice-GH", "alice@example.com"],
}


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    connection = configure(duckdb.connect(str(tmp_path / "w.duckdb")))
    yield connection
    connection.close()


def load(con: duckdb.DuckDBPyConnection, folder: Path, batch: str = "b1"):
    report = load_inbox(con, folder, batch)
    core = build_core(con)
    return report, core


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_jsonl_csv_and_parquet_files_all_load(con, write_batch, tmp_path):
    folder = write_batch(
        {
            "deployments": [DEPLOY],
            "teams.csv": "team_id,name,topology\nt1,Payments,stream_aligned\n",
        }
    )
    pd.DataFrame(
        [
            {
                "incident_id": "i1",
                "service_id": "svc",
                "opened_at": pd.Timestamp("2024-03-05T00:00:00Z"),
            }
        ]
    ).to_parquet(folder / "incidents.parquet")
    _, core = load(con, folder)
    assert (core.rows["deployments"], core.rows["teams"], core.rows["incidents"]) == (1, 1, 1)


def test_a_folder_per_entity_loads_every_file_in_it(con, write_batch):
    folder = write_batch(
        {
            "deployments/part-1.jsonl": [DEPLOY],
            "deployments/part-2.jsonl": [{**DEPLOY, "deployment_id": "d2"}],
        }
    )
    _, core = load(con, folder)
    assert core.rows["deployments"] == 2


def test_reloading_the_same_batch_never_duplicates(con, write_batch):
    folder = write_batch({"deployments": [DEPLOY], "engineers": [ENGINEER]})
    load(con, folder, "b1")
    report, core = load(con, folder, "b2")
    assert report.inserted == 0 and report.unchanged == 2
    assert core.rows["deployments"] == 1
    assert rows(con, "SELECT count(*) FROM raw.records") == [(2,)]


def test_a_changed_record_with_the_same_key_replaces_the_old_one(con, write_batch):
    load(con, write_batch({"deployments": [DEPLOY]}), "b1")
    load(con, write_batch({"deployments": [{**DEPLOY, "status": "failure"}]}), "b2")
    assert rows(con, "SELECT status FROM core.deployments") == [("failure",)]
    assert rows(con, "SELECT count(*) FROM raw.records") == [(2,)]


def test_a_bad_record_is_quarantined_with_its_reason_and_the_rest_loads(con, write_batch):
    bad = {**DEPLOY, "deployment_id": "d2", "finished_at": "yesterday"}
    missing = {k: v for k, v in DEPLOY.items() if k != "sha"} | {"deployment_id": "d3"}
    _, core = load(con, write_batch({"deployments": [DEPLOY, bad, missing]}))
    assert core.rows["deployments"] == 1
    assert core.quarantined_by_entity == {"deployments": 2}
    reasons = dict(rows(con, "SELECT record_key, reason FROM core.quarantine"))
    assert reasons["d2"] == "field finished_at: cannot parse 'yesterday' as timestamp"
    assert reasons["d3"] == "missing required field sha"


def test_a_value_outside_the_allowed_set_is_quarantined(con, write_batch):
    load(con, write_batch({"deployments": [{**DEPLOY, "status": "green"}]}))
    assert rows(con, "SELECT reason FROM core.quarantine") == [
        ("field status: 'green' is not one of success/failure/cancelled/in_progress",)
    ]


def test_a_line_that_is_not_json_is_quarantined_with_its_file_and_line(con, write_batch):
    import json

    folder = write_batch({"deployments.jsonl": json.dumps(DEPLOY) + "\n{not json\n"})
    _, core = load(con, folder)
    assert core.rows["deployments"] == 1
    [(origin, reason)] = rows(con, "SELECT origin, reason FROM core.quarantine")
    assert origin.endswith("deployments.jsonl:2")
    assert reason.startswith("not valid JSON")


def test_an_invalid_newer_version_never_hides_the_older_valid_one(con, write_batch):
    load(con, write_batch({"deployments": [DEPLOY]}), "b1")
    load(con, write_batch({"deployments": [{**DEPLOY, "status": "??"}]}), "b2")
    assert rows(con, "SELECT status FROM core.deployments") == [("success",)]
    assert rows(con, "SELECT count(*) FROM core.quarantine") == [(1,)]


@pytest.mark.parametrize(
    ("received", "stored"),
    [
        ("2024-03-04T12:00:00+02:00", datetime(2024, 3, 4, 10, 0)),
        ("2024-03-04T10:00:00Z", datetime(2024, 3, 4, 10, 0)),
        ("2024-03-04T10:00:00", datetime(2024, 3, 4, 10, 0)),
        ("2024-03-03T22:30:00-05:00", datetime(2024, 3, 4, 3, 30)),
    ],
)
def test_timestamps_are_stored_in_utc(con, write_batch, received, stored):
    load(con, write_batch({"deployments": [{**DEPLOY, "finished_at": received}]}))
    assert rows(con, "SELECT finished_at FROM core.deployments") == [(stored,)]


def test_csv_lists_are_space_separated_and_booleans_are_words(con, write_batch):
    folder = write_batch(
        {
            "engineers.csv": "engineer_id,team_id,start_date,aliases\ne1,t1,2024-01-08,a b c\n",
            "ci_runs.csv": "run_id,repo,pipeline,started_at,status,golden_path\n"
            "r1,acme/x,build,2024-01-09T10:00:00Z,success,true\n",
        }
    )
    load(con, folder)
    assert rows(con, "SELECT aliases, start_date FROM core.engineers") == [
        (["a", "b", "c"], date(2024, 1, 8))
    ]
    assert rows(con, "SELECT golden_path, attempt FROM core.ci_runs") == [(True, 1)]


def test_defaults_apply_when_a_field_is_absent(con, write_batch):
    load(con, write_batch({"deployments": [DEPLOY]}))
    assert rows(con, "SELECT kind FROM core.deployments") == [("regular",)]


def test_unknown_fields_and_entities_are_kept_in_raw_and_reported(con, write_batch):
    folder = write_batch({"deployments": [{**DEPLOY, "region": "eu"}], "widgets": [{"a": 1}]})
    report, core = load(con, folder)
    assert report.unknown_entities == ["widgets"]
    found = rows(con, "SELECT kind, entity, records FROM meta.inbox_findings ORDER BY 1")
    assert found == [("unknown_entity", "widgets", 1), ("unknown_field", "deployments", 1)]
    assert core.quarantined_total == 0
    assert rows(con, "SELECT payload->>'region' FROM raw.records WHERE entity='deployments'") == [
        ("eu",)
    ]


def test_authors_resolve_to_engineers_by_alias_case_insensitively(con, write_batch):
    commits = [
        {
            "sha": "c1",
            "repo": "acme/x",
            "authored_at": "2024-02-01T10:00:00Z",
            "author_id": "alice-gh",
        },
        {"sha": "c2", "repo": "acme/x", "authored_at": "2024-02-01T11:00:00Z", "author_id": "E1"},
        {
            "sha": "c3",
            "repo": "acme/x",
            "authored_at": "2024-02-01T12:00:00Z",
            "author_id": "dependabot[bot]",
        },
    ]
    load(con, write_batch({"engineers": [ENGINEER], "commits": commits}))
    assert rows(con, "SELECT sha, author_engineer_id FROM core.commits ORDER BY sha") == [
        ("c1", "e1"),
        ("c2", "e1"),
        ("c3", None),
    ]


def test_an_unreadable_file_is_one_quarantine_entry_and_the_other_files_load(con, write_batch):
    folder = write_batch({"engineers": [ENGINEER], "incidents.parquet": "not parquet"})
    _, core = load(con, folder)
    assert core.rows["engineers"] == 1
    [(origin, reason)] = rows(con, "SELECT origin, reason FROM core.quarantine")
    assert origin.endswith("incidents.parquet")
    assert reason.startswith("cannot read this parquet file")


def test_a_missing_inbox_folder_is_a_clear_error(con, tmp_path):
    with pytest.raises(InboxError, match="is not a folder"):
        load_inbox(con, tmp_path / "nope", "b1")


def test_a_directory_identity_adds_its_logins_to_the_engineer_it_shares_an_alias_with(
    con, write_batch
):
    identity = {"identity_id": "jdoe", "email": "ALICE@example.com", "aliases": ["alice-gl"]}
    commit = {
        "sha": "c9",
        "repo": "acme/x",
        "authored_at": "2024-02-01T10:00:00Z",
        "author_id": "Alice-GL",
    }
    load(con, write_batch({"engineers": [ENGINEER], "identities": [identity], "commits": [commit]}))
    assert rows(con, "SELECT author_engineer_id FROM core.commits") == [("e1",)]


def _core_snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    tables = ["deployments", "commits", "engineers"]
    snap = {t: sorted(rows(con, f"SELECT * FROM core.{t}"), key=repr) for t in tables}
    snap["quarantine"] = sorted(
        rows(con, "SELECT entity, record_key, reason, origin FROM core.quarantine"), key=repr
    )
    return snap


def test_a_build_after_new_records_equals_a_rebuild_from_all_of_raw(con, write_batch):
    commit = {"sha": "c1", "repo": "acme/x", "authored_at": "2024-02-01T10:00:00Z",
              "author_id": "alice-gh"}  # fmt: skip
    load(con, write_batch({"deployments": [DEPLOY], "commits": [commit]}), "b1")
    load(
        con,
        write_batch(
            {
                "deployments": [
                    {**DEPLOY, "status": "failure"},  # a newer valid version
                    {**DEPLOY, "deployment_id": "d2", "status": "??"},  # invalid, new key
                    {**DEPLOY, "deployment_id": "d3"},
                ],
                "engineers": [ENGINEER],  # resolves the earlier commit's author
            }
        ),
        "b2",
    )
    load(con, write_batch({"deployments": [{**DEPLOY, "sha": "zzz", "status": "nope"}]}), "b3")
    incremental = _core_snapshot(con)
    con.execute("DELETE FROM meta.core_state")
    build_core(con)
    assert incremental == _core_snapshot(con)
    assert rows(con, "SELECT author_engineer_id FROM core.commits") == [("e1",)]


def test_a_build_reads_only_records_newer_than_the_last_one(con, write_batch):
    load(con, write_batch({"deployments": [DEPLOY]}), "b1")
    # a row that raw cannot explain survives an incremental build: it was not rebuilt
    con.execute("INSERT INTO core.deployments (deployment_id) VALUES ('planted')")
    load(con, write_batch({"deployments": [{**DEPLOY, "deployment_id": "d2"}]}), "b2")
    assert rows(con, "SELECT deployment_id FROM core.deployments ORDER BY 1") == [
        ("d1",), ("d2",), ("planted",)
    ]  # fmt: skip
    assert rows(con, "SELECT max_seq FROM meta.core_state WHERE entity = 'deployments'") == [(2,)]


def test_a_table_built_with_other_typing_rules_is_rebuilt_from_all_of_raw(con, write_batch):
    load(con, write_batch({"deployments": [DEPLOY]}), "b1")
    con.execute("INSERT INTO core.deployments (deployment_id) VALUES ('planted')")
    con.execute("UPDATE meta.core_state SET signature = 'an older contract'")
    build_core(con)
    assert rows(con, "SELECT deployment_id FROM core.deployments") == [("d1",)]


def test_a_stored_record_the_current_rules_reject_is_quarantined_on_the_next_build(
    con, write_batch
):
    from pipelines.config import Rules

    old = {**DEPLOY, "finished_at": "1995-06-01T00:00:00Z"}
    load_inbox(con, write_batch({"deployments": [old]}), "b1")
    build_core(con, Rules(earliest_event_at="1990-01-01"))
    assert rows(con, "SELECT count(*) FROM core.deployments") == [(1,)]
    report = build_core(con, Rules())
    assert rows(con, "SELECT count(*) FROM core.deployments") == [(0,)]
    assert report.quarantined_by_entity == {"deployments": 1}
    [(reason,)] = rows(con, "SELECT reason FROM core.quarantine")
    assert "is before 2000-01-01 (rule earliest_event_at)" in reason


def test_a_record_the_current_rules_accept_again_leaves_the_quarantine(con, write_batch):
    from pipelines.config import Rules

    old = {**DEPLOY, "finished_at": "1995-06-01T00:00:00Z"}
    load(con, write_batch({"deployments": [old]}))
    assert rows(con, "SELECT count(*) FROM core.quarantine") == [(1,)]
    build_core(con, Rules(earliest_event_at="1990-01-01"))
    assert rows(con, "SELECT count(*) FROM core.quarantine") == [(0,)]
    assert rows(con, "SELECT count(*) FROM core.deployments") == [(1,)]


def test_building_twice_writes_each_quarantine_entry_once(con, write_batch):
    load(con, write_batch({"deployments": [{**DEPLOY, "status": "??"}]}))
    con.execute("DELETE FROM meta.core_state")  # as if the state update was lost in a crash
    report = build_core(con)
    assert rows(con, "SELECT count(*), count(DISTINCT raw_seq) FROM core.quarantine") == [(1, 1)]
    assert report.new_open == 0


def test_key_conflicts_are_listed_per_key_up_to_a_limit_then_counted(con, write_batch):
    from pipelines.inbox import CONFLICT_EXAMPLES

    n = CONFLICT_EXAMPLES + 5
    first = [{**DEPLOY, "deployment_id": f"d{i}", "sha": "a"} for i in range(n)]
    later = [{**DEPLOY, "deployment_id": f"d{i}", "sha": "b"} for i in range(n)]
    report = load_inbox(con, write_batch({"deployments": first + later}), "b1")
    conflicts = [f for f in report.findings if f.kind == "key_conflict"]
    assert len(conflicts) == CONFLICT_EXAMPLES + 1
    assert conflicts[-1].records == 5 and "5 more deployments keys" in conflicts[-1].detail


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("teams.csv", b"team_id,name\nt1,A\nt2,B\xfe\nt3,C,D\nt4,D\n"),
        (
            "teams.jsonl",
            b'{"team_id":"t1","name":"A"}\n{"team_id":"t2","name":"B\xfe"}\n'
            b'{"team_id":"t3","name":"C\xff"}\n\n{"team_id":"t4","name":"D"}\n',
        ),  # fmt: skip
    ],
)
def test_lines_after_set_aside_lines_keep_their_own_line_numbers(con, tmp_path, name, content):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / name).write_bytes(content)
    load(con, folder)
    good = dict(
        rows(con, "SELECT payload->>'team_id', origin FROM raw.records WHERE problem IS NULL")
    )
    last = content.count(b"\n")
    assert good["t1"].endswith(f"{name}:{2 if name.endswith('csv') else 1}")
    assert good["t4"].endswith(f"{name}:{last}")
    bad = [o for (o,) in rows(con, "SELECT origin FROM core.quarantine ORDER BY origin")]
    assert [o.rsplit(":", 1)[1] for o in bad] == (
        ["3", "4"] if name.endswith("csv") else ["2", "3"]
    )
