"""`generate()`: run the modules in dependency order and shape their arrays as contract frames."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.contract import ENTITY_BY_NAME
from pipelines.demo.activity import MERGE, Activity, Commits, build_activity
from pipelines.demo.ci import build_ci_runs
from pipelines.demo.delivery import Deploys, build_delivery, explicit_commits
from pipelines.demo.graph import Graph, link, parent_lists
from pipelines.demo.incidents import build_incidents
from pipelines.demo.org import Org, build_org
from pipelines.demo.platform import build_platform_events
from pipelines.demo.spec import DemoSpec, Window
from pipelines.demo.util import dates, lists, streams, timestamps


def generate(spec: DemoSpec) -> dict[str, pd.DataFrame]:
    """The demo organisation as canonical records: entity name -> frame of its contract fields.

    Lists are Python lists, timestamps tz-aware UTC, dates `datetime.date`. Same spec, same frames.
    """
    window = Window.of(spec)
    rng = streams(spec.seed)
    org = build_org(spec, window, rng["org"])
    act = build_activity(org, rng["activity"])
    delivery = build_delivery(org, act, rng["delivery"])
    commits = Commits.concat([act.commits, delivery.hotfixes])
    graph = link(commits)
    dep_ids, dep_shas = explicit_commits(org, delivery.deploys, commits, graph)
    columns = {
        "teams": _teams(org),
        "engineers": _engineers(org),
        "services": _services(org),
        "commits": _commits(org, commits, graph),
        "pull_requests": _pull_requests(org, act, commits),
        "ci_runs": build_ci_runs(org, commits, act.prs, rng["ci"]),
        "deployments": _deployments(org, delivery.deploys, commits),
        "deployment_commits": {"deployment_id": dep_ids, "sha": dep_shas},
        "incidents": build_incidents(org, delivery.bad, rng["incidents"]),
        "platform_events": build_platform_events(org, rng["platform"]),
    }
    return {name: _frame(name, cols) for name, cols in columns.items()}


def _frame(entity: str, cols: dict[str, object]) -> pd.DataFrame:
    """Order and type the columns exactly as the contract lists them."""
    data: dict[str, object] = {}
    for field in ENTITY_BY_NAME[entity].fields:
        values = cols[field.name]
        if field.type == "timestamp":
            values = timestamps(np.asarray(values, dtype=float))
        elif field.type == "string":
            values = pd.Series(np.asarray(values, dtype=object), dtype="str")
        elif not isinstance(values, pd.Series):
            values = pd.Series(values, dtype=object if field.type in ("list", "date") else None)
        data[field.name] = values
    return pd.DataFrame(data)


def _teams(org: Org) -> dict[str, object]:
    return {
        "team_id": org.team_id,
        "name": org.team_name,
        "topology": org.team_topology,
        "parent_team_id": org.team_parent,
    }


def _engineers(org: Org) -> dict[str, object]:
    has_noreply = pd.notna(org.eng_noreply)
    counts = 2 + has_noreply.astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    flat = np.stack([org.eng_login, org.eng_email, org.eng_noreply], axis=1)
    present = np.stack([np.ones_like(has_noreply), np.ones_like(has_noreply), has_noreply], axis=1)
    return {
        "engineer_id": org.eng_id,
        "team_id": org.team_id[org.eng_team],
        "start_date": dates(org.eng_start),
        "end_date": dates(org.eng_end),
        "aliases": lists(offsets, flat[present]),
    }


def _services(org: Org) -> dict[str, object]:
    return {
        "service_id": org.svc_id,
        "team_id": org.team_id[org.svc_team],
        "repo": org.repo_name[org.svc_repo],
        "name": org.svc_id,
        "path": org.svc_path,
        "tier": org.svc_tier,
        "lifecycle": org.svc_lifecycle,
        "created_at": org.svc_created,
        "template": org.svc_template,
    }


def _commits(org: Org, commits: Commits, graph: Graph) -> dict[str, object]:
    offsets, values, null = parent_lists(commits, graph)
    parents = lists(offsets, values, null)
    order = np.lexsort((np.arange(len(commits.sha)), commits.committed, commits.repo))
    return {
        "sha": commits.sha[order],
        "repo": org.repo_name[commits.repo[order]],
        "authored_at": commits.authored[order],
        "committed_at": commits.committed[order],
        "author_id": commits.author[order],
        "parents": parents.iloc[order].reset_index(drop=True),
    }


def _pull_requests(org: Org, act: Activity, commits: Commits) -> dict[str, object]:
    prs = act.prs
    n = len(prs.repo)
    merge_sha = np.full(n, None, dtype=object)
    merges = commits.kind == MERGE
    merge_sha[commits.pr[merges]] = commits.sha[merges]
    feature = (commits.pr >= 0) & ~merges
    f_pr = commits.pr[feature]
    counts = np.bincount(f_pr, minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    commit_shas = lists(offsets, commits.sha[feature], ~prs.list_commits | (counts == 0))
    kept = np.flatnonzero(prs.created < org.window.end)
    kept = kept[np.lexsort((prs.number[kept], prs.repo[kept]))]
    return {
        "repo": org.repo_name[prs.repo[kept]],
        "number": prs.number[kept],
        "created_at": prs.created[kept],
        "author_id": prs.author[kept],
        "first_review_at": prs.first_review[kept],
        "merged_at": prs.merged[kept],
        "closed_at": prs.closed[kept],
        "merge_sha": merge_sha[kept],
        "base_branch": org.repo_branch[prs.repo[kept]],
        "commit_shas": commit_shas.iloc[kept].reset_index(drop=True),
    }


def _deployments(org: Org, d: Deploys, commits: Commits) -> dict[str, object]:
    return {
        "deployment_id": d.deployment_id,
        "service_id": org.svc_id[d.svc],
        "environment": d.environment,
        "sha": commits.sha[d.sha],
        "finished_at": d.finished,
        "status": d.status,
        "started_at": d.started,
        "kind": d.kind,
        "via_platform": d.via_platform,
    }
