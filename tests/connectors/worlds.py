"""Provider 'worlds' for the fake server, generated from real payloads in the peer fixtures.

Every object served is a deep copy of a real API item (read in place from
`<repo>/../shared/peer-fixtures`), with only identifiers, timestamps, states and names changed
so there are enough of them to page through. Unknown fields in the real payloads are left in,
which is the point: the mappings must ignore what they do not know.
"""

from __future__ import annotations

import base64
import copy
import csv
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml

from tests.connectors.fakeserver import FakeServer, Reply, Request, etag_of, link_page

REPO_ROOT = Path(__file__).resolve().parents[2]
PEER = REPO_ROOT.parent / "shared" / "peer-fixtures"
API = PEER / "api-examples"


def require_fixtures() -> Path:
    if not API.is_dir():
        pytest.skip(f"peer fixtures not found at {API} (expected ../shared beside the checkout)")
    return API


def items(rel: str) -> list[dict[str, Any]]:
    return json.loads((require_fixtures() / rel).read_text())["items"]


def replay_body(rel: str) -> Any:
    return json.loads((require_fixtures() / rel).read_text())["body"]


def raw_csv_items(rel: str) -> list[dict[str, Any]]:
    path = PEER / "devlake" / rel
    if not path.is_file():
        pytest.skip(f"peer fixture {path} not found")
    csv.field_size_limit(10**8)
    with path.open(newline="") as fh:
        return [json.loads(r["data"]) for r in csv.DictReader(fh)]


def z(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def clone(templates: list[dict[str, Any]], i: int) -> dict[str, Any]:
    return copy.deepcopy(templates[i % len(templates)])


# ============================================================================================
class GitHubWorld:
    """One repository, `acme/shop`: runs (+jobs), deployments (+statuses), PRs, commits."""

    repo = "acme/shop"

    def __init__(self, server: FakeServer, now: datetime) -> None:
        self.server = server
        self.now = now
        self.base = now - timedelta(days=20)
        self.run_templates = (
            items("github/devlake-raw/actions_runs_list.items.json")
            + replay_body("github/pygithub-replay/actions_runs_list.json")["workflow_runs"]
        )
        self.job_templates = (
            items("github/devlake-raw/actions_jobs_list.items.json")
            + replay_body("github/pygithub-replay/actions_run_jobs_list.json")["jobs"]
        )
        self.dep_templates = replay_body("github/pygithub-replay/deployments_list.json")
        self.status_templates = replay_body("github/pygithub-replay/deployment_statuses_list.json")
        self.pull_templates = items("github/devlake-raw/pulls_list.items.json")
        self.pr_commit_templates = items("github/devlake-raw/pull_commits_list.items.json")
        self.review_templates = items("github/devlake-raw/pull_reviews_list.items.json")
        self.commit_templates = (
            replay_body("github/pygithub-replay/compare_page1.json")["commits"]
            + replay_body("github/pygithub-replay/compare_page2.json")["commits"]
        )
        self.runs: list[dict[str, Any]] = []
        self.deployments: list[dict[str, Any]] = []
        self.statuses: dict[int, list[dict[str, Any]]] = {}
        self.pulls: list[dict[str, Any]] = []
        self.commits: list[dict[str, Any]] = []
        self._register()

    # -- generation ------------------------------------------------------------------------
    def add_runs(self, n: int, start: datetime, step: timedelta = timedelta(hours=2)) -> None:
        for k in range(n):
            i = len(self.runs)
            run = clone(self.run_templates, i)
            created = start + k * step
            deploy = i % 5 == 0
            run.update({
                "id": 5000 + i, "run_attempt": 1, "run_number": i + 1,
                "created_at": z(created), "run_started_at": z(created),
                "updated_at": z(created + timedelta(minutes=6)),
                "status": "completed",
                "conclusion": "success" if deploy else run.get("conclusion") or "success",
                "head_sha": f"{i:040x}", "head_branch": "main", "event": "push",
            })
            run["name"] = "Deploy production" if deploy else "CI"
            run["path"] = ".github/workflows/deploy.yml" if deploy else ".github/workflows/ci.yml"
            run["referenced_workflows"] = (
                [{"path": "acme/platform/.github/workflows/golden.yml@v1", "sha": "0" * 40}]
                if i % 3 == 0 else []
            )
            self.runs.append(run)

    def add_deployments(self, n: int, start: datetime, step: timedelta = timedelta(hours=3),
                        final: bool = True) -> None:
        sequences = [["queued", "in_progress", "success"], ["queued", "failure"],
                     ["in_progress", "success", "inactive"], ["error"]]
        for k in range(n):
            i = len(self.deployments)
            dep = clone(self.dep_templates, i)
            created = start + k * step
            dep_id = 9000 + i
            dep.update({
                "id": dep_id, "sha": f"{i:040x}", "ref": "main", "task": "deploy",
                "environment": "production" if i % 2 == 0 else "staging",
                "description": "rollback to previous" if i == 3 else "Deploy",
                "created_at": z(created), "updated_at": z(created + timedelta(minutes=10)),
            })
            states = sequences[i % len(sequences)] if final else ["queued"]
            statuses = []
            for s, state in enumerate(states):
                st = clone(self.status_templates, s)
                st.update({"id": dep_id * 10 + s, "state": state,
                           "environment": dep["environment"],
                           "created_at": z(created + timedelta(minutes=5 * (s + 1))),
                           "updated_at": z(created + timedelta(minutes=5 * (s + 1)))})
                statuses.append(st)
            self.statuses[dep_id] = list(reversed(statuses))  # newest first, as GitHub
            self.deployments.append(dep)

    def add_pulls(self, n: int, start: datetime, step: timedelta = timedelta(hours=3)) -> None:
        for k in range(n):
            i = len(self.pulls)
            pr = clone(self.pull_templates, i)
            created = start + k * step
            merged = i % 3 != 2
            pr.update({
                "number": 100 + i, "created_at": z(created),
                "updated_at": z(created + timedelta(hours=2)),
                "merged_at": z(created + timedelta(hours=1)) if merged else None,
                "closed_at": z(created + timedelta(hours=1)) if merged else None,
                "state": "closed" if merged else "open",
                "merge_commit_sha": f"{0xabc000 + i:040x}",
            })
            pr["user"] = {**pr["user"], "login": f"dev{i % 4}"}
            pr["base"] = {**pr["base"], "ref": "main",
                          "repo": {**pr["base"]["repo"], "full_name": self.repo}}
            self.pulls.append(pr)

    def touch_pull(self, index: int, when: datetime) -> None:
        self.pulls[index]["updated_at"] = z(when)

    def pr_commits(self, number: int) -> list[dict[str, Any]]:
        pr = next(p for p in self.pulls if p["number"] == number)
        out = []
        for k in range(2):
            c = clone(self.pr_commit_templates, number + k)
            c["sha"] = f"{number:020x}{k:020x}"
            c["commit"]["author"]["date"] = z(parse(pr["created_at"]) - timedelta(hours=2 - k))
            c["commit"]["committer"]["date"] = c["commit"]["author"]["date"]
            c["author"] = {**(c.get("author") or {}), "login": pr["user"]["login"]}
            out.append(c)
        return out

    def reviews(self, number: int) -> list[dict[str, Any]]:
        pr = next(p for p in self.pulls if p["number"] == number)
        created = parse(pr["created_at"])
        own = clone(self.review_templates, 0)
        own.update({"id": number * 10, "state": "COMMENTED",
                    "submitted_at": z(created + timedelta(minutes=10))})
        own["user"] = {**own["user"], "login": pr["user"]["login"]}
        other = clone(self.review_templates, 1)
        other.update({"id": number * 10 + 1, "state": "APPROVED",
                      "submitted_at": z(created + timedelta(minutes=30))})
        other["user"] = {**other["user"], "login": "reviewer"}
        return [own, other]

    def add_commits(self, n: int, start: datetime, step: timedelta = timedelta(hours=1)) -> None:
        for k in range(n):
            i = len(self.commits)
            c = clone(self.commit_templates, i)
            when = start + k * step
            c["sha"] = f"{i:040x}"
            c["commit"]["author"]["date"] = z(when - timedelta(minutes=30))
            c["commit"]["committer"]["date"] = z(when)
            c["author"] = {**(c.get("author") or {}), "login": f"dev{i % 4}"}
            c["parents"] = [{"sha": f"{i - 1:040x}", "url": "x"}] if i else []
            self.commits.append(c)

    # -- routes ----------------------------------------------------------------------------
    def _register(self) -> None:
        s, r = self.server, "/repos/acme/shop"
        s.route(rf"{r}/actions/runs", self._runs)
        s.route(rf"{r}/actions/runs/(\d+)/jobs", self._jobs)
        s.route(rf"{r}/deployments", lambda q, m: link_page(
            s, q, sorted(self.deployments, key=lambda d: d["created_at"], reverse=True)))
        s.route(rf"{r}/deployments/(\d+)/statuses",
                lambda q, m: link_page(s, q, self.statuses[int(m.group(1))]))
        s.route(rf"{r}/pulls", lambda q, m: link_page(
            s, q, sorted(self.pulls, key=lambda p: p["updated_at"], reverse=True)))
        s.route(rf"{r}/pulls/(\d+)/commits",
                lambda q, m: link_page(s, q, self.pr_commits(int(m.group(1)))))
        s.route(rf"{r}/pulls/(\d+)/reviews",
                lambda q, m: link_page(s, q, self.reviews(int(m.group(1)))))
        s.route(rf"{r}/commits", self._commits)

    def _runs(self, req: Request, m: Any) -> Reply:
        created = req.arg("created") or ""
        runs = self.runs
        if created.startswith(">="):
            runs = [x for x in runs if parse(x["created_at"]) >= parse(created[2:])]
        elif ".." in created:
            a, b = created.split("..")
            runs = [x for x in runs if parse(a) <= parse(x["created_at"]) <= parse(b)]
        runs = sorted(runs, key=lambda x: x["created_at"], reverse=True)
        return link_page(self.server, req, runs,
                         wrap=lambda c: {"total_count": len(runs), "workflow_runs": c})

    def _jobs(self, req: Request, m: Any) -> Reply:
        run = next(x for x in self.runs if x["id"] == int(m.group(1)))
        jobs = []
        for k, name in enumerate(["build", "deploy-prod"]):
            job = clone(self.job_templates, k)
            start = parse(run["run_started_at"]) + timedelta(minutes=2 * k)
            job.update({"id": run["id"] * 10 + k, "run_id": run["id"], "name": name,
                        "status": "completed", "conclusion": "success",
                        "head_sha": run["head_sha"], "started_at": z(start),
                        "completed_at": z(start + timedelta(minutes=2))})
            jobs.append(job)
        return link_page(self.server, req, jobs,
                         wrap=lambda c: {"total_count": len(jobs), "jobs": c})

    def _commits(self, req: Request, m: Any) -> Reply:
        since = req.arg("since")
        commits = [c for c in self.commits
                   if not since or parse(c["commit"]["committer"]["date"]) >= parse(since)]
        commits = sorted(commits, key=lambda c: c["commit"]["committer"]["date"], reverse=True)
        return link_page(self.server, req, commits)


# ============================================================================================
def keyset_page(server: FakeServer, req: Request, items_: list[Any], per_page_default: int = 20
                ) -> Reply:
    """GitLab keyset style: an opaque `cursor` in the `Link` next URL, no page numbers."""
    per_page = int(req.arg("per_page", str(per_page_default)) or per_page_default)
    cursor = req.arg("cursor")
    start = int(base64.urlsafe_b64decode(cursor).decode()) if cursor else 0
    chunk = items_[start : start + per_page]
    headers = {"ETag": etag_of(chunk)}
    if start + per_page < len(items_):
        query = {k: v for k, v in req.query.items() if k != "cursor"}
        query["cursor"] = [base64.urlsafe_b64encode(str(start + per_page).encode()).decode()]
        headers["Link"] = f'<{server.base_url}{req.path}?{urlencode(query, doseq=True)}>; ' \
                          'rel="next"'
    return Reply(200, chunk, headers)


class GitLabWorld:
    """One project, `acme/api` (served as `acme%2Fapi`)."""

    project = "acme/api"

    def __init__(self, server: FakeServer, now: datetime) -> None:
        self.server = server
        self.now = now
        self.base = now - timedelta(days=15)
        self.pipeline_templates = items("gitlab/devlake-raw/pipelines_list.items.json")
        self.detail_templates = items("gitlab/devlake-raw/pipeline_get.items.json")
        self.job_templates = items("gitlab/devlake-raw/jobs_list.items.json")
        self.dep_templates = items("gitlab/devlake-raw/deployments_list.items.json")
        self.mr_templates = items("gitlab/devlake-raw/merge_requests_list.items.json")
        self.commit_templates = items("gitlab/devlake-raw/merge_request_commits_list.items.json")
        self.note_templates = raw_csv_items(
            "gitlab/e2e/raw_tables/_raw_gitlab_api_merge_request_notes.csv")
        self.pipelines: list[dict[str, Any]] = []
        self.details: dict[int, dict[str, Any]] = {}
        self.deployments: list[dict[str, Any]] = []
        self.mrs: list[dict[str, Any]] = []
        self.commits: list[dict[str, Any]] = []
        self._register()

    def add_pipelines(self, n: int, start: datetime) -> None:
        statuses = ["success", "failed", "success", "canceled", "skipped"]
        for k in range(n):
            i = len(self.pipelines)
            created = start + timedelta(hours=2 * k)
            p = clone(self.pipeline_templates, i)
            p.update({"id": 7000 + i, "iid": i + 1, "sha": f"{i:040x}", "ref": "main",
                      "status": statuses[i % len(statuses)], "source": "push",
                      "created_at": z(created), "updated_at": z(created + timedelta(minutes=9))})
            d = clone(self.detail_templates, i)
            d.update({k2: p[k2] for k2 in ("id", "iid", "sha", "ref", "status", "source",
                                           "created_at", "updated_at")})
            d.update({"started_at": z(created + timedelta(seconds=20)),
                      "finished_at": z(created + timedelta(minutes=9)),
                      "name": "release" if i % 4 == 0 else None})
            self.pipelines.append(p)
            self.details[p["id"]] = d

    def add_deployments(self, n: int, start: datetime) -> None:
        statuses = ["success", "failed", "success", "canceled"]
        for k in range(n):
            i = len(self.deployments)
            created = start + timedelta(hours=4 * k)
            d = clone(self.dep_templates, i)
            d.update({"id": 8000 + i, "iid": i + 1, "sha": f"{i:040x}", "ref": "main",
                      "status": statuses[i % len(statuses)], "created_at": z(created),
                      "updated_at": z(created + timedelta(minutes=12))})
            d["environment"] = {**d["environment"],
                                "name": "production" if i % 2 == 0 else "staging"}
            d["deployable"] = {**d["deployable"], "name": "deploy",
                               "started_at": z(created + timedelta(minutes=2)),
                               "finished_at": z(created + timedelta(minutes=11))}
            self.deployments.append(d)

    def add_mrs(self, n: int, start: datetime) -> None:
        for k in range(n):
            i = len(self.mrs)
            created = start + timedelta(hours=5 * k)
            mr = clone(self.mr_templates, i)
            merged = i % 3 != 1
            mr.update({"id": 32000 + i, "iid": i + 1, "state": "merged" if merged else "opened",
                       "created_at": z(created), "updated_at": z(created + timedelta(hours=3)),
                       "merged_at": z(created + timedelta(hours=2)) if merged else None,
                       "merge_commit_sha": f"{0xfeed00 + i:040x}" if merged else None,
                       "target_branch": "main"})
            mr["author"] = {**mr["author"], "username": f"dev{i % 3}"}
            self.mrs.append(mr)

    def add_commits(self, n: int, start: datetime) -> None:
        for k in range(n):
            i = len(self.commits)
            c = clone(self.commit_templates, i)
            when = start + timedelta(hours=k)
            c.update({"id": f"{0xc0 + i:040x}", "authored_date": z(when - timedelta(minutes=5)),
                      "committed_date": z(when), "created_at": z(when),
                      "parent_ids": [f"{0xc0 + i - 1:040x}"] if i else []})
            self.commits.append(c)

    def _register(self) -> None:
        s, p = self.server, "/api/v4/projects/acme%2Fapi"
        s.route(rf"{p}/pipelines", lambda q, m: keyset_page(s, q, self._updated(
            self.pipelines, q)))
        s.route(rf"{p}/pipelines/(\d+)", lambda q, m: Reply(
            200, self.details[int(m.group(1))]))
        s.route(rf"{p}/pipelines/(\d+)/jobs", self._jobs)
        s.route(rf"{p}/deployments", lambda q, m: link_page(s, q, self._updated(
            self.deployments, q)))
        s.route(rf"{p}/merge_requests", lambda q, m: link_page(s, q, self._updated(
            self.mrs, q)))
        s.route(rf"{p}/merge_requests/(\d+)/commits", self._mr_commits)
        s.route(rf"{p}/merge_requests/(\d+)/notes", self._notes)
        s.route(rf"{p}/repository/commits", self._commits)

    @staticmethod
    def _updated(objs: list[dict[str, Any]], req: Request) -> list[dict[str, Any]]:
        after = req.arg("updated_after")
        out = [o for o in objs if not after or parse(o["updated_at"]) >= parse(after)]
        return sorted(out, key=lambda o: o["updated_at"])

    def _jobs(self, req: Request, m: Any) -> Reply:
        p = self.details[int(m.group(1))]
        jobs = []
        for k, name in enumerate(["compile", "deploy-production"]):
            j = clone(self.job_templates, k)
            j.update({"id": p["id"] * 10 + k, "name": name, "status": "success",
                      "started_at": p["started_at"], "finished_at": p["finished_at"]})
            j["commit"] = {**j["commit"], "id": p["sha"]}
            jobs.append(j)
        return link_page(self.server, req, jobs)

    def _mr_commits(self, req: Request, m: Any) -> Reply:
        iid = int(m.group(1))
        c = clone(self.commit_templates, iid)
        c.update({"id": f"{0xaa0000 + iid:040x}", "parent_ids": []})
        return link_page(self.server, req, [c])

    def _notes(self, req: Request, m: Any) -> Reply:
        iid = int(m.group(1))
        mr = next(x for x in self.mrs if x["iid"] == iid)
        created = parse(mr["created_at"])
        notes = []
        for k, (system, user) in enumerate([(True, "bot"), (False, mr["author"]["username"]),
                                            (False, "reviewer")]):
            n = clone(self.note_templates, k)
            n.update({"id": iid * 100 + k, "system": system,
                      "created_at": z(created + timedelta(minutes=10 * (k + 1)))})
            n["author"] = {**n["author"], "username": user}
            notes.append(n)
        return link_page(self.server, req, notes)

    def _commits(self, req: Request, m: Any) -> Reply:
        since = req.arg("since")
        out = [c for c in self.commits if not since or parse(c["committed_date"]) >= parse(since)]
        return link_page(self.server, req, sorted(out, key=lambda c: c["committed_date"],
                                                  reverse=True))


# ============================================================================================
class PagerDutyWorld:
    """Incidents across two services, offset-paged with PagerDuty's cap enforced."""

    def __init__(self, server: FakeServer, now: datetime, cap: int = 10_000) -> None:
        self.server = server
        self.now = now
        self.cap = cap
        self.templates = (items("pagerduty/faros/incidents_list.items.json")
                          + items("pagerduty/devlake-raw/incidents_with_log_entries.items.json"))
        self.entry_templates = items("pagerduty/faros/incident_log_entries_list.items.json")
        self.incidents: list[dict[str, Any]] = []
        server.route(r"/incidents", self._incidents)
        server.route(r"/incidents/(\w+)/log_entries", self._entries)

    def add(self, n: int, start: datetime, step: timedelta = timedelta(hours=5),
            status_cycle: tuple[str, ...] = ("resolved", "resolved", "acknowledged")) -> None:
        for k in range(n):
            i = len(self.incidents)
            inc = clone(self.templates, i)
            inc.pop("log_entries", None)
            inc.update({"id": f"PINC{i:04d}", "incident_number": i + 1,
                        "created_at": z(start + k * step),
                        "status": status_cycle[i % len(status_cycle)],
                        "acknowledgements": [], "priority": {"summary": "P1"} if i % 4 == 0
                        else None})
            inc["service"] = {**inc["service"], "id": "PSVC1" if i % 2 == 0 else "PSVC2"}
            self.incidents.append(inc)

    def _incidents(self, req: Request, m: Any) -> Reply:
        since, until = parse(req.arg("since") or ""), parse(req.arg("until") or "")
        offset, limit = int(req.arg("offset") or 0), int(req.arg("limit") or 25)
        if offset + limit > self.cap:
            return Reply(400, {"error": {"message": f"Offset must be less than {self.cap}",
                                         "code": 2001}})
        found = [i for i in self.incidents if since <= parse(i["created_at"]) < until]
        found.sort(key=lambda i: i["created_at"])
        body = {"incidents": found[offset : offset + limit], "limit": limit, "offset": offset,
                "more": offset + limit < len(found),
                "total": len(found) if req.arg("total") == "true" else None}
        return Reply(200, body, {"ratelimit-limit": "960", "ratelimit-remaining": "900",
                                 "ratelimit-reset": "30"})

    def _entries(self, req: Request, m: Any) -> Reply:
        inc = next(i for i in self.incidents if i["id"] == m.group(1))
        created = parse(inc["created_at"])
        kinds = [("trigger_log_entry", 0)]
        if inc["status"] in ("acknowledged", "resolved"):
            kinds.append(("acknowledge_log_entry", 4))
        if inc["status"] == "resolved":
            kinds.append(("resolve_log_entry", 47))
        entries = []
        for k, (kind, minutes) in enumerate(kinds):
            e = clone(self.entry_templates, k)
            e.update({"id": f"R{inc['id']}{k}", "type": kind,
                      "created_at": z(created + timedelta(minutes=minutes))})
            entries.append(e)
        entries.reverse()  # newest first, as PagerDuty
        return Reply(200, {"log_entries": entries, "limit": 100, "offset": 0, "more": False})


# ============================================================================================
class OpsgenieWorld:
    def __init__(self, server: FakeServer, now: datetime) -> None:
        self.server = server
        self.templates = (items("opsgenie/devlake-raw/incidents_list.items.json")
                          + items("opsgenie/faros/incidents_list.items.json"))
        self.incidents: list[dict[str, Any]] = []
        server.route(r"/v1/incidents", self._list)

    def add(self, n: int, start: datetime) -> None:
        statuses = ["resolved", "closed", "open"]
        for k in range(n):
            i = len(self.incidents)
            inc = clone(self.templates, i)
            created = start + timedelta(hours=6 * k)
            inc.update({"id": f"og-{i:04d}", "tinyId": str(i + 1), "createdAt": z(created),
                        "impactStartDate": z(created), "status": statuses[i % 3],
                        "updatedAt": z(created + timedelta(minutes=53)),
                        "impactedServices": ["695bce3d-4621-4630-8ae1-24eb89c22d6e"]})
            inc.pop("impactEndDate", None)
            if "timelines" in inc:
                for t in inc["timelines"]:
                    t["eventTime"] = z(created + timedelta(minutes=7))
            self.incidents.append(inc)

    def _list(self, req: Request, m: Any) -> Reply:
        offset, limit = int(req.arg("offset") or 0), int(req.arg("limit") or 20)
        found = sorted(self.incidents, key=lambda i: i["createdAt"], reverse=True)
        paging: dict[str, str] = {}
        if offset + limit < len(found):
            q = {**{k: v for k, v in req.query.items()}, "offset": [str(offset + limit)]}
            paging["next"] = f"{self.server.base_url}{req.path}?{urlencode(q, doseq=True)}"
        return Reply(200, {"data": found[offset : offset + limit], "paging": paging,
                           "took": 0.01, "requestId": "req-1"})


# ============================================================================================
class BackstageWorld:
    def __init__(self, server: FakeServer) -> None:
        folder = require_fixtures() / "backstage" / "catalog-model-examples"
        docs = []
        for f in sorted(folder.glob("*.yaml")):
            docs.extend(d for d in yaml.safe_load_all(f.read_text()) if d)
        self.component_template = next(d for d in docs if d["kind"] == "Component")
        self.group_template = next(d for d in docs if d["kind"] == "Group")
        self.users = [d for d in docs if d["kind"] == "User"]
        self.components: list[dict[str, Any]] = []
        self.groups: list[dict[str, Any]] = []
        server.route(r"/api/catalog/entities/by-query", self._query)

    @staticmethod
    def _server_fields(e: dict[str, Any], i: int) -> dict[str, Any]:
        e["metadata"].update({"uid": f"uid-{i}", "etag": f"etag-{i}"})
        e["metadata"].setdefault("annotations", {})
        e["metadata"]["annotations"]["backstage.io/managed-by-location"] = (
            f"url:https://github.com/acme/svc-{i}/tree/main/catalog-info.yaml")
        return e

    def add_components(self, n: int) -> None:
        for _ in range(n):
            i = len(self.components)
            c = self._server_fields(copy.deepcopy(self.component_template), i)
            c["metadata"]["name"] = f"svc-{i}"
            c["spec"]["owner"] = "team-a" if i % 2 == 0 else "group:default/team-b"
            ann = c["metadata"]["annotations"]
            if i % 3 == 0:
                ann["github.com/project-slug"] = f"acme/svc-{i}"
            if i % 2 == 0:
                ann["backstage.io/source-template"] = "template:default/golden-service"
            c["relations"] = [{"type": "ownedBy", "targetRef": "group:default/team-a"}]
            self.components.append(c)

    def add_groups(self) -> None:
        for i, name in enumerate(["team-a", "team-b"]):
            g = self._server_fields(copy.deepcopy(self.group_template), 100 + i)
            g["metadata"]["name"] = name
            if name == "team-b":
                g["metadata"]["annotations"]["paved.dev/topology"] = "platform"
            self.groups.append(g)

    def _query(self, req: Request, m: Any) -> Reply:
        cursor = req.arg("cursor")
        if cursor:
            kind, start = json.loads(base64.urlsafe_b64decode(cursor))
        else:
            kind, start = (req.arg("filter") or "").split("=", 1)[1].lower(), 0
        pool = {"component": self.components, "group": self.groups, "user": self.users}[kind]
        limit = int(req.arg("limit") or 20)
        chunk = pool[start : start + limit]
        info: dict[str, str] = {}
        if start + limit < len(pool):
            info["nextCursor"] = base64.urlsafe_b64encode(
                json.dumps([kind, start + limit]).encode()).decode()
        return Reply(200, {"items": chunk, "totalItems": len(pool), "pageInfo": info})


WorldFactory = Callable[[FakeServer, datetime], Any]
