"""Real, messy data never breaks a run: a bad record costs that record only (contract §1, v2).

One batch holds every case of the corpus (tests/pipelines/messy_corpus.py); `paved run` loads it
in a real subprocess, then runs again on the same home with the same batch and a fix. Each test
reads what one case must show from those two runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.paths import Home
from tests.pipelines.batches import published_rows
from tests.pipelines.messy_corpus import CASES, FIXED, write_corpus
from tests.pipelines.messy_corpus import jsonl as as_jsonl

REPO = Path(__file__).resolve().parents[2]


def paved(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PAVED_HOME", "PAVED_CONFIG")}
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args, "--home", str(home)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


class Runs:
    def __init__(self, root: Path) -> None:
        self.home = Home(root / "home")
        batch = write_corpus(root / "batch")
        fix = root / "fix"
        fix.mkdir()
        (fix / "deployments.jsonl").write_bytes(as_jsonl(FIXED))
        self.first = paved(self.home.root, "run", "--inbox", str(batch))
        self.first_state = self.query(
            "SELECT count(*), count(DISTINCT raw_seq) FROM core.quarantine WHERE status = 'open'"
        )[0]
        self.second = paved(self.home.root, "run", "--inbox", str(batch), "--inbox", str(fix))

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        return published_rows(self.home, sql, params)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    return Runs(tmp_path_factory.mktemp("messy"))


def test_the_corpus_has_at_least_forty_cases():
    assert len(CASES) >= 40


def test_the_run_publishes_and_exits_0_despite_every_bad_input(runs):
    assert runs.first.returncode == 0, runs.first.stderr
    assert runs.second.returncode == 0, runs.second.stderr


def test_no_traceback_reaches_the_user(runs):
    for result in (runs.first, runs.second):
        assert "Traceback" not in result.stdout + result.stderr


def test_the_run_says_how_many_records_were_quarantined(runs):
    open_entries = runs.first_state[0]
    assert open_entries > 40
    assert f"{open_entries} record(s) quarantined" in runs.first.stdout


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_bad_record_is_quarantined_with_its_reason_and_origin(runs, case):
    for origin, reason in case.bad:
        found = runs.query(
            "SELECT reason FROM core.quarantine WHERE origin LIKE ?", [f"%/{origin}"]
        )
        assert [r for (r,) in found if reason in r], (origin, reason, found)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_good_record_beside_a_bad_one_loads(runs, case):
    for entity, key in case.good:
        column = {"deployments": "deployment_id", "services": "service_id", "ci_runs": "run_id",
                  "platform_events": "event_id", "engineers": "engineer_id", "commits": "sha",
                  "incidents": "incident_id"}[entity]  # fmt: skip
        assert runs.query(f"SELECT count(*) FROM core.{entity} WHERE {column} = ?", [key]) == [
            (1,)
        ], (entity, key)


@pytest.mark.parametrize("case", [c for c in CASES if c.findings], ids=lambda c: c.name)
def test_what_is_not_loaded_or_not_known_is_reported(runs, case):
    for kind, file in case.findings:
        found = runs.query(
            "SELECT detail FROM meta.inbox_findings WHERE kind = ? AND file LIKE ?",
            [kind, f"%{file}"],
        )
        assert found, (kind, file)
        assert file.split(":")[0] in runs.first.stdout + runs.first.stderr


def test_nothing_of_a_file_outside_the_inbox_is_read(runs):
    assert runs.query("SELECT count(*) FROM core.quarantine WHERE origin LIKE '%passwd%'") == [(0,)]
    assert runs.query("SELECT count(*) FROM meta.inbox_findings WHERE file LIKE '%passwd%'") == [
        (0,)
    ]


def test_an_unbalanced_quote_never_stores_literal_quote_characters(runs):
    assert runs.query(
        "SELECT count(*) FROM core.services WHERE service_id LIKE '%\"%' OR team_id LIKE '%\"%'"
    ) == [(0,)]


def test_the_later_version_of_a_key_sent_twice_in_a_batch_wins(runs):
    assert runs.query("SELECT sha FROM core.deployments WHERE deployment_id = 'kc-1'") == [
        ("later",)
    ]


def test_the_time_spine_is_bounded_by_plausible_data(runs):
    [(first, last, weeks)] = runs.query(
        "SELECT min(period_start), max(period_start), count(*) FROM metrics.calendar "
        "WHERE grain = 'week'"
    )
    assert first.year >= 2000 and last.year <= 2027 and weeks < 60


def test_a_rerun_of_the_same_batch_never_duplicates_quarantine_entries(runs):
    count, distinct = runs.query("SELECT count(*), count(DISTINCT raw_seq) FROM core.quarantine")[0]
    assert count == distinct
    assert runs.first_state[0] == runs.first_state[1]


def test_a_record_fixed_and_resent_leaves_the_open_count(runs):
    [(status, resolved_at)] = runs.query(
        "SELECT status, resolved_at FROM core.quarantine WHERE record_key = ?",
        [FIXED["deployment_id"]],
    )
    assert status == "resolved" and resolved_at is not None
    [(open_now,)] = runs.query("SELECT count(*) FROM core.quarantine WHERE status = 'open'")
    assert open_now == runs.first_state[0] - 1
    assert runs.query("SELECT quarantined FROM meta.runs WHERE status = 'success' "
                      "ORDER BY started_at DESC LIMIT 1") == [(open_now,)]  # fmt: skip
