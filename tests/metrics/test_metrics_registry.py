"""The metric registry, the catalog table and the generated docs/metrics.md."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml
from core_fixture import CoreFixture

from metrics import registry
from metrics.compute import build_metrics
from metrics.docs import render_metrics_doc
from metrics.registry import RegistryError, load_registry

DORA = [
    "deployment_frequency", "deployment_days", "change_lead_time", "change_lead_time_p90",
    "change_fail_rate", "deployment_rework_rate", "failed_deployment_recovery_time",
    "failed_deployment_recovery_time_p90", "time_to_restore_service",
]  # fmt: skip
DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def test_registry_defines_every_dora_metric_of_the_contract() -> None:
    assert set(DORA) <= set(load_registry())


@pytest.mark.parametrize("name", DORA)
def test_dora_metrics_cover_every_grain_and_scope(name: str) -> None:
    m = load_registry()[name]
    assert (m.grains, m.scopes) == (("week", "month"), ("service", "team", "org"))


def test_committed_metrics_doc_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render_metrics_doc(), (
        "docs/metrics.md is stale: run `uv run python -m metrics.docs > docs/metrics.md`"
    )


def test_catalog_has_one_row_per_metric_with_the_documented_columns(wh: CoreFixture) -> None:
    wh.build_marts()
    build_metrics(wh.con, as_of=datetime(2024, 1, 1))
    rows = wh.rows("FROM metrics.catalog")
    assert [r["metric"] for r in rows] == list(load_registry())
    assert list(rows[0]) == [
        "metric", "label", "unit", "description", "direction", "kind", "grains", "scopes",
        "definition", "bands",
    ]  # fmt: skip
    cfr = next(r for r in rows if r["metric"] == "change_fail_rate")
    assert (cfr["unit"], cfr["direction"]) == ("ratio", "lower_is_better")
    assert cfr["bands"].startswith("2024: ")


def write_definition(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **change: object) -> None:
    """Point the registry at a folder holding one (possibly broken) definition."""
    good = {
        "name": "demo_count", "label": "Demo", "unit": "count", "description": "d",
        "direction": "higher_is_better", "kind": "count", "grains": ["week"],
        "scopes": ["org"], "sql": "deployment_frequency.sql", "definition": "d",
    }  # fmt: skip
    good.update(change)
    (tmp_path / "demo.yml").write_text(yaml.safe_dump({"metrics": [good]}), encoding="utf-8")
    (tmp_path / "bands.csv").write_text(
        "metric,report_year,band,lower,upper,reported,source\n", encoding="utf-8"
    )
    monkeypatch.setattr(registry, "METRICS_DIR", tmp_path)
    monkeypatch.setattr(registry, "BANDS_FILE", tmp_path / "bands.csv")
    load_registry.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_registry() -> None:
    load_registry.cache_clear()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unit": "furlongs"}, "unit"),
        ({"direction": "up"}, "direction"),
        ({"kind": "mean"}, "kind"),
        ({"grains": ["day"]}, "grains"),
        ({"scopes": []}, "scopes"),
        ({"name": "Bad-Name"}, "invalid metric name"),
        ({"sql": "../secrets.sql"}, "sql must be"),
        ({"sql": "missing.sql"}, "does not exist"),
        ({"kind": "quantile"}, "quantile"),
        ({"banded": True}, "banded"),
        ({"colour": "red"}, "unknown keys"),
    ],
)
def test_invalid_definition_is_rejected_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: dict, message: str
) -> None:
    write_definition(tmp_path, monkeypatch, **change)
    with pytest.raises(RegistryError, match=message):
        load_registry()
    load_registry.cache_clear()


def test_valid_definition_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_definition(tmp_path, monkeypatch)
    assert list(load_registry()) == ["demo_count"]
    load_registry.cache_clear()
