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
            F("team_id", required=True, doc="the team's id, referenced by engineers and services"),
            F("name", required=True, doc="display name"),
            F(
                "topology",
                allowed=("stream_aligned", "platform", "enabling", "complicated_subsystem"),
                doc="Team Topologies type",
            ),
            F("parent_team_id", doc="the team this one belongs to"),
        ),
        "One row per team.",
    ),
    Entity(
        "engineers",
        ("engineer_id",),
        (
            F("engineer_id", required=True, doc="the person's id (an HR or directory id)"),
            F("team_id", required=True, doc="the team they belong to"),
            F(
                "start_date",
                "date",
                required=True,
                doc="first working day; onboarding counts from 00:00 UTC",
            ),
            F("end_date", "date", doc="last working day; NULL while employed"),
            F("aliases", "list", doc="provider logins and e-mails that are this person"),
        ),
        "One row per engineer.",
    ),
    Entity(
        "services",
        ("service_id",),
        (
            F(
                "service_id",
                required=True,
                doc="the service's id, referenced by deployments and incidents",
            ),
            F("team_id", required=True, doc="the owning team"),
            F("repo", required=True, doc="owner/name"),
            F("name", doc="display name"),
            F("path", doc="sub-folder in a monorepo"),
            F("tier", doc="criticality tier as the catalogue names it"),
            F("lifecycle", doc="e.g. experimental, production, deprecated"),
            F("created_at", "timestamp", doc="when the service was created"),
            F("template", doc="golden-path template it was created from; NULL = none"),
        ),
        "One row per service.",
    ),
    Entity(
        "commits",
        ("repo", "sha"),
        (
            F("sha", required=True, doc="commit hash"),
            F("repo", required=True, doc="owner/name"),
            F(
                "authored_at",
                "timestamp",
                required=True,
                doc="when the author wrote it; lead time starts here",
            ),
            F("committed_at", "timestamp", doc="when it was committed (rebases change this)"),
            F("author_id", doc="engineer_id or an alias"),
            F("parents", "list", doc="parent shas"),
        ),
        "One row per commit in a repository.",
    ),
    Entity(
        "pull_requests",
        ("repo", "number"),
        (
            F("repo", required=True, doc="owner/name"),
            F("number", "integer", required=True, doc="the pull or merge request number"),
            F("created_at", "timestamp", required=True, doc="when it was opened"),
            F("author_id", doc="engineer_id or an alias"),
            F("first_review_at", "timestamp", doc="first review by someone other than the author"),
            F("merged_at", "timestamp", doc="when it was merged; NULL if not merged"),
            F("closed_at", "timestamp", doc="when it was closed"),
            F("merge_sha", doc="the commit that landed it on the base branch"),
            F("base_branch", doc="the branch it targets"),
            F("commit_shas", "list", doc="its commits; the merge commit alone when absent"),
        ),
        "One row per pull (merge) request.",
    ),
    Entity(
        "ci_runs",
        ("run_id",),
        (
            F("run_id", required=True, doc="the run's id (one per attempt)"),
            F("repo", required=True, doc="owner/name"),
            F("pipeline", required=True, doc="workflow or pipeline name"),
            F("started_at", "timestamp", required=True, doc="when it started running"),
            F("status", required=True, allowed=CI_STATUSES),
            F("finished_at", "timestamp", doc="when it finished"),
            F(
                "queued_at",
                "timestamp",
                doc="when it was queued; queue time = started_at - queued_at",
            ),
            F("sha", doc="the commit it ran on"),
            F("branch", doc="the branch it ran on"),
            F("trigger", doc="what started it: push, pull_request, schedule, ..."),
            F("attempt", "integer", default="1", doc="1 for the first run, more for re-runs"),
            F("golden_path", "boolean", doc="the platform's standard pipeline"),
        ),
        "One row per CI run (attempt).",
    ),
    Entity(
        "deployments",
        ("deployment_id",),
        (
            F("deployment_id", required=True, doc="the deployment's id"),
            F("service_id", required=True, doc="the service deployed"),
            F(
                "environment",
                required=True,
                doc="e.g. production, staging; production is decided by the rules",
            ),
            F("sha", required=True, doc="the commit deployed"),
            F(
                "finished_at",
                "timestamp",
                required=True,
                doc="when it finished; the week it counts in",
            ),
            F("status", required=True, allowed=DEPLOY_STATUSES),
            F("started_at", "timestamp", doc="when it started"),
            F("kind", allowed=("regular", "rollback", "hotfix"), default="regular"),
            F("via_platform", "boolean", doc="deployed through the platform's golden path"),
        ),
        "One row per deployment.",
    ),
    Entity(
        "deployment_commits",
        ("deployment_id", "sha"),
        (
            F("deployment_id", required=True, doc="the deployment"),
            F("sha", required=True, doc="a commit it shipped"),
        ),
        "One row per commit explicitly shipped by a deployment.",
    ),
    Entity(
        "incidents",
        ("incident_id",),
        (
            F("incident_id", required=True, doc="the incident's id"),
            F("service_id", required=True, doc="the affected service"),
            F("opened_at", "timestamp", required=True, doc="when it was opened"),
            F("severity", doc="as the incident tool names it (sev1, P1, high, ...)"),
            F("acknowledged_at", "timestamp", doc="when someone acknowledged it"),
            F("resolved_at", "timestamp", doc="when it was resolved; NULL while open"),
            F("caused_by_deployment_id", doc="the deployment that caused it, when known"),
            F("cause", doc="free-text cause (e.g. configuration drift)"),
        ),
        "One row per incident.",
    ),
    Entity(
        "platform_events",
        ("event_id",),
        (
            F("event_id", required=True, doc="the event's id"),
            F("occurred_at", "timestamp", required=True, doc="when it happened"),
            F(
                "capability",
                required=True,
                doc="e.g. service_template, environment, pipeline, secrets, observability",
            ),
            F("action", required=True, doc="what was done, e.g. create, request, provision"),
            F("actor_id", doc="engineer_id or alias of who did it"),
            F("team_id", doc="the team it was for"),
            F("service_id", doc="the service it was for"),
            F("channel", allowed=("self_service", "ticket"), default="self_service"),
            F("status", doc="e.g. succeeded, failed"),
            F("duration_s", "number", doc="how long it took, in seconds"),
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
