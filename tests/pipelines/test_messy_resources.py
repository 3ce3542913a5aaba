"""Absurd input costs no more than ordinary input: extreme dates, huge fields and deep nesting
are quarantined without growing the calendar, spilling to disk or taking minutes.

Each run is a real `paved run` in a child process, measured by the test's own process with
`os.wait4` (peak resident memory of that child, wall time), against a clean run of the same batch
without the bad files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.demo import DemoSpec, generate, write_batch

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Measured:
    code: int
    seconds: float
    peak_mb: float
    output: str


def measured_run(home: Path, batch: Path) -> Measured:
    env = {k: v for k, v in os.environ.items() if k not in ("PAVED_HOME", "PAVED_CONFIG")}
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", "--home", str(home), "--inbox", str(batch)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return Measured(child.returncode, time.perf_counter() - started, usage.ru_maxrss / 1024, output)


def deploy(key: str, **fields: object) -> dict:
    return {
        "deployment_id": key, "service_id": "svc-x", "environment": "production", "sha": "abc",
        "finished_at": "2024-03-04T10:00:00Z", "status": "success", **fields,
    }  # fmt: skip


EXTREME_DATES = ["9999-12-31T23:59:59Z", "294247-01-01T00:00:00Z", "infinity", "-infinity",
                 "1900-01-01T00:00:00Z", "0001-01-01T00:00:00Z"]  # fmt: skip


def write_lines(path: Path, lines: list[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(lines) + b"\n")


def extreme_dates(batch: Path) -> int:
    lines = [
        json.dumps(deploy(f"x-{i}-{n}", finished_at=when)).encode()
        for n, when in enumerate(EXTREME_DATES)
        for i in range(50)
    ]
    lines += [
        json.dumps({"incident_id": f"xi-{n}", "service_id": "svc-x",
                    "opened_at": "2024-03-04T10:00:00Z", "resolved_at": when}).encode()
        for n, when in enumerate(EXTREME_DATES)
    ]  # fmt: skip
    write_lines(batch / "deployments" / "extreme.jsonl", lines[: 50 * len(EXTREME_DATES)])
    write_lines(batch / "incidents" / "extreme.jsonl", lines[50 * len(EXTREME_DATES) :])
    engineers = [
        json.dumps({"engineer_id": f"xe-{n}", "team_id": "t", "start_date": day}).encode()
        for n, day in enumerate(["9999-12-31", "0001-01-01", "infinity", "1900-01-01"])
    ]
    write_lines(batch / "engineers" / "extreme.jsonl", engineers)
    return len(lines) + len(engineers)


def huge_and_deep(batch: Path) -> int:
    lines = [json.dumps(deploy(f"h-{i}", environment="p" * (1 << 20))).encode() for i in range(8)]
    lines.append(b'{"deployment_id": "h-long", "x": "' + b"y" * (6 << 20) + b'"}')
    lines += [b"[" * (100_000 - i) + b"]" * (100_000 - i) for i in range(5)]
    deep_sha = b'{"a":' * 20_000 + b"1" + b"}" * 20_000  # an id 20,000 objects deep
    lines += [b'{"deployment_id": "d-%d", "sha": %s}' % (i, deep_sha) for i in range(5)]
    write_lines(batch / "deployments" / "huge.jsonl", lines)
    return len(lines)


@pytest.fixture(scope="module")
def clean_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("resources") / "clean"
    write_batch(generate(DemoSpec(engineers=40, weeks=26, seed=3)), folder)
    return folder


@pytest.fixture(scope="module")
def clean_run(clean_batch: Path, tmp_path_factory: pytest.TempPathFactory) -> Measured:
    run = measured_run(tmp_path_factory.mktemp("clean_home"), clean_batch)
    assert run.code == 0, run.output
    return run


@pytest.mark.parametrize("damage", [extreme_dates, huge_and_deep], ids=lambda f: f.__name__)
def test_absurd_records_cost_no_more_than_ordinary_ones(
    damage, clean_batch, clean_run, tmp_path: Path
):
    batch = tmp_path / "batch"
    shutil.copytree(clean_batch, batch)
    bad = damage(batch)
    home = tmp_path / "home"
    run = measured_run(home, batch)
    assert run.code == 0, run.output
    assert "Traceback" not in run.output
    assert run.peak_mb < 1.5 * clean_run.peak_mb, (run.peak_mb, clean_run.peak_mb)
    assert run.seconds < 2 * clean_run.seconds, (run.seconds, clean_run.seconds)
    con = duckdb.connect(str(home / "published" / "paved.duckdb"), read_only=True)
    try:
        quarantined = con.execute(
            "SELECT count(*) FROM core.quarantine WHERE status = 'open' "
            "AND (origin LIKE '%extreme.jsonl%' OR origin LIKE '%huge.jsonl%')"
        ).fetchone()[0]
        weeks = con.execute(
            "SELECT count(*) FROM metrics.calendar WHERE grain = 'week'"
        ).fetchone()[0]
    finally:
        con.close()
    assert quarantined == bad
    assert weeks <= 27 + 4  # the demo's 26 weeks, not centuries
