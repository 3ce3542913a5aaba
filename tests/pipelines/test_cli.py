"""`paved`'s commands: exit codes 0/1/2 and one clear sentence on error."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pipelines.cli import main
from tests.conftest import REPO
from tests.pipelines.batches import small_org


@pytest.fixture(scope="module")
def loaded_home(tmp_path_factory):
    """A home that `paved run --inbox` has loaded once (shared: a run costs seconds)."""
    root = tmp_path_factory.mktemp("cli")
    batch = root / "batch"
    batch.mkdir()
    for entity, records in small_org().items():
        (batch / f"{entity}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    home = root / "home"
    assert main(["run", "--home", str(home), "--inbox", str(batch)]) == 0
    return home


def test_run_prints_the_headline_figures(loaded_home, capsys, tmp_path):
    batch = tmp_path / "again"
    batch.mkdir()
    assert main(["run", "--home", str(loaded_home), "--inbox", str(batch)]) == 0
    out = capsys.readouterr().out
    assert "published" in out and "Deployment frequency" in out


def test_sql_returns_metric_values_as_csv(loaded_home, capsys):
    code = main(["sql", "--home", str(loaded_home), "--format", "csv",
                 "select metric, value from metrics.metric_values "
                 "where metric = 'deployment_frequency' and scope = 'org' and grain = 'week' "
                 "and period_start = date '2024-03-04'"])
    assert code == 0
    assert capsys.readouterr().out == "metric,value\ndeployment_frequency,2.0\n"


def test_sql_reads_the_query_from_stdin(loaded_home, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("select 42 as answer"))
    assert main(["sql", "--home", str(loaded_home), "--format", "json", "-"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"answer": 42}]


def test_sql_writes_parquet_to_a_file(loaded_home, tmp_path):
    import duckdb

    out = tmp_path / "o.parquet"
    assert main(["sql", "--home", str(loaded_home), "--format", "parquet", "--output", str(out),
                 "select count(*) as n from core.deployments"]) == 0
    assert duckdb.sql(f"select n from '{out}'").fetchall() == [(4,)]


def test_a_refused_statement_exits_2_with_the_reason(loaded_home, capsys):
    assert main(["sql", "--home", str(loaded_home), "drop table core.deployments"]) == 2
    assert "DROP statements are not allowed" in capsys.readouterr().err


def test_sql_before_any_run_says_how_to_get_data(tmp_path, capsys):
    assert main(["sql", "--home", str(tmp_path), "select 1"]) == 2
    assert "run `paved demo`" in capsys.readouterr().err


def test_a_missing_inbox_exits_2_naming_it(tmp_path, capsys):
    assert main(["run", "--home", str(tmp_path), "--inbox", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "nope is not a folder" in err and "Traceback" not in err


def test_a_broken_config_exits_2_naming_the_file(tmp_path, capsys):
    config = tmp_path / "paved.toml"
    config.write_text("[rules]\nband_year = 2019\n")
    assert main(["run", "--home", str(tmp_path), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "band_year must be 2023 or 2024" in err


def test_a_failed_run_exits_1_and_says_the_published_copy_is_unchanged(
    loaded_home, capsys, monkeypatch
):
    def broken(_con):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("pipelines.defs.transform.build_metrics", broken)
    assert main(["run", "--home", str(loaded_home)]) == 1
    err = capsys.readouterr().err
    assert "published warehouse is unchanged" in err and "disk on fire" in err


def test_the_console_script_is_installed_and_answers_help():
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "paved"), "--help"],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )
    assert result.returncode == 0
    assert all(c in result.stdout for c in ("demo", "run", "sql", "dashboard", "dev"))


def test_report_renders_the_week_asked_for(loaded_home, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", "--home", str(loaded_home), "--week", "2024-W10",
                 "--out", str(out)]) == 0
    assert (out / "report.html").is_file() and (out / "report.md").is_file()
    assert "2024-W10" in capsys.readouterr().out


def test_report_with_a_malformed_week_exits_2(loaded_home, capsys):
    assert main(["report", "--home", str(loaded_home), "--week", "2024-10"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_demo_refuses_a_home_that_holds_other_data(loaded_home, capsys):
    assert main(["demo", "--home", str(loaded_home), "--no-serve"]) == 2
    assert "not the demo's" in capsys.readouterr().err


def test_demo_runs_end_to_end_without_serving(tmp_path, capsys):
    home = tmp_path / "demo"
    assert main(["demo", "--home", str(home), "--no-serve", "--engineers", "30",
                 "--weeks", "8"]) == 0
    out = capsys.readouterr().out
    assert "Deployment frequency" in out and "weekly report" in out
    assert (home / "published" / "paved.duckdb").is_file()


def test_sql_csv_output_never_hands_a_spreadsheet_a_formula() -> None:
    from pipelines.cli import _format

    text = _format(["=name", "n"], [("=HYPERLINK(\"http://x\")", -2), ("@SUM(A1)", 3)], "csv")
    assert text.splitlines() == ["'=name,n", '"\'=HYPERLINK(""http://x"")",-2', "'@SUM(A1),3"]
