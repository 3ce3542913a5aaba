"""Every frame is a valid set of canonical records (contract §1)."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.contract import CONTRACT_V1, ENTITY_BY_NAME

NAMES = [e.name for e in CONTRACT_V1]


def test_generates_all_ten_entities(frames: dict[str, pd.DataFrame]) -> None:
    assert sorted(frames) == sorted(NAMES)
    assert all(len(frame) > 0 for frame in frames.values())


@pytest.mark.parametrize("entity", NAMES)
def test_frame_has_exactly_the_contract_fields(
    frames: dict[str, pd.DataFrame], entity: str
) -> None:
    assert list(frames[entity].columns) == [f.name for f in ENTITY_BY_NAME[entity].fields]


@pytest.mark.parametrize("entity", NAMES)
def test_required_fields_are_never_null(frames: dict[str, pd.DataFrame], entity: str) -> None:
    required = [f.name for f in ENTITY_BY_NAME[entity].fields if f.required]
    assert frames[entity][required].notna().all().all()


@pytest.mark.parametrize("entity", NAMES)
def test_keys_are_unique(frames: dict[str, pd.DataFrame], entity: str) -> None:
    key = list(ENTITY_BY_NAME[entity].key)
    assert not frames[entity].duplicated(key).any()


@pytest.mark.parametrize("entity", NAMES)
def test_enumerated_fields_hold_allowed_values(
    frames: dict[str, pd.DataFrame], entity: str
) -> None:
    for field in ENTITY_BY_NAME[entity].fields:
        if field.allowed:
            values = set(frames[entity][field.name].dropna())
            assert values <= set(field.allowed), field.name


@pytest.mark.parametrize("entity", NAMES)
def test_timestamps_are_tz_aware_utc(frames: dict[str, pd.DataFrame], entity: str) -> None:
    for field in ENTITY_BY_NAME[entity].fields:
        if field.type == "timestamp":
            assert str(frames[entity][field.name].dt.tz) == "UTC", field.name


def test_list_fields_are_python_lists(frames: dict[str, pd.DataFrame]) -> None:
    assert all(isinstance(a, list) for a in frames["engineers"]["aliases"])
    merged = frames["pull_requests"]["commit_shas"].dropna()
    assert all(isinstance(s, list) and s for s in merged)
