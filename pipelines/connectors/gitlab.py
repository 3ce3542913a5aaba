"""GitLab (REST v4, gitlab.com or a self-hosted base URL).

Streams, one unit per project and stream:
- `ci_runs`: pipelines (with their detail for start/finish times) → `ci_runs`; pipelines or
  jobs matching `deploy_rules` also become `deployments`.
- `deployments`: the Deployments API → `deployments` (times from the deploying job).
- `pull_requests`: merge requests with their commits and first reviewer note → `pull_requests`
  (and the merge requests' commits → `commits`).
- `commits`: repository commits with parents → `commits`.

Every list is filtered by `updated_after` (or `since` for commits) and paged by following the
`Link` header, which carries GitLab's keyset cursor where the endpoint supports it and the next
offset page elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar
from urllib.parse import quote

from pipelines.connectors.errors import ConnectorError
from pipelines.connectors.forge import FORGE_KEYS, ForgeConnector
from pipelines.connectors.mapping import (
    CursorTracker,
    as_items,
    deployment_kind,
    dig,
    iso,
    matches,
    ts,
)

PIPELINE_STATUS = {
    "success": "success",
    "failed": "failure",
    "canceled": "cancelled",
    "canceling": "cancelled",
    "skipped": "skipped",
    "manual": "skipped",  # waiting for a manual action that may never come: it did not run
}
DEPLOY_STATUS = {
    "success": "success",
    "failed": "failure",
    "canceled": "cancelled",
    "skipped": "cancelled",
}
CI_TO_DEPLOY = {
    "success": "success",
    "failure": "failure",
    "timed_out": "failure",
    "cancelled": "cancelled",
    "skipped": "cancelled",
    "in_progress": "in_progress",
}


def pipeline_status(value: Any) -> str:
    """Canonical status; created, pending, running, scheduled... are all still in progress."""
    return PIPELINE_STATUS.get(str(value or "").lower(), "in_progress")


class GitLabConnector(ForgeConnector):
    TYPE: ClassVar[str] = "gitlab"
    DEFAULT_BASE_URL: ClassVar[str] = "https://gitlab.com"
    STREAMS: ClassVar[tuple[str, ...]] = ("ci_runs", "deployments", "pull_requests", "commits")
    KEYS: ClassVar[frozenset[str]] = FORGE_KEYS | {"projects", "groups", "pipeline_details"}
    SCOPE_KEYS = ("projects", "groups")
    SCOPE_HINT = '"group/project"'

    @property
    def api(self) -> str:
        base = self.base_url
        return base if base.endswith("/api/v4") else f"{base}/api/v4"

    def headers(self) -> dict[str, str]:
        return {"PRIVATE-TOKEN": self.ctx.token} if self.ctx.token else {}

    def all_items(self, url: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in self.pages(url, params):
            items.extend(i for i in as_items(page.data) if isinstance(i, dict))
        return items

    def project_url(self, project: str) -> str:
        return f"{self.api}/projects/{quote(str(project), safe='')}"

    def service_for(self, project: str) -> str:
        return self.services.get(project) or project.split("/")[-1]

    def projects(self) -> list[str]:
        projects = [str(p) for p in self.setting("projects") or []]
        for group in self.setting("groups") or []:
            url = f"{self.api}/groups/{quote(str(group), safe='')}/projects"
            params = {"include_subgroups": "true", "archived": "false",
                      "per_page": self.per_page, "order_by": "id", "sort": "asc"}
            for project in self.all_items(url, params):
                if project.get("path_with_namespace"):
                    projects.append(project["path_with_namespace"])
        return list(dict.fromkeys(projects))

    def units(self) -> Iterator[tuple[str, Callable[[], None]]]:
        work = {
            "ci_runs": self.sync_pipelines,
            "deployments": self.sync_deployments,
            "pull_requests": self.sync_merge_requests,
            "commits": self.sync_commits,
        }
        try:
            projects = self.projects()
        except ConnectorError as exc:
            err = exc

            def fail() -> None:
                raise err

            yield "groups", fail
            projects = [str(p) for p in self.setting("projects") or []]
        for project in projects:
            for stream in self.streams:
                yield f"{stream} {project}", (lambda s=stream, p=project: work[s](p))

    def _updated_list(
        self, key: str, url: str, params: dict[str, Any], what: str,
        handle: Callable[[dict[str, Any], CursorTracker], None],
    ) -> bool:
        """Page an `updated_after` list; returns False on 304 (nothing to do)."""
        saved = self.ctx.state.get(key)
        params = {**params, "updated_after": iso(self.since(saved)), "per_page": self.per_page}
        tracker = CursorTracker(self.ctx.now)
        first_etag: str | None = None
        for page in self.pages(url, params, saved.etag, what):
            if page.not_modified:
                return False
            first_etag = first_etag or page.etag
            for item in as_items(page.data):
                if isinstance(item, dict):
                    handle(item, tracker)
        self.ctx.sink.checkpoint(self.ctx.state, key, tracker.result(saved.cursor), first_etag)
        return True

    # -- pipelines --------------------------------------------------------------------------
    def sync_pipelines(self, project: str) -> None:
        url = f"{self.project_url(project)}/pipelines"
        origin = f"GET {url}"
        details = bool(self.setting("pipeline_details", True))

        def handle(item: dict[str, Any], tracker: CursorTracker) -> None:
            pipeline = item
            if details:
                pipeline = {**item, **self.all_or_one(f"{url}/{item.get('id')}")}
            record = self.map_pipeline(pipeline, project)
            tracker.see(item.get("updated_at") or item.get("created_at"))
            self.ctx.sink.add("ci_runs", [record], origin)
            self.ctx.sink.add("deployments", self.pipeline_deployments(pipeline, project, record),
                              origin)

        self._updated_list(f"ci_runs:{project}", url,
                           {"order_by": "updated_at", "sort": "asc"}, "pipelines", handle)

    def all_or_one(self, url: str) -> dict[str, Any]:
        page = next(self.pages(url))
        return page.data if isinstance(page.data, dict) else {}

    def map_pipeline(self, p: dict[str, Any], project: str) -> dict[str, Any]:
        status = pipeline_status(p.get("status"))
        name = p.get("name") or project
        return {
            "run_id": f"gitlab:{p.get('id')}",
            "repo": project,
            "pipeline": name,
            "started_at": ts(p.get("started_at") or p.get("created_at")),
            "status": status,
            "finished_at": ts(p.get("finished_at") or (
                p.get("updated_at") if status != "in_progress" else None)),
            "queued_at": ts(p.get("created_at")),
            "sha": p.get("sha"),
            "branch": p.get("ref"),
            "trigger": p.get("source"),
            "attempt": 1,
            "golden_path": matches(self.golden, p.get("name"), project) if self.golden else None,
        }

    def pipeline_deployments(
        self, p: dict[str, Any], project: str, record: dict[str, Any]
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        jobs: list[dict[str, Any]] | None = None
        for rule in self.rules:
            if not rule.matches_workflow(p.get("name"), p.get("ref")):
                continue
            if rule.job is None:
                out.append({
                    "deployment_id": f"gitlab:pipeline:{p.get('id')}",
                    "service_id": self.service_for(project),
                    "environment": rule.environment,
                    "sha": p.get("sha"),
                    "finished_at": record["finished_at"] or ts(p.get("updated_at")),
                    "status": CI_TO_DEPLOY[record["status"]],
                    "started_at": record["started_at"],
                    "kind": deployment_kind(self.rollback, self.hotfix, p.get("ref")),
                })
                continue
            if jobs is None:
                jobs = self.all_items(
                    f"{self.project_url(project)}/pipelines/{p.get('id')}/jobs",
                    {"per_page": self.per_page},
                )
            for job in jobs:
                if not matches([rule.job], job.get("name")):
                    continue
                status = pipeline_status(job.get("status"))
                out.append({
                    "deployment_id": f"gitlab:job:{job.get('id')}",
                    "service_id": self.service_for(project),
                    "environment": rule.environment,
                    "sha": dig(job, "commit", "id") or p.get("sha"),
                    "finished_at": ts(job.get("finished_at") or p.get("updated_at")),
                    "status": CI_TO_DEPLOY[status],
                    "started_at": ts(job.get("started_at")),
                    "kind": deployment_kind(self.rollback, self.hotfix, job.get("name"),
                                            p.get("ref")),
                })
        return out

    # -- deployments ------------------------------------------------------------------------
    def sync_deployments(self, project: str) -> None:
        url = f"{self.project_url(project)}/deployments"
        origin = f"GET {url}"

        def handle(item: dict[str, Any], tracker: CursorTracker) -> None:
            tracker.see(item.get("updated_at") or item.get("created_at"))
            self.ctx.sink.add("deployments", [self.map_deployment(item, project)], origin)

        self._updated_list(f"deployments:{project}", url,
                           {"order_by": "updated_at", "sort": "asc"}, "deployments", handle)

    def map_deployment(self, d: dict[str, Any], project: str) -> dict[str, Any]:
        """Times come from the deploying job (`deployable`), as DevLake does: the deployment's
        own `created_at` is when it was queued, not when it ran."""
        status = DEPLOY_STATUS.get(str(d.get("status") or "").lower(), "in_progress")
        job = d.get("deployable") if isinstance(d.get("deployable"), dict) else {}
        user = dig(d, "user", "username")
        via = (str(user).lower() in self.platform_actors) if self.platform_actors else None
        return {
            "deployment_id": f"gitlab:{d.get('id')}",
            "service_id": self.service_for(project),
            "environment": dig(d, "environment", "name"),
            "sha": d.get("sha"),
            "finished_at": ts(job.get("finished_at") or d.get("updated_at")),
            "status": status,
            "started_at": ts(job.get("started_at") or d.get("created_at")),
            "kind": deployment_kind(self.rollback, self.hotfix, job.get("name"), d.get("ref")),
            "via_platform": via,
        }

    # -- merge requests ---------------------------------------------------------------------
    def sync_merge_requests(self, project: str) -> None:
        url = f"{self.project_url(project)}/merge_requests"
        origin = f"GET {url}"

        def handle(mr: dict[str, Any], tracker: CursorTracker) -> None:
            iid = mr.get("iid")
            commits = self.all_items(f"{url}/{iid}/commits", {"per_page": 100})
            first_review = self.first_review(f"{url}/{iid}/notes", dig(mr, "author", "username"))
            tracker.see(mr.get("updated_at"))
            self.ctx.sink.add("pull_requests", [self.map_merge_request(mr, commits, first_review,
                                                                       project)], origin)
            self.ctx.sink.add("commits", [self.map_commit(c, project) for c in commits], origin)

        self._updated_list(f"pull_requests:{project}", url,
                           {"state": "all", "order_by": "updated_at", "sort": "asc"},
                           "merge requests", handle)

    def first_review(self, url: str, author: Any) -> str | None:
        """The first human note by someone other than the author; stops at the first page
        that has one, since notes come oldest first."""
        params = {"sort": "asc", "order_by": "created_at", "per_page": 100}
        for page in self.pages(url, params):
            for note in as_items(page.data):
                if not isinstance(note, dict) or note.get("system"):
                    continue
                if dig(note, "author", "username") != author:
                    return ts(note.get("created_at"))
        return None

    @staticmethod
    def map_merge_request(
        mr: dict[str, Any], commits: list[dict[str, Any]], first_review: str | None,
        project: str,
    ) -> dict[str, Any]:
        merged_at = ts(mr.get("merged_at"))
        merge_sha = None
        if merged_at or str(mr.get("state")) == "merged":
            # Squash: the squash commit is what lands; fast-forward: the head itself lands.
            merge_sha = mr.get("merge_commit_sha") or mr.get("squash_commit_sha") or mr.get("sha")
        return {
            "repo": project,
            "number": mr.get("iid"),
            "created_at": ts(mr.get("created_at")),
            "author_id": dig(mr, "author", "username"),
            "first_review_at": first_review,
            "merged_at": merged_at,
            "closed_at": ts(mr.get("closed_at")),
            "merge_sha": merge_sha,
            "base_branch": mr.get("target_branch"),
            "commit_shas": [c.get("id") for c in commits],
        }

    # -- commits ----------------------------------------------------------------------------
    def sync_commits(self, project: str) -> None:
        key = f"commits:{project}"
        saved = self.ctx.state.get(key)
        url = f"{self.project_url(project)}/repository/commits"
        params: dict[str, Any] = {"since": iso(self.since(saved)), "per_page": self.per_page}
        if self.setting("branch"):
            params["ref_name"] = self.setting("branch")
        tracker = CursorTracker(self.ctx.now)
        first_etag: str | None = None
        records: list[dict[str, Any]] = []
        for page in self.pages(url, params, saved.etag, "commits"):
            if page.not_modified:
                return
            first_etag = first_etag or page.etag
            for item in as_items(page.data):
                if isinstance(item, dict):
                    records.append(self.map_commit(item, project))
                    tracker.see(item.get("committed_date"))
        self.ctx.sink.add("commits", records, f"GET {url}")
        self.ctx.sink.checkpoint(self.ctx.state, key, tracker.result(saved.cursor), first_etag)

    @staticmethod
    def map_commit(c: dict[str, Any], project: str) -> dict[str, Any]:
        """GitLab commits carry no account, so the author is the e-mail (an engineer alias).

        The merge-request commits endpoint returns `parent_ids: []`; an empty list is left out
        rather than stored, so it cannot overwrite the real parents read from the branch.
        """
        record: dict[str, Any] = {
            "sha": c.get("id"),
            "repo": project,
            "authored_at": ts(c.get("authored_date") or c.get("created_at")),
            "committed_at": ts(c.get("committed_date")),
            "author_id": c.get("author_email"),
        }
        if c.get("parent_ids"):
            record["parents"] = list(c["parent_ids"])
        return record

