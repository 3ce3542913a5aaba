"""The benchmark works end to end at scale S (200 engineers x 52 weeks), untimed.

Why a smoke test and not a timing test: CI machines differ and are shared, so figures are
reported (docs/performance.md), never asserted. What must hold everywhere is that every
measurement runs and that the pandas baseline computes the same DORA values as paved: a baseline
that disagrees would make the speed comparison meaningless. The benchmark runs once per module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.pandas_dora import DORA
from benchmarks.run import bench_scale, build_parser, print_table
from benchmarks.scales import SCALES, ensure_batch


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One benchmark run at scale S, with its cache and homes in a temporary folder."""
    root = tmp_path_factory.mktemp("bench")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PAVED_BENCH_CACHE", str(root / "cache"))
        args = build_parser().parse_args(
            ["--scales", "S", "--repeats", "2", "--work", str(root / "runs"), "--no-static-report"]
        )
        yield bench_scale(SCALES["S"], args)


def test_the_full_pipeline_run_is_measured(small: dict[str, Any]) -> None:
    pipeline = small["pipeline"]
    assert "error" not in pipeline, pipeline.get("error")
    assert pipeline["wall_s"] > 0 and pipeline["cpu_s"] > 0 and pipeline["peak_rss_mb"] > 0
    assert small["stages"]["core"] > 0 and small["stages"]["marts"] > 0
    assert len(small["slowest_steps"]) == 5


def test_the_incremental_run_after_one_more_day_is_measured(small: dict[str, Any]) -> None:
    assert "error" not in small["incremental"], small["incremental"].get("error")
    assert small["next_day_records"]["deployments"] > 0


def test_the_read_limit_and_the_sql_without_dagster_are_measured(small: dict[str, Any]) -> None:
    assert small["read_limit"]["seconds"] > 0
    assert "error" not in small["direct"], small["direct"].get("error")
    assert small["direct"]["tables_differ"] == []


@pytest.mark.parametrize("metric", DORA)
def test_the_pandas_baseline_agrees_with_paved(small: dict[str, Any], metric: str) -> None:
    agreement = small["pandas"]["agreement"][metric]
    assert agreement["weeks"] > 0
    assert agreement["ok"], agreement["examples"]


def test_readers_are_measured_on_the_published_copy(small: dict[str, Any]) -> None:
    readers = small["readers"]
    assert "error" not in readers, readers
    assert len(readers["sql"]) == 3 and all("p95_ms" in s for s in readers["sql"].values())
    assert readers["report"]["html_md"]["seconds"] > 0
    pages = readers["dashboard"]
    assert "Overview" in pages
    for title, page in pages.items():
        assert page["errors"] == [], (title, page["errors"])
        assert page["queries"] > 0, title


def test_the_table_prints_every_measure(small: dict[str, Any], capsys) -> None:
    text = print_table([small])
    assert "pipeline / read limit" in text and "agrees with paved" in text
    assert "5/5 metrics" in text
    assert capsys.readouterr().out.strip() == text


def test_a_generated_batch_is_reused_from_the_cache(small: dict[str, Any]) -> None:
    again = ensure_batch(SCALES["S"])
    assert again.cached
    assert again.folder == Path(small["batch"]["folder"])
    assert again.records == small["batch"]["records"]
