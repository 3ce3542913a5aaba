"""docs/contract.md is generated from pipelines/contract.py and must not be stale."""

from pathlib import Path

from pipelines.contract_doc import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "contract.md"


def test_the_contract_doc_matches_the_code():
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/contract.md is stale: "
        "run `uv run python -m pipelines.contract_doc > docs/contract.md`"
    )
