"""`paved run` with every source type configured, against local fake provider servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from pipelines.cli import main
from tests.connectors.conftest import ENV, TOKEN
from tests.connectors.fakeserver import FakeServer
from tests.connectors.worlds import (
    BackstageWorld,
    GitHubWorld,
    GitLabWorld,
    OpsgenieWorld,
    PagerDutyWorld,
    require_fixtures,
)

CONFIG = """
[sources.github]
type = "github"
base_url = "{github}"
token_env = "PAVED_TEST_TOKEN"
repos = ["acme/shop"]
services = {{ "acme/shop" = "shop" }}
deploy_rules = [{{ workflow = "^Deploy", environment = "production" }}]

[sources.gitlab]
type = "gitlab"
base_url = "{gitlab}"
token_env = "PAVED_TEST_TOKEN"
projects = ["acme/api"]

[sources.pagerduty]
type = "pagerduty"
base_url = "{pagerduty}"
token_env = "PAVED_TEST_TOKEN"
services = {{ PSVC1 = "shop", PSVC2 = "api" }}

[sources.opsgenie]
type = "opsgenie"
base_url = "{opsgenie}"
token_env = "PAVED_TEST_TOKEN"

[sources.backstage]
type = "backstage"
base_url = "{backstage}"

[sources.hr]
type = "hr_csv"
path = "hr.csv"

[sources.broken_github]
type = "github"
base_url = "http://127.0.0.1:9"
token_env = "PAVED_TEST_TOKEN"
repos = ["acme/gone"]
max_attempts = 1
"""


@pytest.fixture(scope="module")
def run_with_sources(tmp_path_factory):
    require_fixtures()
    root = tmp_path_factory.mktemp("sources")
    servers = {k: FakeServer().start() for k in
               ("github", "gitlab", "pagerduty", "opsgenie", "backstage")}
    now = datetime.now(UTC)
    start = now - timedelta(days=20)
    gh = GitHubWorld(servers["github"], now)
    gh.add_runs(12, start)
    gh.add_deployments(6, start)
    gh.add_pulls(5, start)
    gh.add_commits(10, start)
    gl = GitLabWorld(servers["gitlab"], now)
    gl.add_pipelines(8, start)
    gl.add_deployments(4, start)
    gl.add_mrs(4, start)
    gl.add_commits(8, start)
    PagerDutyWorld(servers["pagerduty"], now).add(6, start)
    OpsgenieWorld(servers["opsgenie"], now).add(4, start)
    bs = BackstageWorld(servers["backstage"])
    bs.add_components(3)
    bs.add_groups()
    (root / "hr.csv").write_text(
        "engineer_id,team_id,start_date,end_date,email\nE1,team-a,2024-01-02,,e1@acme.test\n"
    )
    config = root / "paved.toml"
    config.write_text(CONFIG.format(**{k: s.base_url for k, s in servers.items()}))
    mp = pytest.MonkeyPatch()
    mp.setenv("PAVED_TEST_TOKEN", ENV["PAVED_TEST_TOKEN"])
    try:
        code = main(["run", "--home", str(root / "home"), "--config", str(config)])
    finally:
        mp.undo()
        for s in servers.values():
            s.stop()
    return code, root / "home" / "published" / "paved.duckdb"


def _rows(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize(
    ("entity", "source"),
    [
        ("ci_runs", "github"), ("deployments", "github"), ("pull_requests", "github"),
        ("commits", "github"), ("ci_runs", "gitlab"), ("deployments", "gitlab"),
        ("pull_requests", "gitlab"), ("commits", "gitlab"), ("incidents", "pagerduty"),
        ("incidents", "opsgenie"), ("services", "backstage"), ("teams", "backstage"),
        ("identities", "backstage"), ("engineers", "hr"),
    ],
)
def test_every_entity_of_every_source_reaches_core(run_with_sources, entity, source):
    _, published = run_with_sources
    [(in_core,)] = _rows(published, f"SELECT count(*) FROM core.{entity}")
    [(status, fetched)] = _rows(published, f"""
        SELECT status, CAST(report->'records'->>'{entity}' AS INTEGER)
        FROM meta.source_runs WHERE source = '{source}'""")
    assert status == "success" and fetched > 0 and in_core > 0


def test_a_failing_source_is_reported_and_the_run_still_publishes(run_with_sources):
    code, published = run_with_sources
    assert code == 1
    [(status, error)] = _rows(published, """
        SELECT status, error FROM meta.source_runs WHERE source = 'broken_github'""")
    assert status in ("failed", "partial")
    assert "127.0.0.1:9" in error


def test_the_token_never_reaches_the_published_warehouse(run_with_sources):
    _, published = run_with_sources
    assert TOKEN.encode() not in published.read_bytes()
