"""An HR system's CSV export → `engineers` (id, team, start and end date, e-mail as an alias).

HR exports never agree on column names or date formats, so both are settings. Only the listed
columns are read: names, salaries and anything else in the export never reach the warehouse.
The file's SHA-256 is kept as the stream's ETag, so an unchanged export costs one read and
writes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from pipelines.connectors.base import Connector
from pipelines.connectors.errors import ConnectorError, SourceConfigError

DEFAULT_COLUMNS = {
    "engineer_id": "engineer_id",
    "team_id": "team_id",
    "start_date": "start_date",
    "end_date": "end_date",
    "email": "email",
    "aliases": "aliases",
}


class HrCsvConnector(Connector):
    TYPE: ClassVar[str] = "hr_csv"
    NEEDS_TOKEN: ClassVar[bool] = False
    STREAMS: ClassVar[tuple[str, ...]] = ("engineers",)
    KEYS: ClassVar[frozenset[str]] = frozenset(
        {"path", "columns", "teams", "date_format", "delimiter", "encoding", "config_dir"}
    )

    def validate(self) -> None:
        super().validate()
        self.required("path")
        unknown = sorted(set(self.setting("columns") or {}) - set(DEFAULT_COLUMNS))
        if unknown:
            raise SourceConfigError(
                f"[sources.{self.ctx.name}].columns: unknown field(s) {', '.join(unknown)}; "
                f"known: {', '.join(DEFAULT_COLUMNS)}"
            )
        self.columns = {**DEFAULT_COLUMNS, **(self.setting("columns") or {})}
        self.teams: dict[str, str] = dict(self.setting("teams") or {})

    @property
    def path(self) -> Path:
        path = Path(str(self.setting("path"))).expanduser()
        if not path.is_absolute() and self.setting("config_dir"):
            path = Path(str(self.setting("config_dir"))) / path
        return path

    def units(self) -> Iterator[tuple[str, Callable[[], None]]]:
        yield "engineers", self.sync_engineers

    def parse_date(self, value: str | None, row: int, column: str) -> str | None:
        text = (value or "").strip()
        if not text:
            return None
        fmt = self.setting("date_format")
        try:
            parsed = (datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text))
        except ValueError:
            # Kept as received: core quarantines it with the reason, naming the row.
            self.warn(f"{self.path.name} row {row}: {column} {text!r} is not a date"
                      + (f" in format {fmt}" if fmt else " (set `date_format`)"))
            return text
        return parsed.date().isoformat()

    def sync_engineers(self) -> None:
        path = self.path
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise ConnectorError(
                f"cannot read HR export {path}: {exc.strerror}; check `path` in the source"
            ) from exc
        digest = "sha256:" + hashlib.sha256(content).hexdigest()
        if self.ctx.state.get("engineers").etag == digest:
            return
        text = content.decode(self.setting("encoding", "utf-8-sig"))
        reader = csv.DictReader(io.StringIO(text), delimiter=self.setting("delimiter", ","))
        header = {h.strip().lower(): h for h in reader.fieldnames or []}
        col = {k: header.get(str(v).strip().lower()) for k, v in self.columns.items()}
        missing = [k for k in ("engineer_id", "team_id", "start_date") if col[k] is None]
        if missing:
            raise ConnectorError(
                f"HR export {path}: no column for {', '.join(missing)} (looked for "
                f"{', '.join(repr(self.columns[m]) for m in missing)}); map them in `columns`"
            )
        records = []
        for n, row in enumerate(reader, start=2):
            def cell(field: str, r: dict[str, Any] = row) -> str | None:
                name = col.get(field)
                value = r.get(name) if name else None
                return value.strip() if isinstance(value, str) and value.strip() else None

            team = cell("team_id")
            aliases = [cell("email"), *(cell("aliases") or "").replace(";", " ").split()]
            records.append({
                "engineer_id": cell("engineer_id"),
                "team_id": self.teams.get(team, team) if team else None,
                "start_date": self.parse_date(cell("start_date"), n, "start_date"),
                "end_date": self.parse_date(cell("end_date"), n, "end_date"),
                "aliases": list(dict.fromkeys(a for a in aliases if a)),
            })
        self.ctx.sink.add("engineers", records, f"file {path}")
        self.ctx.sink.checkpoint(self.ctx.state, "engineers", None, digest)
