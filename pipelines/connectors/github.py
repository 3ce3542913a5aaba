"""GitHub (REST v3, github.com or any GitHub-compatible base URL such as GitHub Enterprise).

Streams, one unit per repository and stream:
- `ci_runs`: Actions workflow runs → `ci_runs`; runs (or their jobs) matching `deploy_rules`
  also become `deployments`, for teams that do not use the Deployments API.
- `deployments`: Deployments and their statuses → `deployments`.
- `pull_requests`: pull requests with their commits and first review → `pull_requests` (and
  the pull requests' commits → `commits`, because squash-merged work never reaches the branch).
- `commits`: commits of the default branch (or `branch`) with parents → `commits`.

Traps handled: the runs list answers at most 1,000 runs per filtered query, so a window with
more is split in halves; an `inactive` deployment status only means "superseded", so the
deployment's outcome and finish time come from its last *final* status; sub-resource URLs are
built from `base_url`, never taken from payloads, so a proxy or an Enterprise host works.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from pipelines.connectors.errors import ConnectorError
from pipelines.connectors.forge import FORGE_KEYS, ForgeConnector
from pipelines.connectors.http import Page
from pipelines.connectors.mapping import (
    CursorTracker,
    as_items,
    deployment_kind,
    dig,
    iso,
    matches,
    parse_ts,
    ts,
)

RUN_CONCLUSIONS = {
    "success": "success",
    "failure": "failure",
    "startup_failure": "failure",
    "cancelled": "cancelled",
    "timed_out": "timed_out",
    "skipped": "skipped",
    "neutral": "skipped",
    "stale": "skipped",
    "action_required": "in_progress",
}
CI_TO_DEPLOY = {
    "success": "success",
    "failure": "failure",
    "timed_out": "failure",
    "cancelled": "cancelled",
    "skipped": "cancelled",
    "in_progress": "in_progress",
}
FINAL_DEPLOY_STATES = {"success": "success", "failure": "failure", "error": "failure"}


def run_status(run: dict[str, Any]) -> str:
    """Canonical CI status of a run or job; anything not completed is still in progress."""
    if str(run.get("status") or "").lower() != "completed":
        return "in_progress"
    return RUN_CONCLUSIONS.get(str(run.get("conclusion") or "").lower(), "failure")


class GitHubConnector(ForgeConnector):
    TYPE: ClassVar[str] = "github"
    DEFAULT_BASE_URL: ClassVar[str] = "https://api.github.com"
    STREAMS: ClassVar[tuple[str, ...]] = ("ci_runs", "deployments", "pull_requests", "commits")
    KEYS: ClassVar[frozenset[str]] = FORGE_KEYS | {"repos", "orgs", "runs_window_cap"}
    SCOPE_KEYS = ("repos", "orgs")
    SCOPE_HINT = '"owner/name"'

    def validate(self) -> None:
        super().validate()
        self.window_cap = int(self.setting("runs_window_cap", 1000))

    def headers(self) -> dict[str, str]:
        h = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if self.ctx.token:
            h["Authorization"] = f"Bearer {self.ctx.token}"
        return h

    # -- plumbing ---------------------------------------------------------------------------
    def all_items(self, url: str, params: dict[str, Any] | None = None) -> list[Any]:
        items: list[Any] = []
        for page in self.pages(url, params):
            items.extend(page.data if isinstance(page.data, list) else [])
        return items

    def service_for(self, repo: str) -> str:
        """The paved service of a repository: `services` mapping, else the repository's name."""
        return self.services.get(repo) or repo.split("/")[-1]

    def repo_url(self, repo: str) -> str:
        return f"{self.base_url}/repos/{quote(repo, safe='/')}"

    def repos(self) -> list[str]:
        repos = list(self.setting("repos") or [])
        for org in self.setting("orgs") or []:
            url = f"{self.base_url}/orgs/{quote(str(org))}/repos"
            for repo in self.all_items(url, {"type": "all", "per_page": self.per_page}):
                if isinstance(repo, dict) and not repo.get("archived") and repo.get("full_name"):
                    repos.append(repo["full_name"])
        return list(dict.fromkeys(repos))

    def units(self) -> Iterator[tuple[str, Callable[[], None]]]:
        work = {
            "ci_runs": self.sync_runs,
            "deployments": self.sync_deployments,
            "pull_requests": self.sync_pulls,
            "commits": self.sync_commits,
        }
        try:
            repos = self.repos()
        except ConnectorError as exc:  # listing an org failed: report it as its own unit
            err = exc

            def fail() -> None:
                raise err

            yield "orgs", fail
            repos = list(self.setting("repos") or [])
        for repo in repos:
            for stream in self.streams:
                yield f"{stream} {repo}", (lambda s=stream, r=repo: work[s](r))

    # -- ci_runs ----------------------------------------------------------------------------
    def sync_runs(self, repo: str) -> None:
        key = f"ci_runs:{repo}"
        saved = self.ctx.state.get(key)
        since = self.since(saved)
        url = f"{self.repo_url(repo)}/actions/runs"
        tracker = CursorTracker(self.ctx.now)
        runs: dict[Any, dict[str, Any]] = {}
        first = self._runs_window(url, since, self.ctx.now, saved.etag, runs, top=True)
        if first.not_modified:
            return  # 304: nothing changed since the last run
        records, deployments = [], []
        for run in runs.values():
            record = self.map_run(run, repo)
            records.append(record)
            tracker.see(run.get("created_at"), finished=record["status"] != "in_progress")
            deployments.extend(self.run_deployments(run, repo, record))
        origin = f"GET {url}"
        self.ctx.sink.add("ci_runs", records, origin)
        self.ctx.sink.add("deployments", deployments, origin)
        self.ctx.sink.checkpoint(self.ctx.state, key, tracker.result(saved.cursor), first.etag)

    def _runs_window(
        self, url: str, start: datetime, end: datetime, etag: str | None,
        out: dict[Any, dict[str, Any]], *, top: bool = False,
    ) -> Page:
        """Collect runs created in [start, end]; halve the window while it exceeds the cap.

        GitHub answers a filtered runs query with at most 1,000 runs (`total_count` still says
        how many matched), so a busy repository's first sync would silently lose history.
        Returns the window's first page (its ETag guards the next run).
        """
        created = f">={iso(start)}" if top else f"{iso(start)}..{iso(end)}"
        params = {"per_page": self.per_page, "created": created}
        pages = self.pages(url, params, etag, what="workflow runs")
        first = next(pages)
        if first.not_modified:
            return first
        total = int(dig(first.data, "total_count") or 0)
        if total > self.window_cap and end - start > timedelta(seconds=2):
            mid = start + (end - start) / 2
            self._runs_window(url, start, mid, None, out)
            self._runs_window(url, mid, end, None, out)
            return first
        for page in [first, *pages]:
            for run in dig(page.data, "workflow_runs") or []:
                if isinstance(run, dict):
                    out[run.get("id")] = run  # windows share their edge second
        return first

    def map_run(self, run: dict[str, Any], repo: str) -> dict[str, Any]:
        attempt = run.get("run_attempt") or 1
        status = run_status(run)
        referenced = [dig(w, "path") for w in run.get("referenced_workflows") or []]
        golden = (
            matches(self.golden, run.get("path"), run.get("name"), *referenced)
            if self.golden else None
        )
        return {
            "run_id": f"github:{run.get('id')}:{attempt}",
            "repo": repo,  # the configured name, which `services` and deployments also use
            "pipeline": run.get("name") or run.get("path"),
            "started_at": ts(run.get("run_started_at") or run.get("created_at")),
            "status": status,
            "finished_at": ts(run.get("updated_at")) if status != "in_progress" else None,
            "queued_at": ts(run.get("created_at")),
            "sha": run.get("head_sha"),
            "branch": run.get("head_branch"),
            "trigger": run.get("event"),
            "attempt": attempt,
            "golden_path": golden,
        }

    def run_deployments(
        self, run: dict[str, Any], repo: str, record: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Deployments detected from a run (or its jobs) by the configured `deploy_rules`."""
        out: list[dict[str, Any]] = []
        jobs: list[dict[str, Any]] | None = None
        for rule in self.rules:
            if not rule.matches_workflow(run.get("name"), run.get("path")):
                continue
            kind = deployment_kind(self.rollback, self.hotfix, run.get("name"),
                                   run.get("head_branch"), run.get("display_title"))
            if rule.job is None:
                out.append({
                    "deployment_id": f"github:run:{run.get('id')}:{record['attempt']}",
                    "service_id": self.service_for(repo),
                    "environment": rule.environment,
                    "sha": run.get("head_sha"),
                    "finished_at": record["finished_at"] or ts(run.get("updated_at")),
                    "status": CI_TO_DEPLOY[record["status"]],
                    "started_at": record["started_at"],
                    "kind": kind,
                })
                continue
            if jobs is None:
                jobs = self.all_items_key(
                    f"{self.repo_url(repo)}/actions/runs/{run.get('id')}/jobs", "jobs"
                )
            for job in jobs:
                if not matches([rule.job], job.get("name")):
                    continue
                status = run_status(job)
                out.append({
                    "deployment_id": f"github:job:{job.get('id')}",
                    "service_id": self.service_for(repo),
                    "environment": rule.environment,
                    "sha": job.get("head_sha") or run.get("head_sha"),
                    "finished_at": ts(job.get("completed_at") or run.get("updated_at")),
                    "status": CI_TO_DEPLOY[status],
                    "started_at": ts(job.get("started_at")),
                    "kind": deployment_kind(self.rollback, self.hotfix, job.get("name")) if
                    kind == "regular" else kind,
                })
        return out

    def all_items_key(self, url: str, key: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in self.pages(url, {"per_page": self.per_page}):
            items.extend(i for i in dig(page.data, key) or [] if isinstance(i, dict))
        return items

    # -- deployments ------------------------------------------------------------------------
    def sync_deployments(self, repo: str) -> None:
        key = f"deployments:{repo}"
        saved = self.ctx.state.get(key)
        since = self.since(saved)
        url = f"{self.repo_url(repo)}/deployments"
        tracker = CursorTracker(self.ctx.now)
        records: list[dict[str, Any]] = []
        first_etag: str | None = None
        # The list is newest first: stop at the first deployment created before the window.
        for page in self.pages(url, {"per_page": self.per_page}, saved.etag, "deployments"):
            if page.not_modified:
                return
            first_etag = first_etag or page.etag
            done = False
            for dep in as_items(page.data):
                created = parse_ts(dep.get("created_at"))
                if created is not None and created < since:
                    done = True
                    break
                statuses = self.all_items(
                    f"{url}/{dep.get('id')}/statuses", {"per_page": self.per_page}
                )
                record = self.map_deployment(dep, statuses, repo)
                records.append(record)
                tracker.see(dep.get("created_at"), finished=record["status"] != "in_progress")
            if done:
                break
        self.ctx.sink.add("deployments", records, f"GET {url}")
        self.ctx.sink.checkpoint(self.ctx.state, key, tracker.result(saved.cursor), first_etag)

    def map_deployment(
        self, dep: dict[str, Any], statuses: list[dict[str, Any]], repo: str
    ) -> dict[str, Any]:
        """Status from the latest final status; `inactive` (superseded) counts as the success it
        was, finishing when the deployment first went final, not when it was superseded."""
        ordered = sorted(
            (s for s in statuses if isinstance(s, dict)),
            key=lambda s: (parse_ts(s.get("created_at")) or datetime.min.astimezone(),
                           s.get("id") or 0),
        )
        final = [s for s in ordered if str(s.get("state")).lower() in FINAL_DEPLOY_STATES]
        inactive = [s for s in ordered if str(s.get("state")).lower() == "inactive"]
        started = [s for s in ordered if str(s.get("state")).lower() == "in_progress"]
        if final:
            last = final[-1]
            status = FINAL_DEPLOY_STATES[str(last.get("state")).lower()]
            finished = last.get("created_at")
        elif inactive:
            status, finished = "success", inactive[0].get("created_at")
        else:
            status = "in_progress"
            finished = (ordered[-1].get("created_at") if ordered
                        else dep.get("updated_at") or dep.get("created_at"))
        actor = dig(dep, "performed_via_github_app", "slug") or dig(dep, "creator", "login")
        via = (str(actor).lower() in self.platform_actors) if self.platform_actors else None
        return {
            "deployment_id": f"github:{dep.get('id')}",
            "service_id": self.service_for(repo),
            "environment": dep.get("environment"),
            "sha": dep.get("sha"),
            "finished_at": ts(finished),
            "status": status,
            "started_at": ts(started[0].get("created_at") if started else dep.get("created_at")),
            "kind": deployment_kind(self.rollback, self.hotfix, dep.get("task"),
                                    dep.get("description"), dep.get("ref")),
            "via_platform": via,
        }

    # -- pull requests ----------------------------------------------------------------------
    def sync_pulls(self, repo: str) -> None:
        key = f"pull_requests:{repo}"
        saved = self.ctx.state.get(key)
        since = self.since(saved)
        url = f"{self.repo_url(repo)}/pulls"
        params = {"state": "all", "sort": "updated", "direction": "desc",
                  "per_page": self.per_page}
        tracker = CursorTracker(self.ctx.now)
        pulls: list[dict[str, Any]] = []
        commits: list[dict[str, Any]] = []
        first_etag: str | None = None
        for page in self.pages(url, params, saved.etag, "pull requests"):
            if page.not_modified:
                return
            first_etag = first_etag or page.etag
            done = False
            for pr in as_items(page.data):
                updated = parse_ts(pr.get("updated_at"))
                if updated is not None and updated < since:
                    done = True
                    break
                number = pr.get("number")
                pr_commits = self.all_items(f"{url}/{number}/commits", {"per_page": 100})
                reviews = self.all_items(f"{url}/{number}/reviews", {"per_page": 100})
                pulls.append(self.map_pull(pr, pr_commits, reviews, repo))
                commits.extend(self.map_commit(c, repo) for c in pr_commits)
                tracker.see(pr.get("updated_at"))
            if done:
                break
        origin = f"GET {url}"
        self.ctx.sink.add("pull_requests", pulls, origin)
        self.ctx.sink.add("commits", commits, origin)
        self.ctx.sink.checkpoint(self.ctx.state, key, tracker.result(saved.cursor), first_etag)

    @staticmethod
    def map_pull(
        pr: dict[str, Any], commits: list[dict[str, Any]], reviews: list[dict[str, Any]],
        repo: str,
    ) -> dict[str, Any]:
        """First review: the earliest submitted review by someone other than the author."""
        author = dig(pr, "user", "login")
        review_times = [
            parse_ts(r.get("submitted_at")) for r in reviews
            if isinstance(r, dict) and str(r.get("state")).upper() != "PENDING"
            and dig(r, "user", "login") != author
        ]
        review_times = [t for t in review_times if t is not None]
        merged_at = ts(pr.get("merged_at"))
        return {
            "repo": repo,
            "number": pr.get("number"),
            "created_at": ts(pr.get("created_at")),
            "author_id": author,
            "first_review_at": iso(min(review_times)) if review_times else None,
            "merged_at": merged_at,
            "closed_at": ts(pr.get("closed_at")),
            # An open PR's merge_commit_sha is a throw-away test merge: only a merge is a change.
            "merge_sha": pr.get("merge_commit_sha") if merged_at else None,
            "base_branch": dig(pr, "base", "ref"),
            "commit_shas": [c.get("sha") for c in commits if isinstance(c, dict)],
        }

    # -- commits ----------------------------------------------------------------------------
    def sync_commits(self, repo: str) -> None:
        key = f"commits:{repo}"
        saved = self.ctx.state.get(key)
        since = self.since(saved)
        url = f"{self.repo_url(repo)}/commits"
        params: dict[str, Any] = {"since": iso(since), "per_page": self.per_page}
        if self.setting("branch"):
            params["sha"] = self.setting("branch")
        tracker = CursorTracker(self.ctx.now)
        records: list[dict[str, Any]] = []
        first_etag: str | None = None
        for page in self.pages(url, params, saved.etag, "commits"):
            if page.not_modified:
                return
            first_etag = first_etag or page.etag
            for item in as_items(page.data):
                records.append(self.map_commit(item, repo))
                tracker.see(dig(item, "commit", "committer", "date"))
        self.ctx.sink.add("commits", records, f"GET {url}")
        self.ctx.sink.checkpoint(self.ctx.state, key, tracker.result(saved.cursor), first_etag)

    @staticmethod
    def map_commit(item: dict[str, Any], repo: str) -> dict[str, Any]:
        """Author: the GitHub login when the commit is linked to an account, else the e-mail."""
        return {
            "sha": item.get("sha"),
            "repo": repo,
            "authored_at": ts(dig(item, "commit", "author", "date")),
            "committed_at": ts(dig(item, "commit", "committer", "date")),
            "author_id": dig(item, "author", "login") or dig(item, "commit", "author", "email"),
            "parents": [p.get("sha") for p in item.get("parents") or [] if isinstance(p, dict)],
        }
