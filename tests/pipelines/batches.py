"""A small hand-written organisation in canonical records, and the helpers whole-pipeline tests
share: `paved` called in-process with its output captured, and reads of the published copy."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

import duckdb

from pipelines.cli import main
from pipelines.paths import Home


@dataclass
class Ran:
    """One `paved` command: its exit status and what it printed."""

    code: int
    out: str
    err: str


def run_cli(*argv: str) -> Ran:
    """`paved ARGV...` in this process, stdout and stderr captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return Ran(code, out.getvalue(), err.getvalue())


def published_rows(home: Home, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of one query on the home's published copy, opened read-only as readers do."""
    con = duckdb.connect(str(home.published), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


TEAMS = [
    {"team_id": "pay", "name": "Payments", "topology": "stream_aligned"},
    {"team_id": "plat", "name": "Platform", "topology": "platform"},
]
ENGINEERS = [
    {"engineer_id": f"e{i}", "team_id": "pay", "start_date": "2024-01-01", "aliases": [f"gh{i}"]}
    for i in range(6)
]
SERVICES = [
    {
        "service_id": "checkout",
        "team_id": "pay",
        "repo": "acme/checkout",
        "created_at": "2023-06-01T00:00:00Z",
        "template": "python-service",
    },
]
COMMITS = [
    {
        "sha": "c1",
        "repo": "acme/checkout",
        "authored_at": "2024-03-04T09:00:00Z",
        "author_id": "gh1",
        "parents": [],
    },
    {
        "sha": "c2",
        "repo": "acme/checkout",
        "authored_at": "2024-03-05T09:00:00Z",
        "author_id": "gh2",
        "parents": ["c1"],
    },
    {
        "sha": "c3",
        "repo": "acme/checkout",
        "authored_at": "2024-03-12T09:00:00Z",
        "author_id": "gh3",
        "parents": ["c2"],
    },
]
DEPLOYMENTS = [
    {
        "deployment_id": "d1",
        "service_id": "checkout",
        "environment": "production",
        "sha": "c1",
        "finished_at": "2024-03-04T15:00:00Z",
        "status": "success",
    },
    {
        "deployment_id": "d2",
        "service_id": "checkout",
        "environment": "production",
        "sha": "c2",
        "finished_at": "2024-03-06T15:00:00Z",
        "status": "success",
    },
    {
        "deployment_id": "d3",
        "service_id": "checkout",
        "environment": "staging",
        "sha": "c3",
        "finished_at": "2024-03-12T15:00:00Z",
        "status": "success",
    },
    {
        "deployment_id": "d4",
        "service_id": "checkout",
        "environment": "Prod",
        "sha": "c3",
        "finished_at": "2024-03-20T15:00:00Z",
        "status": "success",
    },
]
INCIDENTS = [
    {
        "incident_id": "i1",
        "service_id": "checkout",
        "opened_at": "2024-03-06T18:00:00Z",
        "resolved_at": "2024-03-06T20:00:00Z",
        "severity": "sev2",
    },
]


def small_org() -> dict[str, list[dict]]:
    return {
        "teams": TEAMS,
        "engineers": ENGINEERS,
        "services": SERVICES,
        "commits": COMMITS,
        "deployments": DEPLOYMENTS,
        "incidents": INCIDENTS,
    }
