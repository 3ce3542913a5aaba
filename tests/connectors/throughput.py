"""Records per second per connector against the local fake server (not a test; a measurement).

    uv run python -m tests.connectors.throughput

Each provider world is sized to a few thousand records; the figure includes HTTP round trips on
127.0.0.1, JSON parsing, mapping and the raw writes, so it measures our overhead, not the
provider's latency. A second, incremental run against the unchanged world shows the requests
the cursors and ETags save.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from pipelines.connectors import sync_source
from pipelines.connectors.http import HttpStats, RetryPolicy, make_client
from tests.connectors.fakeserver import FakeServer
from tests.connectors.worlds import (
    BackstageWorld,
    GitHubWorld,
    GitLabWorld,
    OpsgenieWorld,
    PagerDutyWorld,
)

ENV = {"TOKEN": "bench-token"}


def github(s: FakeServer, now: datetime) -> dict[str, Any]:
    w = GitHubWorld(s, now)
    w.add_runs(1500, now - timedelta(days=200), timedelta(hours=3))
    w.add_deployments(200, now - timedelta(days=200), timedelta(hours=20))
    w.add_pulls(300, now - timedelta(days=200), timedelta(hours=15))
    w.add_commits(1500, now - timedelta(days=200), timedelta(hours=3))
    return {"type": "github", "repos": ["acme/shop"],
            "deploy_rules": [{"workflow": "^Deploy", "environment": "production"}]}


def gitlab(s: FakeServer, now: datetime) -> dict[str, Any]:
    w = GitLabWorld(s, now)
    w.add_pipelines(1000, now - timedelta(days=100))
    w.add_deployments(300, now - timedelta(days=60))
    w.add_mrs(300, now - timedelta(days=70))
    w.add_commits(1500, now - timedelta(days=70))
    return {"type": "gitlab", "projects": ["acme/api"]}


def pagerduty(s: FakeServer, now: datetime) -> dict[str, Any]:
    w = PagerDutyWorld(s, now)
    w.add(2000, now - timedelta(days=300), timedelta(hours=3))
    return {"type": "pagerduty", "services": {"PSVC1": "a", "PSVC2": "b"}}


def pagerduty_no_log(s: FakeServer, now: datetime) -> dict[str, Any]:
    return {**pagerduty(s, now), "log_entries": False}


def opsgenie(s: FakeServer, now: datetime) -> dict[str, Any]:
    w = OpsgenieWorld(s, now)
    w.add(1000, now - timedelta(days=240))
    return {"type": "opsgenie"}


def backstage(s: FakeServer, now: datetime) -> dict[str, Any]:
    w = BackstageWorld(s)
    w.add_components(2000)
    w.add_groups()
    return {"type": "backstage"}


def hr_csv(s: FakeServer, now: datetime) -> dict[str, Any]:
    path = Path(tempfile.mkdtemp()) / "hr.csv"
    rows = "".join(f"E{i},team-{i % 20},2024-01-{1 + i % 28:02d},,e{i}@acme.test\n"
                   for i in range(5000))
    path.write_text("engineer_id,team_id,start_date,end_date,email\n" + rows)
    return {"type": "hr_csv", "path": str(path)}


CASES: dict[str, Callable[[FakeServer, datetime], dict[str, Any]]] = {
    "github": github, "gitlab": gitlab, "pagerduty (+log entries)": pagerduty,
    "pagerduty (no log entries)": pagerduty_no_log, "opsgenie": opsgenie,
    "backstage": backstage, "hr_csv": hr_csv,
}


def main() -> None:
    out = sys.stdout
    out.write(f"{'connector':28} {'records':>8} {'requests':>8} {'seconds':>8} {'rec/s':>8}"
              f" | 2nd run: {'requests':>8} {'304s':>5} {'new':>5}\n")
    for name, build in CASES.items():
        server = FakeServer().start()
        try:
            now = datetime.now(UTC)
            settings = {"base_url": server.base_url, "token_env": "TOKEN", "per_page": 100,
                        **build(server, now)}
            con = duckdb.connect()
            client = make_client(policy=RetryPolicy(sleep=lambda s: None), stats=HttpStats())
            first = sync_source(con, "bench", settings, client=client, env=ENV)
            second = sync_source(con, "bench", settings, client=client, env=ENV)
            out.write(f"{name:28} {first.total_records:>8} {first.requests:>8} "
                      f"{first.duration_s:>8.2f} {first.records_per_s:>8.0f} | "
                      f"{'':9}{second.requests:>8} {second.not_modified:>5} "
                      f"{sum(second.inserted.values()):>5}\n")
            client.close()
            con.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
