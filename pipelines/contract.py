"""The canonical records of the data contract (shared/contract §1), as data.

Everything that needs the shape of an entity reads it from here: the inbox loader, the typed
`core.*` tables and their validation, the column comments and the demo generator. Adding an
optional field to the contract is one line here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

FieldType = Literal["string", "timestamp", "date", "integer", "number", "boolean", "list"]

DUCKDB_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP",  # always UTC, offset removed
    "date": "DATE",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "list": "VARCHAR[]",
}

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType = "string"
    required: bool = False
    allowed: tuple[str, ...] = ()
    default: str | None = None
    doc: str = ""

    def __post_init__(self) -> None:
        if not _IDENTIFIER.match(self.name):
            raise ValueError(f"invalid field name {self.name!r}")


@dataclass(frozen=True)
class Entity:
    name: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    doc: str = ""
    extension: bool = False  # paved's addition to the contract, not one of its v1 entities

    def __post_init__(self) -> None:
        if not _IDENTIFIER.match(self.name):
            raise ValueError(f"invalid entity name {self.name!r}")
        names = {f.name for f in self.fields}
        missing = [k for k in self.key if k not in names]
        if missing:
            raise ValueError(f"{self.name}: key fields {missing} are not fields")

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


F = Field
CI_STATUSES = ("success", "failure", "cancelled", "timed_out", "skipped", "in_progress")
DEPLOY_STATUSES = ("success", "failure", "cancelled", "in_progress")

ENTITIES: tuple[Entity, ...] = (
    Entity(
        "teams",
        ("team_id",),
        (
            F("team_id", required=True),
            F("name", required=True),
            F(
                "topology",
                allowed=("stream_aligned", "platform", "enabling", "complicated_subsystem"),
                doc="Team Topologies type",
            ),
            F("parent_team_id"),
        ),
        "One row per team.",
    ),
    Entity(
        "engineers",
        ("engineer_id",),
        (
            F("engineer_id", required=True),
            F("team_id", required=True),
            F("start_date", "date", required=True),
            F("end_date", "date"),
            F("aliases", "list", doc="provider logins and e-mails that are this person"),
        ),
        "One row per engineer.",
    ),
    Entity(
        "services",
        ("service_id",),
        (
            F("service_id", required=True),
            F("team_id", required=True),
            F("repo", required=True, doc="owner/name"),
            F("name"),
            F("path", doc="sub-folder in a monorepo"),
            F("tier"),
            F("lifecycle"),
            F("created_at", "timestamp"),
            F("template", doc="golden-path template it was created from; NULL = none"),
        ),
        "One row per service.",
    ),
    Entity(
        "commits",
        ("repo", "sha"),
        (
            F("sha", required=True),
            F("repo", required=True),
            F("authored_at", "timestamp", required=True),
            F("committed_at", "timestamp"),
            F("author_id", doc="engineer_id or an alias"),
            F("parents", "list", doc="parent shas"),
        ),
        "One row per commit in a repository.",
    ),
    Entity(
        "pull_requests",
        ("repo", "number"),
        (
            F("repo", required=True),
            F("number", "integer", required=True),
            F("created_at", "timestamp", required=True),
            F("author_id"),
            F("first_review_at", "timestamp"),
            F("merged_at", "timestamp"),
            F("closed_at", "timestamp"),
            F("merge_sha"),
            F("base_branch"),
            F("commit_shas", "list"),
        ),
        "One row per pull (merge) request.",
    ),
    Entity(
        "ci_runs",
        ("run_id",),
        (
            F("run_id", required=True),
            F("repo", required=True),
            F("pipeline", required=True),
            F("started_at", "timestamp", required=True),
            F("status", required=True, allowed=CI_STATUSES),
            F("finished_at", "timestamp"),
            F("queued_at", "timestamp"),
            F("sha"),
            F("branch"),
            F("trigger"),
            F("attempt", "integer", default="1"),
            F("golden_path", "boolean", doc="the platform's standard pipeline"),
        ),
        "One row per CI run (attempt).",
    ),
    Entity(
        "deployments",
        ("deployment_id",),
        (
            F("deployment_id", required=True),
            F("service_id", required=True),
            F("environment", required=True),
            F("sha", required=True),
            F("finished_at", "timestamp", required=True),
            F("status", required=True, allowed=DEPLOY_STATUSES),
            F("started_at", "timestamp"),
            F("kind", allowed=("regular", "rollback", "hotfix"), default="regular"),
            F("via_platform", "boolean"),
        ),
        "One row per deployment.",
    ),
    Entity(
        "deployment_commits",
        ("deployment_id", "sha"),
        (F("deployment_id", required=True), F("sha", required=True)),
        "One row per commit explicitly shipped by a deployment.",
    ),
    Entity(
        "incidents",
        ("incident_id",),
        (
            F("incident_id", required=True),
            F("service_id", required=True),
            F("opened_at", "timestamp", required=True),
            F("severity"),
            F("acknowledged_at", "timestamp"),
            F("resolved_at", "timestamp"),
            F("caused_by_deployment_id"),
            F("cause"),
        ),
        "One row per incident.",
    ),
    Entity(
        "platform_events",
        ("event_id",),
        (
            F("event_id", required=True),
            F("occurred_at", "timestamp", required=True),
            F("capability", required=True),
            F("action", required=True),
            F("actor_id"),
            F("team_id"),
            F("service_id"),
            F("channel", allowed=("self_service", "ticket"), default="self_service"),
            F("status"),
            F("duration_s", "number"),
        ),
        "One row per use of a platform capability.",
    ),
    # Extension (not in contract v1): identity records from a directory such as Backstage, which
    # knows a person's logins but not their start date. They join an engineer by any shared
    # alias and add their aliases to that engineer's.
    Entity(
        "identities",
        ("identity_id",),
        (
            F("identity_id", required=True, doc="the directory's id for the person"),
            F("engineer_id", doc="the engineer, when the directory knows it"),
            F("email"),
            F("team_id"),
            F("aliases", "list", doc="logins and e-mails that are this person"),
        ),
        "One row per person known to a directory (extension).",
        extension=True,
    ),
)

ENTITY_BY_NAME: dict[str, Entity] = {e.name: e for e in ENTITIES}
CONTRACT_V1: tuple[Entity, ...] = tuple(e for e in ENTITIES if not e.extension)
