"""Homes: the demo's own home, readers that find it, a fresh home, and `paved reset`.

`data/` of the checkout is stood in for by a temporary folder (pipelines.paths.DEFAULT_HOME), so
`paved demo` with no --home runs exactly as a user's would. Two real runs serve the module: the
demo (20 engineers, 4 weeks) and a run on a fresh home with nothing to load; `--into-demo` adds a
third. Reset tests work on copies of those homes.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines import paths
from pipelines.paths import Home
from tests.conftest import REPO
from tests.pipelines.batches import Ran, published_rows, run_cli, small_org


def _batch(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for entity, records in small_org().items():
        (folder / f"{entity}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@dataclass
class Checkout:
    root: Path
    data: Path  # stands in for data/ of the checkout
    mine: Path  # PAVED_HOME while the demo ran
    demo: Ran

    @property
    def demo_home(self) -> Home:
        return Home(self.data / "demo")


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """`paved demo --no-serve` with no --home, while PAVED_HOME names another folder."""
    root = tmp_path_factory.mktemp("checkout")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(paths, "DEFAULT_HOME", root / "data")
        patch.setenv("PAVED_HOME", str(root / "mine"))
        demo = run_cli("demo", "--no-serve", "--engineers", "20", "--weeks", "4")
        yield Checkout(root, root / "data", root / "mine", demo)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> tuple[Home, Ran]:
    """`paved run` on a new home holding only the user's paved.toml: nothing to load."""
    home = Home(tmp_path_factory.mktemp("fresh") / "home")
    home.root.mkdir()
    (home.root / "paved.toml").write_text("[rules]\nmin_group_size = 5\n")
    return home, run_cli("run", "--home", str(home.root))


# --- the demo's own home --------------------------------------------------------------------


def test_the_demo_runs_in_data_demo_not_in_paved_home_nor_data(checkout):
    assert checkout.demo.code == 0, checkout.demo.err
    assert checkout.demo_home.published.is_file()
    assert not checkout.mine.exists()
    assert not (checkout.data / "warehouse.duckdb").exists()


def test_the_demo_home_remembers_it_is_the_demos(checkout):
    marker = json.loads(checkout.demo_home.marker.read_text())
    assert marker["kind"] == "demo" and checkout.demo_home.kind() == "demo"


def test_the_demo_batch_is_written_to_demo_batch(checkout):
    assert any((checkout.demo_home.root / "demo-batch").glob("deployments*"))
    assert not checkout.demo_home.legacy_demo_inbox.exists()


def test_a_reader_without_a_home_reads_the_demos_and_says_so_in_one_line(checkout, monkeypatch):
    monkeypatch.delenv("PAVED_HOME")
    ran = run_cli("sql", "--format", "csv", "select count(*) > 0 as has from metrics.metric_values")
    assert (ran.code, ran.out) == (0, "has\nTrue\n")
    [line] = ran.err.splitlines()
    assert "reading the demo's home" in line and str(checkout.demo_home.root) in line


def test_a_reader_with_paved_home_set_never_falls_back_to_the_demo(checkout):
    ran = run_cli("sql", "select 1")
    assert ran.code == 2
    assert "demo's home" not in ran.err and "Traceback" not in ran.err


def test_loading_a_batch_into_the_demo_home_is_refused_with_exit_2(checkout):
    before = checkout.demo_home.warehouse.stat().st_mtime_ns
    batch = _batch(checkout.root / "my-batch")
    ran = run_cli("run", "--home", str(checkout.demo_home.root), "--inbox", str(batch))
    assert ran.code == 2
    [line] = ran.err.splitlines()
    assert "is the demo's home" in line and "--into-demo" in line and "paved reset" in line
    assert checkout.demo_home.warehouse.stat().st_mtime_ns == before


def test_a_demo_into_a_home_with_other_data_is_refused(fresh):
    home, _ = fresh
    ran = run_cli("demo", "--home", str(home.root), "--no-serve")
    assert ran.code == 2 and "not the demo's" in ran.err
    assert home.warehouse.is_file() and home.kind() == "data"


def test_a_home_in_the_old_demo_layout_counts_as_the_demos(tmp_path):
    home = Home(tmp_path / "old").ensure()
    duckdb.connect(str(home.published)).close()
    (home.root / "demo" / "inbox").mkdir(parents=True)
    assert home.kind() == "demo"
    ran = run_cli("run", "--home", str(home.root), "--inbox", str(_batch(tmp_path / "b")))
    assert ran.code == 2 and "--into-demo" in ran.err


def test_readers_skip_an_old_layout_demo_in_data_for_the_demos_home(tmp_path, monkeypatch):
    data = Home(tmp_path / "data").ensure()
    demo = Home(data.root / "demo").ensure()
    for home, label in ((data, "old demo"), (demo, "demo")):
        con = duckdb.connect(str(home.published))
        con.execute("CREATE TABLE which AS SELECT ? AS home", [label])
        con.close()
    (data.root / "demo" / "inbox").mkdir()  # the old layout: data/ was the demo's home
    monkeypatch.setattr(paths, "DEFAULT_HOME", data.root)
    monkeypatch.delenv("PAVED_HOME", raising=False)
    ran = run_cli("sql", "--format", "csv", "select home from which")
    assert (ran.code, ran.out) == (0, "home\ndemo\n")


def test_into_demo_loads_into_the_demo_home_on_purpose(checkout):
    batch = _batch(checkout.root / "mixed-batch")
    ran = run_cli("run", "--home", str(checkout.demo_home.root), "--inbox", str(batch),
                "--into-demo")  # fmt: skip
    assert ran.code == 0, ran.err
    assert published_rows(
        checkout.demo_home, "SELECT name FROM core.teams WHERE team_id = 'pay'"
    ) == [("Payments",)]
    assert checkout.demo_home.kind() == "demo"


# --- a fresh home ---------------------------------------------------------------------------


def test_a_run_with_nothing_to_load_publishes_an_empty_warehouse(fresh):
    home, ran = fresh
    assert ran.code == 0, ran.err
    assert published_rows(home, "SELECT count(*) FROM metrics.metric_values") == [(0,)]
    assert published_rows(home, "SELECT count(*) FROM core.deployments") == [(0,)]
    assert "Traceback" not in ran.err


def test_a_run_with_nothing_to_load_says_what_to_pass_next(fresh):
    home, ran = fresh
    assert "nothing to load: pass --inbox DIR" in ran.out
    assert str(home.root / "paved.toml") in ran.out


# --- paved reset ----------------------------------------------------------------------------


def _copy(home: Home, to: Path) -> Home:
    shutil.copytree(home.root, to)
    return Home(to)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_reset_without_a_terminal_or_yes_is_refused_with_exit_2(fresh, tmp_path, monkeypatch):
    home = _copy(fresh[0], tmp_path / "home")
    before = _tree(home.root)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    ran = run_cli("reset", "--home", str(home.root))
    assert ran.code == 2 and "--yes" in ran.err and "Traceback" not in ran.err
    assert _tree(home.root) == before


def test_reset_yes_empties_the_home_and_keeps_the_users_paved_toml(fresh, tmp_path):
    home = _copy(fresh[0], tmp_path / "home")
    ran = run_cli("reset", "--home", str(home.root), "--yes")
    assert ran.code == 0, ran.err
    assert os.listdir(home.root) == ["paved.toml"]


def test_reset_asks_on_a_terminal_and_no_keeps_everything(fresh, tmp_path, monkeypatch):
    home = _copy(fresh[0], tmp_path / "home")
    before = _tree(home.root)
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr("builtins.input", lambda _prompt: "n")
    assert run_cli("reset", "--home", str(home.root)).code == 1
    assert _tree(home.root) == before


def test_reset_asks_on_a_terminal_and_yes_empties(fresh, tmp_path, monkeypatch):
    home = _copy(fresh[0], tmp_path / "home")
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr("builtins.input", lambda _prompt: "y")
    assert run_cli("reset", "--home", str(home.root)).code == 0
    assert os.listdir(home.root) == ["paved.toml"]


def test_reset_of_the_demo_home_removes_the_demos_copy_of_paved_toml_too(checkout, tmp_path):
    home = _copy(checkout.demo_home, tmp_path / "demo")
    assert run_cli("reset", "--home", str(home.root), "--yes").code == 0
    assert os.listdir(home.root) == []


def test_reset_of_data_leaves_the_demos_home_inside_it(tmp_path):
    data = Home(tmp_path / "data").ensure()
    demo = Home(data.root / "demo").ensure()
    for home in (data, demo):
        duckdb.connect(str(home.published)).close()
    (data.root / "demo" / "inbox").mkdir()  # the old layout's batch: data/ was the demo's home
    assert run_cli("reset", "--home", str(data.root), "--yes").code == 0
    assert _tree(data.root) == {"demo", "demo/published", "demo/published/paved.duckdb"}


def test_reset_is_refused_while_a_run_holds_the_home(fresh, tmp_path):
    home = _copy(fresh[0], tmp_path / "home")
    before = _tree(home.root)
    hold = ("import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(300)\n")  # fmt: skip
    lock = str(home.root / "state" / "run.lock")
    process = subprocess.Popen([sys.executable, "-c", hold, lock], stdout=subprocess.PIPE,
                               text=True, cwd=REPO)  # fmt: skip
    try:
        assert process.stdout.readline().strip() == "held"
        ran = run_cli("reset", "--home", str(home.root), "--yes")
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
    assert ran.code == 1 and "is using this home" in ran.err
    assert _tree(home.root) == before
