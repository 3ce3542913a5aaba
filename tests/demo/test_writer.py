"""Batches written in each canonical format read back to the same records."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.demo import FORMATS, read_batch, write_batch


@pytest.mark.parametrize("fmt", FORMATS)
def test_written_batch_reads_back_to_the_same_rows(
    frames: dict[str, pd.DataFrame], tmp_path: Path, fmt: str
) -> None:
    counts = write_batch(frames, tmp_path, fmt)
    assert counts == {name: len(frame) for name, frame in frames.items()}
    back = read_batch(tmp_path)
    assert sorted(back) == sorted(frames)
    for entity, frame in frames.items():
        pd.testing.assert_frame_equal(back[entity], frame, obj=entity)


def test_csv_follows_the_contract_conventions(
    frames: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    write_batch(frames, tmp_path, "csv")
    deployments = pd.read_csv(tmp_path / "deployments.csv", dtype=str, keep_default_na=False)
    assert set(deployments["via_platform"]) <= {"true", "false"}
    assert deployments["finished_at"].str.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$").all()
    engineers = pd.read_csv(tmp_path / "engineers.csv", dtype=str, keep_default_na=False)
    assert engineers["aliases"].str.contains(" ").all()


def test_unknown_format_is_refused(frames: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format"):
        write_batch(frames, tmp_path, "xlsx")
