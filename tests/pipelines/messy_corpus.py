"""The bad-input corpus: each case is files of a batch, the records that must be quarantined (by
origin and reason) and the good records of the same files that must load.

All cases are written into one batch (each under its entity's sub-folder, named for the case), so
one run proves both that each bad record is caught and that it costs nothing else: every other
line of its file and every other file of the batch loads.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

DEPLOY = {
    "service_id": "svc",
    "environment": "production",
    "sha": "abc",
    "finished_at": "2024-03-04T10:00:00Z",
    "status": "success",
}


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, bytes]  # path inside the batch -> content
    bad: tuple[tuple[str, str], ...] = ()  # (origin suffix, reason fragment) quarantined
    good: tuple[tuple[str, str], ...] = ()  # (entity, key) that must be in core
    findings: tuple[tuple[str, str], ...] = ()  # (kind, file suffix) reported
    special: dict[str, str] = field(default_factory=dict)  # path -> 'fifo' | 'link:<target>'


def dep(key: str, **fields: object) -> dict:
    return {"deployment_id": key, **DEPLOY, **fields}


def line(record: dict | bytes) -> bytes:
    return record if isinstance(record, bytes) else json.dumps(record).encode()


def jsonl(*records: dict | bytes) -> bytes:
    return b"\n".join(line(r) for r in records) + b"\n"


def deploy_line_case(name: str, bad: bytes, reason: str) -> Case:
    """Good, bad, good: the bad line is line 2 of its file and both neighbours load."""
    return Case(
        name,
        {f"deployments/{name}.jsonl": jsonl(dep(f"{name}-g1"), bad, dep(f"{name}-g2"))},
        bad=((f"{name}.jsonl:2", reason),),
        good=(("deployments", f"{name}-g1"), ("deployments", f"{name}-g2")),
    )


def deploy_field_case(name: str, reason: str, **fields: object) -> Case:
    return deploy_line_case(name, line(dep(f"{name}-bad", **fields)), reason)


def entity_case(name: str, entity: str, good: list[dict], bad: dict, key: str, reason: str) -> Case:
    return Case(
        name,
        {f"{entity}/{name}.jsonl": jsonl(good[0], bad, *good[1:])},
        bad=((f"{name}.jsonl:2", reason),),
        good=tuple((entity, g[key]) for g in good),
    )


def csv_case(name: str, bad_row: bytes, reason: str, *, header: bytes | None = None) -> Case:
    head = header or b"service_id,team_id,repo"
    rows = [head, f"{name}-g1,t1,o/r".encode(), bad_row, f"{name}-g2,t1,o/r".encode()]
    return Case(
        name,
        {f"services/{name}.csv": b"\n".join(rows) + b"\n"},
        bad=((f"{name}.csv:3", reason),),
        good=(("services", f"{name}-g1"), ("services", f"{name}-g2")),
    )


def parquet_bytes(rows: list[dict]) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), buffer)
    return buffer.getvalue()


def run(key: str, **fields: object) -> dict:
    return {"run_id": key, "repo": "o/r", "pipeline": "ci", "started_at": "2024-03-04T10:00:00Z",
            "status": "success", **fields}  # fmt: skip


def event(key: str, **fields: object) -> dict:
    return {"event_id": key, "occurred_at": "2024-03-04T10:00:00Z", "capability": "secrets",
            "action": "create", **fields}  # fmt: skip


def engineer(key: str, **fields: object) -> dict:
    return {"engineer_id": key, "team_id": "t1", "start_date": "2024-01-08", **fields}


def commit(key: str, **fields: object) -> dict:
    return {"sha": key, "repo": "o/r", "authored_at": "2024-03-01T10:00:00Z", **fields}


DEEP = 100_000
GOOD_PARQUET = parquet_bytes([{"incident_id": "pq-g1", "service_id": "svc",
                               "opened_at": "2024-03-05T00:00:00Z"}])  # fmt: skip

CASES: tuple[Case, ...] = (
    # Bytes and lines (JSON Lines)
    deploy_line_case("utf8", line(dep("utf8-bad")).replace(b"svc", b"sv\xffc"), "invalid UTF-8"),
    deploy_line_case(
        "surrogate_bytes", line(dep("sb-bad")).replace(b"svc", b"s\xed\xa0\x80c"), "invalid UTF-8"
    ),  # fmt: skip
    deploy_line_case(
        "lone_surrogate", b'{"deployment_id": "ls-bad", "service_id": "\\ud800"}', "not valid JSON"
    ),  # fmt: skip
    deploy_line_case("truncated_line", line(dep("tl-bad"))[:-9], "not valid JSON"),
    deploy_line_case("deep_array", b"[" * DEEP + b"]" * DEEP, "not a JSON object"),
    Case(
        "deep_array_beside_a_broken_line",
        {
            "deployments/deep_and_broken.jsonl": jsonl(
                dep("dab-g1"),
                b"[" * (DEEP - 1) + b"]" * (DEEP - 1),
                dep("dab-g2"),
                b'{"deployment_id": "dab',
                dep("dab-g3"),
            )
        },
        bad=(
            ("deep_and_broken.jsonl:2", "not a JSON object"),
            ("deep_and_broken.jsonl:4", "not valid JSON"),
        ),
        good=(("deployments", "dab-g1"), ("deployments", "dab-g2"), ("deployments", "dab-g3")),
    ),
    deploy_line_case("json_list_line", b'[{"deployment_id": "jl-bad"}]', "not a JSON object"),
    deploy_line_case("json_string_line", b'"deployment jl"', "not a JSON object"),
    deploy_line_case(
        "nul_byte", line(dep("nul-bad")).replace(b"svc", b"s\x00c"), "not valid JSON"
    ),  # fmt: skip
    deploy_line_case(
        "control_char", line(dep("cc-bad")).replace(b"svc", b"s\x01c"), "not valid JSON"
    ),  # fmt: skip
    deploy_line_case(
        "over_long_line",
        b'{"deployment_id": "' + b"x" * (5 << 20) + b'"}',
        "longer than 4,194,304 bytes",
    ),  # fmt: skip
    deploy_field_case(
        "over_long_field", "environment: longer than 65,536 bytes", environment="p" * 70_000
    ),  # fmt: skip
    Case(
        "crlf_and_blank_lines",
        {
            "deployments/crlf.jsonl": b"\r\n".join(
                [line(dep("crlf-g1")), b"", b"   ", line(dep("crlf-g2"))]
            )
            + b"\r\n"
        },  # fmt: skip
        good=(("deployments", "crlf-g1"), ("deployments", "crlf-g2")),
    ),
    Case(
        "byte_order_mark",
        {"deployments/bom.jsonl": b"\xef\xbb\xbf" + jsonl(dep("bom-g1"), dep("bom-g2"))},
        good=(("deployments", "bom-g1"), ("deployments", "bom-g2")),
    ),
    # Strict types
    deploy_field_case(
        "id_object", "deployment_id: expected a string, got an object", deployment_id={"a": 1}
    ),  # fmt: skip
    deploy_field_case(
        "id_list", "deployment_id: expected a string, got a list", deployment_id=["a"]
    ),  # fmt: skip
    deploy_field_case(
        "id_fraction", "deployment_id: expected a string, got a fraction", deployment_id=1.5
    ),  # fmt: skip
    deploy_field_case(
        "id_boolean", "deployment_id: expected a string, got a boolean", deployment_id=True
    ),  # fmt: skip
    deploy_field_case(
        "deep_object_id",
        "deployment_id: expected a string, got an object",
        deployment_id=json.loads('{"a":' * 500 + "1" + "}" * 500),
    ),  # fmt: skip
    Case(
        "integer_id_is_its_decimal_string",
        {
            "deployments/int_id.jsonl": b'{"deployment_id": 4242, "service_id": "svc", '
            b'"environment": "production", "sha": "abc", "finished_at": "2024-03-04T10:00:00Z", '
            b'"status": "success"}\n'
        },  # fmt: skip
        good=(("deployments", "4242"),),
    ),
    deploy_field_case("status_not_allowed", "status: 'green' is not one of", status="green"),
    entity_case(
        "attempt_fraction",
        "ci_runs",
        [run("af-g1"), run("af-g2")],
        run("af-bad", attempt=1.5),
        "run_id",
        "attempt: expected an integer, got a fraction",
    ),  # fmt: skip
    entity_case(
        "attempt_fraction_text",
        "ci_runs",
        [run("at-g1"), run("at-g2")],
        run("at-bad", attempt="1.5"),
        "run_id",
        "cannot parse '1.5' as integer",
    ),  # fmt: skip
    entity_case(
        "attempt_exponent",
        "ci_runs",
        [run("ae-g1"), run("ae-g2")],
        run("ae-bad", attempt="1e3"),
        "run_id",
        "cannot parse '1e3' as integer",
    ),  # fmt: skip
    entity_case(
        "boolean_word",
        "ci_runs",
        [run("bw-g1"), run("bw-g2")],
        run("bw-bad", golden_path="yes"),
        "run_id",
        "cannot parse 'yes' as boolean",
    ),  # fmt: skip
    Case(
        "nan_duration",
        {
            "platform_events/nan.jsonl": jsonl(
                event("nan-g1"),
                b'{"event_id": "nan-bad", "occurred_at": '
                b'"2024-03-04T10:00:00Z", "capability": "secrets", '
                b'"action": "create", "duration_s": NaN}',
                event("nan-g2"),
            )
        },  # fmt: skip
        bad=(("nan.jsonl:2", "duration_s: cannot parse 'NaN' as number"),),
        good=(("platform_events", "nan-g1"), ("platform_events", "nan-g2")),
    ),
    entity_case(
        "infinite_duration",
        "platform_events",
        [event("inf-g1"), event("inf-g2")],
        event("inf-bad", duration_s="Infinity"),
        "event_id",
        "cannot parse 'Infinity' as number",
    ),  # fmt: skip
    entity_case(
        "list_item_not_string",
        "commits",
        [commit("li-g1"), commit("li-g2")],
        commit("li-bad", parents=[1, {"a": 1}]),
        "sha",
        "parents: list items must be strings",
    ),  # fmt: skip
    # Dates and plausibility
    deploy_field_case(
        "infinity",
        "finished_at: infinity is more than 24 hours after the run",
        finished_at="infinity",
    ),  # fmt: skip
    deploy_field_case(
        "minus_infinity", "finished_at: -infinity is before 2000-01-01", finished_at="-infinity"
    ),  # fmt: skip
    deploy_field_case(
        "year_9999", "is more than 24 hours after the run", finished_at="9999-01-01T00:00:00Z"
    ),  # fmt: skip
    deploy_field_case(
        "year_294247", "is more than 24 hours after the run", finished_at="294247-01-01T00:00:00Z"
    ),  # fmt: skip
    deploy_field_case(
        "before_2000",
        "is before 2000-01-01 (rule earliest_event_at)",
        finished_at="1999-12-31T23:00:00Z",
    ),  # fmt: skip
    deploy_field_case(
        "optional_timestamp_absurd", "started_at: 3024-01-01", started_at="3024-01-01T00:00:00Z"
    ),  # fmt: skip
    deploy_field_case(
        "unparsable_timestamp", "cannot parse 'yesterday' as timestamp", finished_at="yesterday"
    ),  # fmt: skip
    Case(
        "lower_case_t_and_z",
        {"deployments/lower_tz.jsonl": jsonl(dep("ltz-g1", finished_at="2024-03-04t10:00:00z"))},
        good=(("deployments", "ltz-g1"),),
    ),
    entity_case(
        "start_before_1970",
        "engineers",
        [engineer("s70-g1"), engineer("s70-g2")],
        engineer("s70-bad", start_date="1960-01-01"),
        "engineer_id",
        "start_date: 1960-01-01 is before 1970-01-01",
    ),  # fmt: skip
    entity_case(
        "start_far_ahead",
        "engineers",
        [engineer("sfa-g1"), engineer("sfa-g2")],
        engineer("sfa-bad", start_date="2999-01-01"),
        "engineer_id",
        "start_date: 2999-01-01 is more than 366 days after the run",
    ),  # fmt: skip
    # CSV (RFC 4180)
    csv_case("unbalanced_quote", b'ub-bad,"t1,o/r', "quoting cannot be parsed"),
    csv_case("csv_utf8", b"cu-bad,t\xff1,o/r", "invalid UTF-8 at byte offset"),
    csv_case("too_many_columns", b"tm-bad,t1,o/r,extra", "expected 3 columns, found 4"),
    csv_case("too_few_columns", b"tf-bad,t1", "expected 3 columns, found 2"),
    Case(
        "quoted_field_spanning_lines",
        {
            "services/multiline.csv": b'service_id,team_id,repo,name\nml-g1,t1,o/r,"two\nlines"\n'
            b"ml-g2,t1,o/r,plain\n"
        },  # fmt: skip
        good=(("services", "ml-g1"), ("services", "ml-g2")),
    ),
    Case(
        "mixed_line_endings_csv",
        {"services/mixed.csv": b"service_id,team_id,repo\r\nme-g1,t1,o/r\nme-g2,t1,o/r\r\n"},
        good=(("services", "me-g1"), ("services", "me-g2")),
    ),
    Case(
        "undecodable_csv_header",
        {"services/bad_header.csv": b"service_id,te\xffam_id,repo\nbh-1,t1,o/r\n"},
        bad=(("bad_header.csv", "the header line is not UTF-8"),),
    ),
    Case(
        "duplicate_csv_header",
        {"services/dup_header.csv": b"service_id,team_id,team_id\ndh-1,t1,t2\n"},
        bad=(("dup_header.csv", "names team_id more than once"),),
    ),
    # Whole files
    Case(
        "zero_byte_parquet",
        {"incidents/zero.parquet": b""},
        bad=(("zero.parquet", "cannot read this parquet file"),),
    ),  # fmt: skip
    Case(
        "truncated_parquet",
        {"incidents/truncated.parquet": GOOD_PARQUET[:-20]},
        bad=(("truncated.parquet", "cannot read this parquet file"),),
    ),  # fmt: skip
    Case(
        "garbage_parquet",
        {"incidents/garbage.parquet": b"PAR1 this is not parquet PAR1"},
        bad=(("garbage.parquet", "cannot read this parquet file"),),
    ),  # fmt: skip
    Case(
        "good_parquet_beside_bad_ones",
        {"incidents/good.parquet": GOOD_PARQUET},
        good=(("incidents", "pq-g1"),),
    ),  # fmt: skip
    Case("zero_byte_jsonl", {"incidents/empty.jsonl": b""}),
    Case(
        "upper_case_extension",
        {"deployments.JSONL": jsonl(dep("uce-g1"))},
        good=(("deployments", "uce-g1"),),
    ),  # fmt: skip
    Case(
        "upper_case_entity",
        {"Deployments.jsonl": jsonl(dep("uen-g1"))},
        good=(("deployments", "uen-g1"),),
    ),  # fmt: skip
    Case(
        "unknown_extension",
        {"deployments.txt": jsonl(dep("ux-1"))},
        findings=(("unknown_extension", "deployments.txt"),),
    ),  # fmt: skip
    Case(
        "unknown_entity",
        {"deploys.jsonl": jsonl(dep("ue-1"))},
        findings=(("unknown_entity", "deploys.jsonl"),),
    ),  # fmt: skip
    Case(
        "unknown_field",
        {"deployments/unknown_field.jsonl": jsonl(dep("uf-g1", region="eu"))},
        good=(("deployments", "uf-g1"),),
        findings=(("unknown_field", "unknown_field.jsonl"),),
    ),  # fmt: skip
    Case(
        "link_leaving_the_inbox",
        {},
        special={"commits.jsonl": "link:/etc/passwd"},
        findings=(("outside_link", "commits.jsonl"),),
    ),  # fmt: skip
    Case(
        "fifo",
        {},
        special={"platform_events/pipe.jsonl": "fifo"},
        findings=(("not_a_file", "pipe.jsonl"),),
    ),  # fmt: skip
    Case(
        "key_conflict_in_batch",
        {"deployments/conflict.jsonl": jsonl(dep("kc-1", sha="first"), dep("kc-1", sha="later"))},
        good=(("deployments", "kc-1"),),
        findings=(("key_conflict", "conflict.jsonl:2"),),
    ),
)

FIXED = dep("status_not_allowed-bad")  # the fixed version of a quarantined record, re-sent


def write_corpus(folder: Path) -> Path:
    """Write every case into one batch folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        for relative, content in case.files.items():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        for relative, kind in case.special.items():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if kind == "fifo":
                os.mkfifo(target)
            else:
                target.symlink_to(kind.removeprefix("link:"))
    return folder
