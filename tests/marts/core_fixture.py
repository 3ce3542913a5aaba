"""A tiny warehouse for golden tests: typed empty `core.*` tables built from the contract, plus
`meta.rules`, filled with hand-written rows.

The real core layer is built by the pipeline; tests of the marts and metrics must not depend on
it, so this helper recreates the same shapes from `pipelines/contract.py` (the one source of
truth) and resolves authors to engineers the way core does (engineer_id or alias, any case).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from pipelines.config import Rules
from pipelines.contract import DUCKDB_TYPES, ENTITIES, ENTITY_BY_NAME

RULE_TYPES: dict[str, str] = {
    "production_env_regex": "VARCHAR",
    "incident_severities": "VARCHAR[]",
    "attribution_window_hours": "DOUBLE",
    "rollback_is_failure": "BOOLEAN",
    "band_window_weeks": "INTEGER",
    "band_year": "INTEGER",
    "min_group_size": "INTEGER",
}

# Columns core adds beyond the contract fields (the resolved author).
EXTRA_COLUMNS: dict[str, dict[str, str]] = {
    "commits": {"author_engineer_id": "VARCHAR"},
    "pull_requests": {"author_engineer_id": "VARCHAR"},
}


class CoreFixture:
    """A DuckDB file with empty typed core tables; `add` rows, then `resolve_authors`."""

    def __init__(self, path: Path, rules: Rules | None = None) -> None:
        self.con = duckdb.connect(str(path))
        self.con.execute("CREATE SCHEMA core")
        self.con.execute("CREATE SCHEMA meta")
        for entity in ENTITIES:
            columns = [f"{f.name} {DUCKDB_TYPES[f.type]}" for f in entity.fields]
            columns += [f"{n} {t}" for n, t in EXTRA_COLUMNS.get(entity.name, {}).items()]
            self.con.execute(f"CREATE TABLE core.{entity.name} ({', '.join(columns)})")
        self.con.execute("CREATE TABLE core.engineer_aliases (alias VARCHAR, engineer_id VARCHAR)")
        self.set_rules(rules or Rules())

    def set_rules(self, rules: Rules) -> None:
        """Replace meta.rules with one row holding `rules`."""
        record = rules.as_record()
        columns = ", ".join(f"{n} {t}" for n, t in RULE_TYPES.items())
        self.con.execute(f"CREATE OR REPLACE TABLE meta.rules ({columns})")
        placeholders = ", ".join("?" for _ in RULE_TYPES)
        self.con.execute(
            f"INSERT INTO meta.rules VALUES ({placeholders})", [record[n] for n in RULE_TYPES]
        )

    def add(self, entity: str, rows: Iterable[dict[str, Any]]) -> CoreFixture:
        """Insert rows (dicts of contract fields); omitted fields take the contract default."""
        fields = ENTITY_BY_NAME[entity].fields
        names = [f.name for f in fields]
        values = []
        for row in rows:
            unknown = set(row) - set(names)
            if unknown:
                raise KeyError(f"{entity}: unknown fields {sorted(unknown)}")
            values.append([row.get(f.name, f.default) for f in fields])
        if values:
            placeholders = ", ".join("?" for _ in names)
            self.con.executemany(
                f"INSERT INTO core.{entity} ({', '.join(names)}) VALUES ({placeholders})", values
            )
        return self

    def resolve_authors(self) -> CoreFixture:
        """Fill engineer_aliases and author_engineer_id as core does."""
        self.con.execute("DELETE FROM core.engineer_aliases")
        self.con.execute(
            """
            INSERT INTO core.engineer_aliases
            SELECT DISTINCT lower(alias), engineer_id FROM (
                SELECT engineer_id, engineer_id AS alias FROM core.engineers
                UNION ALL
                SELECT engineer_id, unnest(aliases) FROM core.engineers
            )
            """
        )
        for table in ("commits", "pull_requests"):
            self.con.execute(
                f"""
                UPDATE core.{table} AS t SET author_engineer_id = (
                    SELECT a.engineer_id FROM core.engineer_aliases AS a
                    WHERE a.alias = lower(t.author_id)
                )
                """
            )
        return self

    def build_marts(self) -> dict[str, int]:
        from pipelines.marts import build_marts

        self.resolve_authors()
        return build_marts(self.con)

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Run a query and return its rows as dicts (for readable assertions)."""
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def rules(**changes: Any) -> Rules:
    """The default rules with some fields changed."""
    return dataclasses.replace(Rules(), **changes)
