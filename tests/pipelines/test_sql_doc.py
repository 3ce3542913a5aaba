"""docs/sql.md is generated from the warehouse's own COMMENT ON text and must not be stale."""

from __future__ import annotations

from pathlib import Path

from pipelines.sql_doc import generate

DOC = Path(__file__).resolve().parents[2] / "docs" / "sql.md"


def test_the_sql_doc_matches_the_warehouse_comments():
    assert DOC.read_text(encoding="utf-8") == generate(), (
        "docs/sql.md is stale: run `uv run python -m pipelines.sql_doc > docs/sql.md`"
    )
