"""The marts: source-agnostic facts the metrics read, one SQL file per table.

Each mart is `pipelines/sql/marts/<name>.sql`, a complete statement set that (re)creates
`marts.<name>` from `core.*`, `meta.rules` and earlier marts. Rules are read from `meta.rules`
inside the SQL (never formatted into it), so the figures always match the rules recorded for
the run.
`MARTS` is in dependency order: building them in that order from an empty `marts` schema works.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.commit_graph import label_commits

SQL_DIR = Path(__file__).resolve().parent / "sql" / "marts"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Mart:
    """One mart table: its name (= SQL file name), the tables it reads and its grain."""

    name: str
    deps: tuple[str, ...]
    description: str
    prepare: Callable[[duckdb.DuckDBPyConnection], object] | None = None  # runs before the SQL

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"invalid mart name {self.name!r}")

    @property
    def table(self) -> str:
        return f"marts.{self.name}"

    @property
    def sql_path(self) -> Path:
        return SQL_DIR / f"{self.name}.sql"


MARTS: tuple[Mart, ...] = (
    Mart(
        "scopes",
        ("core.services", "core.teams", "core.engineers", "core.deployments", "core.incidents"),
        "One row per reporting scope (service, team, org): the metric layer's scope spine.",
    ),
    Mart(
        "incident_links",
        ("core.incidents", "core.deployments", "core.services", "meta.rules"),
        "One row per incident: the counted deployment it makes failed (explicit or time window), "
        "or NULL with the reason it is not linked.",
    ),
    Mart(
        "deployments",
        ("core.deployments", "core.services", "meta.rules", "marts.incident_links"),
        "One row per deployment: production, counted, failure (with the rule that fired), rework.",
    ),
    Mart(
        "deployment_commits",
        ("core.commits", "core.deployment_commits", "marts.deployments"),
        "One row per (counted deployment, commit shipped): explicit, or walked in the commit "
        "graph.",
        prepare=label_commits,
    ),
    Mart(
        "changes",
        (
            "core.pull_requests",
            "core.commits",
            "marts.deployment_commits",
            "marts.deployments",
        ),
        "One row per (service, change): a shipped merged pull request or trunk commit, with its "
        "first counted deployment and lead time.",
    ),
    Mart(
        "failure_recoveries",
        ("marts.incident_links", "marts.deployments"),
        "One row per (failed counted deployment, failure cause): incident or rollback, with the "
        "recovery time.",
    ),
    Mart(
        "onboarding",
        ("core.engineers", "core.commits", "core.pull_requests", "marts.changes"),
        "One row per (engineer, milestone reached): first commit, first merged PR, first "
        "production deploy, tenth merged PR, for engineers in a cohort.",
    ),
    Mart(
        "ci_runs",
        ("core.ci_runs", "core.services"),
        "One row per CI run (attempt): the team it counts for (with the rule), pipeline kind, "
        "success, duration, queue time, re-run.",
    ),
    Mart(
        "ci_health",
        ("marts.ci_runs",),
        "One row per ISO week x repository x pipeline x team: runs, success rate, duration and "
        "queue time median and p90, re-run rate.",
    ),
    Mart(
        "ci_golden_path_comparison",
        ("marts.ci_runs",),
        "One row per ISO week x scope (team, org) x pipeline kind: golden-path against "
        "hand-rolled CI pipelines.",
    ),
    Mart(
        "platform_events",
        ("core.platform_events", "core.services", "core.engineers", "core.engineer_aliases"),
        "One row per platform event: the resolved engineer and the team it counts for.",
    ),
    Mart(
        "capability_usage",
        ("marts.platform_events",),
        "One row per ISO week x platform capability x team: self-service and ticket events, "
        "actors, median durations.",
    ),
    Mart(
        "adoption",
        ("core.services", "core.teams", "core.ci_runs", "core.deployments"),
        "One row per (service or team, golden path): adopted or not, when, and the evidence: "
        "the adoption funnel over time.",
    ),
    Mart(
        "platform_impact_observations",
        (
            "marts.adoption",
            "marts.changes",
            "marts.deployments",
            "marts.failure_recoveries",
            "marts.onboarding",
        ),
        "One row per (metric, observation): the changes, deployments, service-weeks, "
        "recoveries and new hires the platform impact analysis compares, with team adoption.",
    ),
    Mart(
        "catalogue_completeness",
        ("core.services", "core.teams"),
        "One row per catalogued service: owner team, tier, lifecycle, repository and template "
        "present or not, and the completeness score.",
    ),
)

MART_BY_NAME: dict[str, Mart] = {m.name: m for m in MARTS}


def mart_sql(name: str) -> str:
    """The SQL of one mart; only names of `MARTS` are accepted (no path built from input)."""
    return MART_BY_NAME[name].sql_path.read_text(encoding="utf-8")


def build_mart(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """(Re)create `marts.<name>` on `con` and return its row count.

    The statements of the file run in order on the caller's connection (temp tables they create
    are per connection and replaced on the next build).
    """
    if name not in MART_BY_NAME:
        raise KeyError(f"unknown mart {name!r}; known: {', '.join(MART_BY_NAME)}")
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    mart = MART_BY_NAME[name]
    if mart.prepare is not None:
        mart.prepare(con)
    for statement in con.extract_statements(mart_sql(name)):
        con.execute(statement)
    row = con.execute(f"SELECT count(*) FROM {MART_BY_NAME[name].table}").fetchone()
    return int(row[0]) if row else 0


def build_marts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Build every mart in dependency order; returns the row count of each."""
    return {m.name: build_mart(con, m.name) for m in MARTS}
