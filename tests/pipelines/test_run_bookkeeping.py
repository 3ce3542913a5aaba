"""Run bookkeeping: one run per home, runs that died, and what a run's exit status means.

One home is shared by the module (a run costs seconds): a `paved run` killed right after it
recorded itself in meta.runs, then a run that recovers it with a batch holding one record that
breaks the contract, a run that fails in the metrics step, then a `--strict` run that adds another
broken record. The lock tests hold the home from a
second process and need no run of their own.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.paths import Home
from tests.conftest import REPO
from tests.pipelines.batches import (
    DEPLOYMENTS,
    INCIDENTS,
    Ran,
    published_rows,
    run_cli,
    small_org,
)

BAD_DEPLOYMENT = {**DEPLOYMENTS[0], "deployment_id": "d-bad", "finished_at": None}
BAD_INCIDENT = {**INCIDENTS[0], "incident_id": "i-bad", "opened_at": None}


def _write(folder: Path, files: dict[str, list[dict]]) -> Path:
    folder.mkdir(parents=True)
    for entity, records in files.items():
        (folder / f"{entity}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Home:
    return Home(tmp_path_factory.mktemp("bookkeeping") / "home")


@pytest.fixture(scope="module")
def killed(home: Home) -> subprocess.CompletedProcess:
    """`paved run` killed (SIGKILL, as `kill -9` or the OOM killer) just after meta.runs says
    it is running."""
    batch = _write(home.root.parent / "batch", small_org())
    env = {**os.environ, "PAVED_CRASH_AT": "meta_rules:run_started"}
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--home", str(home.root),
         "--inbox", str(batch)],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def recovered(home: Home, killed) -> Ran:
    """The next run on that home, with one deployment that has no finished_at (quarantined)."""
    batch = _write(
        home.root.parent / "batch-bad",
        {**small_org(), "deployments": [*DEPLOYMENTS, BAD_DEPLOYMENT]},
    )
    return run_cli("run", "--home", str(home.root), "--inbox", str(batch))


@pytest.fixture(scope="module")
def failed(home: Home, recovered) -> Ran:
    """A run that stops on an error in the metrics step."""

    def broken(_con):
        raise RuntimeError("metrics exploded")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("pipelines.defs.transform.build_metrics", broken)
        return run_cli("run", "--home", str(home.root))


@pytest.fixture(scope="module")
def strict(home: Home, failed) -> Ran:
    """A `--strict` run whose batch adds one more record that breaks the contract."""
    batch = _write(home.root.parent / "batch-worse", {"incidents": [BAD_INCIDENT]})
    return run_cli("run", "--home", str(home.root), "--inbox", str(batch), "--strict")


def test_the_crash_point_kills_the_run(killed):
    assert killed.returncode == -signal.SIGKILL


def test_a_killed_run_does_not_block_the_next_one(recovered):
    assert recovered.code == 0, recovered.err


def test_the_next_run_marks_a_killed_run_abandoned_with_no_finish_time(home, recovered):
    runs = published_rows(home, "SELECT status, finished_at IS NULL FROM meta.runs "
                            "ORDER BY started_at LIMIT 2")  # fmt: skip
    assert runs == [("abandoned", True), ("success", False)]


def test_a_run_that_publishes_with_quarantined_records_exits_0_and_says_how_many(recovered):
    assert recovered.code == 0
    assert "1 record(s) quarantined" in recovered.out
    assert "Traceback" not in recovered.err


def test_strict_exits_2_naming_the_new_quarantined_records_and_how_to_list_them(strict):
    assert strict.code == 2
    assert "--strict: this run added 1 record(s) to the quarantine" in strict.err
    assert 'paved sql "select entity, reason, origin from core.quarantine' in strict.err
    assert "Traceback" not in strict.err


def test_a_failed_run_shows_as_failed_once_the_next_run_publishes(home, failed, strict):
    assert failed.code == 1 and "metrics exploded" in failed.err
    runs = published_rows(home, "SELECT status, finished_at IS NOT NULL FROM meta.runs "
                            "ORDER BY started_at")  # fmt: skip
    assert runs[2] == ("failed", True)


def test_strict_still_publishes(home, strict):
    assert published_rows(home, "SELECT status FROM meta.runs ORDER BY started_at") == [
        ("abandoned",),
        ("success",),
        ("failed",),
        ("success",),
    ]


def test_the_data_quality_page_says_a_run_was_abandoned(home, recovered, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PAVED_HOME", str(home.root))
    at = AppTest.from_file(str(REPO / "dashboards" / "app.py"), default_timeout=60)
    at.switch_page("app_pages/data_quality.py")
    at.run()
    assert not at.exception
    assert any("never finished" in w.value for w in at.warning)
    assert any("`abandoned`" in c.value for c in at.caption)


@contextlib.contextmanager
def _holding(code: str, *args: str) -> Iterator[int]:
    """Run `code` in another process until the block ends; it prints 'held' once it holds."""
    process = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                               text=True, cwd=REPO)  # fmt: skip
    try:
        assert process.stdout.readline().strip() == "held"
        yield process.pid
    finally:
        process.kill()
        process.wait()
        process.stdout.close()


HOLD_RUN_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, f"{os.getpid()}\\n".encode())
print("held", flush=True)
time.sleep(300)
"""

HOLD_WAREHOUSE = """
import sys, time
import duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(300)
"""


def _busy(home: Home, pid: int) -> str:
    return (f"paved: another paved run (pid {pid}) is using this home ({home.root}); "
            "wait for it to finish\n")  # fmt: skip


def test_a_second_run_is_refused_in_one_sentence_and_leaves_last_run_as_it_was(home, strict):
    last_run = (home.root / "state" / "last_run.json").read_bytes()
    published = home.published.stat().st_mtime_ns
    with _holding(HOLD_RUN_LOCK, str(home.root / "state" / "run.lock")) as pid:
        ran = run_cli("run", "--home", str(home.root))
    assert (ran.code, ran.out, ran.err) == (1, "", _busy(home, pid))
    assert (home.root / "state" / "last_run.json").read_bytes() == last_run
    assert home.published.stat().st_mtime_ns == published


def test_a_demo_on_a_busy_home_is_refused_before_it_removes_anything(home, strict):
    with _holding(HOLD_RUN_LOCK, str(home.root / "state" / "run.lock")) as pid:
        ran = run_cli("demo", "--home", str(home.root), "--no-serve")
    assert (ran.code, ran.err) == (1, _busy(home, pid))
    assert home.warehouse.is_file()


def test_a_warehouse_another_process_holds_is_refused_the_same_way(home, strict):
    """E.g. a run that `paved dev` started: it holds the warehouse, not our lock file."""
    last_run = (home.root / "state" / "last_run.json").read_bytes()
    with _holding(HOLD_WAREHOUSE, str(home.warehouse)) as pid:
        ran = run_cli("run", "--home", str(home.root))
    assert (ran.code, ran.err) == (1, _busy(home, pid))
    assert (home.root / "state" / "last_run.json").read_bytes() == last_run
