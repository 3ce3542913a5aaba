"""Write a canonical batch folder (and read one back) in Parquet, JSON Lines or CSV.

Formats follow contract §1: RFC 3339 timestamps in UTC (`Z`), CSV lists space-separated and CSV
booleans `true`/`false`. Parquet gets an explicit schema from the contract so that empty or
all-null columns keep their type. Output is deterministic: same frames, same bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipelines.contract import ENTITY_BY_NAME, Field

FORMATS = ("parquet", "jsonl", "csv")
RFC3339 = "%Y-%m-%dT%H:%M:%SZ"

_ARROW = {
    "string": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "list": pa.list_(pa.string()),
}


def schema(entity: str) -> pa.Schema:
    """The Arrow schema of an entity, from the contract."""
    return pa.schema([(f.name, _ARROW[f.type]) for f in ENTITY_BY_NAME[entity].fields])


def write_batch(
    frames: dict[str, pd.DataFrame], out_dir: Path, fmt: str = "parquet"
) -> dict[str, int]:
    """Write one `<entity>.<fmt>` file per frame into `out_dir`; returns row counts per entity."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for entity, frame in frames.items():
        table = pa.Table.from_pandas(frame, schema=schema(entity), preserve_index=False)
        path = out_dir / f"{entity}.{fmt}"
        if fmt == "parquet":
            pq.write_table(table, path, compression="zstd")
        elif fmt == "csv":
            options = pacsv.WriteOptions(quoting_style="needed")
            pacsv.write_csv(_as_text(table, csv=True), path, write_options=options)
        else:
            _write_jsonl(_as_text(table, csv=False), path)
        counts[entity] = table.num_rows
    return counts


def _as_text(table: pa.Table, csv: bool) -> pa.Table:
    """Timestamps as RFC 3339 text, dates as ISO text, and for CSV lists space-joined."""
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_timestamp(column.type):
            seconds = pc.cast(column, pa.timestamp("s", tz="UTC"), safe=False)
            column = pc.strftime(seconds, format=RFC3339)
        elif pa.types.is_date(column.type):
            column = pc.cast(column, pa.string())
        elif csv and pa.types.is_list(column.type):
            column = pc.binary_join(column, " ")
        columns.append((name, column))
    return pa.table(dict(columns))


def _write_jsonl(table: pa.Table, path: Path) -> None:
    """One JSON object per line; nulls written as null. pandas escapes '/', undone here."""
    frame = table.to_pandas(types_mapper=None)
    for name in frame.columns:
        if table.schema.field(name).type == pa.list_(pa.string()):
            frame[name] = pd.Series(table.column(name).to_pylist(), dtype=object)
    text = frame.to_json(orient="records", lines=True, force_ascii=False, date_format="iso")
    path.write_text(text.replace("\\/", "/"), encoding="utf-8")


def read_batch(folder: Path) -> dict[str, pd.DataFrame]:
    """Read a batch written by `write_batch` back into frames typed like `generate()`'s."""
    frames: dict[str, pd.DataFrame] = {}
    for path in sorted(Path(folder).iterdir()):
        entity, _, fmt = path.name.partition(".")
        if entity not in ENTITY_BY_NAME or fmt not in FORMATS:
            continue
        fields = ENTITY_BY_NAME[entity].fields
        if fmt == "parquet":
            raw = pq.read_table(path).to_pandas()
        elif fmt == "csv":
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            raw = pd.read_json(path, lines=True, dtype=False)
            if raw.empty:
                raw = pd.DataFrame({f.name: [] for f in fields})
        frames[entity] = pd.DataFrame({f.name: _typed(raw[f.name], f, fmt) for f in fields})
    return frames


def _typed(values: pd.Series, field: Field, fmt: str) -> pd.Series:
    """Parse one column back into the in-memory type the generator uses."""
    if fmt == "csv":
        values = values.astype(object).where(values != "", None)
        if field.type == "list":
            return values.map(lambda s: s.split(" ") if isinstance(s, str) else None).astype(object)
        if field.type == "boolean":
            return values.map({"true": True, "false": False}).astype(bool)
    if field.type == "timestamp":
        return pd.to_datetime(values, utc=True, format="ISO8601").astype("datetime64[us, UTC]")
    if field.type == "date":
        return pd.to_datetime(values).dt.date.astype(object).where(values.notna(), None)
    if field.type == "integer":
        return values.astype("int64")
    if field.type == "number":
        return values.astype("float64")
    if field.type == "boolean":
        return values.astype(bool)
    if field.type == "list":
        return values.map(lambda v: list(v) if isinstance(v, list | np.ndarray) else None).astype(
            object
        )
    return pd.Series(values.astype(object).where(values.notna(), None), dtype="str")
