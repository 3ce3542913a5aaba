"""Messy input: `uv run python -m benchmarks.messy [--engineers 1090] [--repeats 3]`.

The issue "Real, messy data never breaks a run" asks that a batch of about 1 M records with 1% of
its records corrupted loads every valid record in at most 1.2x the time of the clean batch. This
module builds both batches and measures them:

- the clean batch is the demo organisation (`pipelines.demo`, seed 7, the benchmark's fixed end
  date) written as JSON Lines, so the loader's line-level paths run, except `engineers` and
  `platform_events`, written as CSV (one goes through DuckDB's rejects table, the other, which
  gets unbalanced quotes, through the loader's line-by-line CSV reader);
- the corrupted batch is a copy in which 1% of the records of every file (at least one per
  non-empty file; distinct records, so distinct keys) are damaged, deterministically from the
  seed, in as equal shares as the files allow (`KINDS`), plus two files that cannot be read at
  all: a 0-byte `deployments.parquet` and a truncated `ci_runs.parquet` (whose records have new
  keys, so a partial read would show in the counts);
- both go through the whole pipeline (`benchmarks.child`'s `pipeline` task, i.e. `paved run
  --home H --inbox B`, each run in a fresh home), alternating, `--repeats` times each; wall time,
  the raw/inbox and core steps, peak RSS, records in core and in the quarantine are reported;
- every corrupted run is checked: core holds every valid record (per entity: the clean batch's
  records minus the corrupted ones) and the quarantine holds exactly one open entry per
  corrupted record (matched by file and line) plus one per unreadable file.

Both batches are cached under `$PAVED_BENCH_CACHE` (see benchmarks.scales), keyed by the spec and
the generator's and this module's code. Results go to `benchmarks/results/messy.json`
(gitignored); docs/performance.md ("Messy input") has the figures.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import os
import random
import shutil
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.scales import END, SEED, cache_root, folder_bytes, generator_fingerprint

ENGINEERS = 1090  # x 52 weeks: 1,012,801 records
WEEKS = 52
RATE = 0.01
CSV_ENTITIES = ("engineers", "platform_events")
QUOTE_ENTITY = "platform_events"  # the CSV file that gets unbalanced quotes
DEPTH = 10_000  # levels of the deep-array lines
LONG_FIELD = 70_000  # characters of an over-long field (the limit is 65,536 bytes)
EMPTY_PARQUET = "deployments.parquet"  # 0 bytes
TRUNCATED_PARQUET = "ci_runs.parquet"  # the first 60% of a real Parquet file
BAD_FILES = (EMPTY_PARQUET, TRUNCATED_PARQUET)

KINDS = (
    "invalid_utf8",  # a 0xFF byte inside a line
    "truncated",  # JSON Lines: the line cut short; CSV: the row's last column missing
    "lone_surrogate",  # a string value ending in the escape \ud800 (JSON Lines)
    "deep_array",  # the record wrapped in 10,000 levels of JSON arrays
    "long_field",  # a field of 70,000 characters
    "object_id",  # the first key field an object {"id": ...} (JSON Lines)
    "fraction",  # an integer field 0.5 off (ci_runs.attempt, pull_requests.number)
    "nan",  # a number or integer field NaN (bare NaN in JSON Lines, NaN in CSV)
    "ts_infinity",  # a timestamp or date field 'infinity'
    "ts_year9999",  # a timestamp or date field in the year 9999
    "unbalanced_quote",  # a CSV field opened with a quote that is never closed
)


# --- the clean batch --------------------------------------------------------------------------


def write_clean(folder: Path, engineers: int, weeks: int, seed: int = SEED) -> dict[str, Any]:
    """The demo batch as JSON Lines (CSV for `CSV_ENTITIES`); its rows per entity and file."""
    from pipelines.contract import ENTITY_BY_NAME
    from pipelines.demo import DemoSpec, generate, write_batch

    frames = generate(DemoSpec(engineers=engineers, weeks=weeks, seed=seed, end=END))
    jsonl = {e: f for e, f in frames.items() if e not in CSV_ENTITIES}
    rows = write_batch(jsonl, folder, fmt="jsonl")
    rows |= write_batch({e: frames[e] for e in CSV_ENTITIES if e in frames}, folder, fmt="csv")
    duplicates = {}  # rows whose key another row shares: never corrupted (see corrupt)
    for e, f in frames.items():
        shared = f.duplicated(list(ENTITY_BY_NAME[e].key), keep=False).to_numpy()
        duplicates[e] = [int(i) for i in shared.nonzero()[0]]
    files = {e: f"{e}.{'csv' if e in CSV_ENTITIES else 'jsonl'}" for e in frames}
    return {"rows": rows, "files": files, "duplicate_rows": duplicates}


# --- the corrupter ----------------------------------------------------------------------------


def applicable(entity: str, fmt: str) -> list[str]:
    """The kinds of damage a file of this entity and format can carry, in `KINDS` order."""
    from pipelines.contract import ENTITY_BY_NAME

    types = {f.type for f in ENTITY_BY_NAME[entity].fields}
    out = ["invalid_utf8", "truncated", "long_field"]
    if fmt == "jsonl":
        out += ["lone_surrogate", "deep_array", "object_id"]
    if "integer" in types and fmt == "jsonl":
        out.append("fraction")
    if "number" in types or ("integer" in types and fmt == "jsonl"):
        out.append("nan")
    if types & {"timestamp", "date"}:
        out += ["ts_infinity", "ts_year9999"]
    if fmt == "csv" and entity == QUOTE_ENTITY:
        out.append("unbalanced_quote")
    return [k for k in KINDS if k in out]


def allocate(budgets: dict[str, int], kinds_of: dict[str, list[str]]) -> dict[str, Counter]:
    """How many records of each kind each file gets: every file's budget spent, every kind a
    file allows used at least once where the budget allows, and the kinds' totals as equal as
    the files' budgets and allowed kinds permit (greedy: the rarest kind goes to the file with
    the most budget left that allows it). Deterministic."""
    plan = {name: Counter() for name in budgets}
    left = dict(budgets)
    totals = Counter({k: 0 for k in KINDS})
    files_allowing = Counter(k for kinds in kinds_of.values() for k in kinds)
    for name in sorted(budgets, key=lambda n: (budgets[n], n)):
        kinds = sorted(kinds_of[name], key=lambda k: (totals[k], files_allowing[k], KINDS.index(k)))
        for kind in kinds[: left[name]]:
            plan[name][kind] += 1
            totals[kind] += 1
            left[name] -= 1
    while any(left.values()):
        usable = [k for k in KINDS if any(left[n] and k in kinds_of[n] for n in left)]
        kind = min(usable, key=lambda k: (totals[k], KINDS.index(k)))
        name = max((n for n in left if left[n] and kind in kinds_of[n]), key=lambda n: (left[n], n))
        plan[name][kind] += 1
        totals[kind] += 1
        left[name] -= 1
    return plan


@dataclass(frozen=True)
class Damage:
    """One corrupted record: where it is (1-based physical line) and what was done to it."""

    file: str
    line: int
    entity: str
    kind: str


def _pick_field(entity: str, record: dict[str, Any], types: tuple[str, ...]) -> str:
    """A field of one of `types`: a required one first, then one with a value, then any."""
    from pipelines.contract import ENTITY_BY_NAME

    spec = ENTITY_BY_NAME[entity]
    fields = [f for f in spec.fields if f.type in types]
    key = set(spec.key)
    ranked = sorted(
        fields,
        key=lambda f: (not f.required, record.get(f.name) in (None, ""), f.name in key),
    )
    return ranked[0].name


def _string_field(entity: str, record: dict[str, Any]) -> str:
    """A string field to damage, preferring one that is not part of the key and has a value."""
    from pipelines.contract import ENTITY_BY_NAME

    spec = ENTITY_BY_NAME[entity]
    fields = [f for f in spec.fields if f.type == "string"]
    ranked = sorted(fields, key=lambda f: (f.name in spec.key, record.get(f.name) in (None, "")))
    return ranked[0].name


def _numeric_field(entity: str, kind: str) -> str:
    from pipelines.contract import ENTITY_BY_NAME

    wanted = ("integer",) if kind == "fraction" else ("number", "integer")
    return next(f.name for f in ENTITY_BY_NAME[entity].fields if f.type in wanted)


def damage_jsonl(line: bytes, entity: str, kind: str) -> bytes:
    """One JSON Lines record (its line without the newline), damaged in the way `kind` says."""
    if kind == "invalid_utf8":  # inside the first string value
        at = line.index(b'":"') + 3
        return line[:at] + b"\xff" + line[at:]
    if kind == "truncated":
        text = line.decode("utf-8")
        return text[: len(text) - max(2, len(text) // 5)].encode("utf-8")
    if kind == "deep_array":
        return b"[" * DEPTH + line + b"]" * DEPTH
    record = json.loads(line)
    if kind == "lone_surrogate":
        name = _string_field(entity, record)
        record[name] = f"{record.get(name) or ''}@@SURROGATE@@"
        text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        return text.replace("@@SURROGATE@@", "\\ud800").encode("utf-8")
    if kind == "long_field":
        record[_string_field(entity, record)] = "x" * LONG_FIELD
    elif kind == "object_id":
        from pipelines.contract import ENTITY_BY_NAME

        name = ENTITY_BY_NAME[entity].key[0]
        record[name] = {"id": record[name]}
    elif kind == "fraction":
        name = _numeric_field(entity, kind)
        record[name] = int(record.get(name) or 1) + 0.5
    elif kind == "nan":
        record[_numeric_field(entity, kind)] = math.nan  # json.dumps writes a bare NaN
    elif kind in ("ts_infinity", "ts_year9999"):
        name = _pick_field(entity, record, ("timestamp", "date"))
        record[name] = "infinity" if kind == "ts_infinity" else "9999-12-31T23:59:59Z"
    else:
        raise ValueError(f"{kind} does not apply to JSON Lines")
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _csv_line(values: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(values)
    return out.getvalue().encode("utf-8")


def damage_csv(line: bytes, header: list[str], entity: str, kind: str) -> bytes:
    """One CSV row (without the newline), damaged in the way `kind` says."""
    from pipelines.contract import ENTITY_BY_NAME

    if kind == "invalid_utf8":  # inside the first field (the key), quoted or not
        at = 1 if line.startswith(b'"') else line.index(b",")
        return line[:at] + b"\xff" + line[at:]
    values = next(csv.reader([line.decode("utf-8")], strict=True))
    record = dict(zip(header, values, strict=True))
    if kind == "truncated":
        return _csv_line(values[:-1])
    if kind == "unbalanced_quote":  # a middle, non-key field opened with a quote, never closed
        key = set(ENTITY_BY_NAME[entity].key)
        middle = [
            i
            for i, n in enumerate(header)
            if n not in key and values[i] and not set(values[i]) & set('",\r\n')
        ]
        at = middle[len(middle) // 2]
        head = _csv_line(values[:at]) + b"," if at else b""
        tail = b"," + _csv_line(values[at + 1 :]) if at + 1 < len(values) else b""
        return head + b'"' + values[at].encode("utf-8") + tail
    if kind == "long_field":
        record[_string_field(entity, record)] = "x" * LONG_FIELD
    elif kind == "nan":
        record[_numeric_field(entity, kind)] = "NaN"
    elif kind in ("ts_infinity", "ts_year9999"):
        name = _pick_field(entity, record, ("timestamp", "date"))
        record[name] = "infinity" if kind == "ts_infinity" else "9999-12-31T23:59:59Z"
    else:
        raise ValueError(f"{kind} does not apply to CSV")
    return _csv_line([record[n] for n in header])


def _truncated_parquet(source: Path, entity: str, rows: int) -> bytes:
    """The first 60% of a Parquet file of `rows` records of `source` (a JSON Lines file of
    `entity`), each given a new key: records that exist nowhere else in the batch."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipelines.contract import ENTITY_BY_NAME

    key = ENTITY_BY_NAME[entity].key[0]
    records = []
    with source.open("rb") as handle:
        for raw in handle:
            record = json.loads(raw)
            record[key] = f"lost-{record[key]}"
            records.append(record)
            if len(records) == rows:
                break
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(records), sink, compression="zstd")
    data = sink.getvalue()
    return data[: int(len(data) * 0.6)]


def corrupt(
    clean: Path, out: Path, info: dict[str, Any], seed: int = SEED, rate: float = RATE
) -> dict[str, Any]:
    """Copy the clean batch to `out` with `rate` of every file's records damaged and the two
    unreadable files added; returns the manifest (every damaged record, the expected counts)."""
    rows: dict[str, int] = info["rows"]
    files: dict[str, str] = info["files"]
    out.mkdir(parents=True, exist_ok=True)
    budgets = {
        files[e]: min(n, max(1, round(rate * n))) if n else 0 for e, n in sorted(rows.items())
    }
    kinds_of = {files[e]: applicable(e, files[e].rsplit(".", 1)[1]) for e in rows}
    plan = allocate(budgets, kinds_of)
    damaged: list[Damage] = []
    for entity in sorted(rows):
        name = files[entity]
        fmt = name.rsplit(".", 1)[1]
        data = (clean / name).read_bytes()
        lines = data.split(b"\n")
        header = 1 if fmt == "csv" else 0
        names = next(csv.reader([lines[0].decode("utf-8")])) if header else []
        skip = set(info["duplicate_rows"].get(entity, []))
        eligible = [i for i in range(rows[entity]) if i not in skip]
        rng = random.Random(f"{seed}:{name}")
        chosen = sorted(rng.sample(eligible, budgets[name]))
        kinds = [k for k in KINDS for _ in range(plan[name][k])]
        rng.shuffle(kinds)
        for row, kind in zip(chosen, kinds, strict=True):
            at = row + header
            if fmt == "csv":
                lines[at] = damage_csv(lines[at], names, entity, kind)
            else:
                lines[at] = damage_jsonl(lines[at], entity, kind)
            damaged.append(Damage(name, at + 1, entity, kind))
        (out / name).write_bytes(b"\n".join(lines))
    (out / EMPTY_PARQUET).write_bytes(b"")
    source = next(e for e, n in files.items() if n.rsplit(".", 1)[0] == "ci_runs")
    (out / TRUNCATED_PARQUET).write_bytes(
        _truncated_parquet(clean / files[source], source, max(10, min(5_000, rows[source] // 50)))
    )
    by_entity = Counter(d.entity for d in damaged)
    return {
        "seed": seed,
        "rate": rate,
        "records": sum(rows.values()),
        "rows": rows,
        "files": files,
        "damaged": [[d.file, d.line, d.entity, d.kind] for d in damaged],
        "damaged_total": len(damaged),
        "by_kind": {k: sum(1 for d in damaged if d.kind == k) for k in KINDS},
        "by_entity": dict(sorted(by_entity.items())),
        "bad_files": list(BAD_FILES),
        "expected_core": {e: rows[e] - by_entity.get(e, 0) for e in sorted(rows)},
        "expected_open": len(damaged) + len(BAD_FILES),
    }


def fingerprint() -> str:
    """This module's source: a change to the corrupter invalidates the cached batches."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:10]


@dataclass(frozen=True)
class Batches:
    clean: Path
    corrupted: Path
    manifest: dict[str, Any]
    build_s: float
    cached: bool


def ensure_batches(
    engineers: int = ENGINEERS,
    weeks: int = WEEKS,
    seed: int = SEED,
    rate: float = RATE,
    root: Path | None = None,
) -> Batches:
    """The clean and corrupted batches, built once per spec and code (written beside, renamed
    into place, so an interrupted build is never taken for a complete one)."""
    key = (
        f"messy-{engineers}e-{weeks}w-s{seed}-r{rate:g}-g{generator_fingerprint()}-m{fingerprint()}"
    )
    base = (root or cache_root()) / key
    done = base / "manifest.json"
    if done.is_file():
        manifest = json.loads(done.read_text(encoding="utf-8"))
        return Batches(base / "clean", base / "corrupted", manifest, manifest["build_s"], True)
    started = time.perf_counter()
    partial = base / f".partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    info = write_clean(partial / "clean", engineers, weeks, seed)
    manifest = corrupt(partial / "clean", partial / "corrupted", info, seed, rate)
    manifest["spec"] = {"engineers": engineers, "weeks": weeks, "seed": seed, "end": str(END)}
    manifest["build_s"] = time.perf_counter() - started
    manifest["bytes"] = {
        "clean": folder_bytes(partial / "clean"),
        "corrupted": folder_bytes(partial / "corrupted"),
    }
    for name in ("clean", "corrupted"):
        shutil.rmtree(base / name, ignore_errors=True)
        (partial / name).rename(base / name)
    shutil.rmtree(partial, ignore_errors=True)
    done.write_text(json.dumps(manifest), encoding="utf-8")
    return Batches(base / "clean", base / "corrupted", manifest, manifest["build_s"], False)


# --- what a loaded warehouse holds --------------------------------------------------------------


def place_of(origin: str | None) -> str:
    """`<file name>:<line>` of a quarantine origin (`<path>:<line>`), or the file name alone."""
    text = origin or ""
    path, sep, line = text.rpartition(":")
    if sep and line.isdigit():
        return f"{Path(path).name}:{line}"
    return Path(text).name


def verify(con, manifest: dict[str, Any]) -> dict[str, Any]:
    """What core and the quarantine of a warehouse that loaded the corrupted batch hold, against
    the manifest: `ok` when core has exactly the expected rows per entity and the open entries
    of the quarantine are exactly the damaged records (by file and line) and the bad files."""
    core = {
        e: con.execute(f"SELECT count(*) FROM core.{e}").fetchone()[0]
        for e in manifest["expected_core"]
    }
    origins = con.execute("SELECT origin FROM core.quarantine WHERE status = 'open'").fetchall()
    opened = [place_of(o) for (o,) in origins]
    want = Counter([f"{f}:{line}" for f, line, _, _ in manifest["damaged"]] + manifest["bad_files"])
    got = Counter(opened)
    missing, unexpected = want - got, got - want
    kinds = {f"{f}:{line}": k for f, line, _, k in manifest["damaged"]}
    findings = dict(
        con.execute(
            "SELECT kind, count(*) FROM meta.inbox_findings GROUP BY ALL ORDER BY 1"
        ).fetchall()
    )
    core_ok = core == manifest["expected_core"]
    differ = {e: [core[e], n] for e, n in manifest["expected_core"].items() if core[e] != n}
    return {
        "ok": core_ok and not missing and not unexpected,
        "core_ok": core_ok,
        "core": core,
        "core_differs": differ,  # entity -> [in core, expected]
        "core_records": sum(core.values()),
        "open": len(opened),
        "open_expected": manifest["expected_open"],
        "missing": sorted((w, kinds.get(w, "file")) for w in missing.elements())[:50],
        "unexpected": sorted(unexpected.elements())[:50],
        "findings": findings,
    }


def clean_counts(con, rows: dict[str, int]) -> dict[str, Any]:
    """Core and quarantine of a warehouse that loaded the clean batch."""
    core = {e: con.execute(f"SELECT count(*) FROM core.{e}").fetchone()[0] for e in rows}
    open_ = con.execute("SELECT count(*) FROM core.quarantine WHERE status = 'open'").fetchone()[0]
    return {
        "ok": core == rows and open_ == 0,
        "core": core,
        "core_records": sum(core.values()),
        "open": open_,
    }


# --- the benchmark ------------------------------------------------------------------------------


def _say(text: str) -> None:
    print(f"{datetime.now().strftime('%H:%M:%S')} {text}", flush=True)


def one_run(
    label: str, folder: Path, work: Path, manifest: dict[str, Any], budget: float, keep: bool
) -> dict[str, Any]:
    """One pipeline run in a fresh home, measured by the kernel; then its warehouse checked."""
    import duckdb

    from benchmarks.child import run_child
    from benchmarks.run import stages

    home = work / f"{label}-{time.monotonic_ns()}"
    load_before = os.getloadavg()
    child = run_child(
        "pipeline", work / "children", "--home", str(home), "--inbox", str(folder), timeout_s=budget
    )
    out: dict[str, Any] = {
        "label": label,
        "wall_s": child.wall_s,
        "cpu_s": child.cpu_s,
        "peak_rss_mb": child.peak_rss_mb,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "ok": child.ok,
    }
    if not child.ok:
        out["error"] = "timed out" if child.timed_out else child.stderr_tail[-1500:]
    else:
        result = child.result or {}
        steps = result.get("steps", {})
        out |= {
            "run_s": result.get("run_s"),
            "process_s": result.get("process_s"),
            "raw_inbox_s": steps.get("raw__inbox"),
            "core_s": steps.get("core_tables"),
            "stages": stages(steps, result.get("process_s", 0.0)),
            "steps": steps,
            "failed_checks": result.get("failed_checks"),
        }
        con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
        try:
            if label == "corrupted":
                out["check"] = verify(con, manifest)
            else:
                out["check"] = clean_counts(con, manifest["rows"])
        finally:
            con.close()
    if not keep:
        shutil.rmtree(home, ignore_errors=True)
    return out


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians per batch and the corrupted/clean ratios."""
    out: dict[str, Any] = {}
    for label in ("clean", "corrupted"):
        mine = [r for r in runs if r["label"] == label and r["ok"]]
        checks = [r["check"] for r in mine]
        out[label] = {
            "runs": len(mine),
            "wall_s": _median(mine, "wall_s"),
            "run_s": _median(mine, "run_s"),
            "raw_inbox_s": _median(mine, "raw_inbox_s"),
            "core_s": _median(mine, "core_s"),
            "cpu_s": _median(mine, "cpu_s"),
            "peak_rss_mb": _median(mine, "peak_rss_mb"),
            "peak_rss_mb_max": max((r["peak_rss_mb"] for r in mine), default=None),
            "core_records": checks[0]["core_records"] if checks else None,
            "quarantined": checks[0]["open"] if checks else None,
            "checks_ok": bool(checks) and all(c["ok"] for c in checks),
            "loadavg_1min": [r["loadavg_before"][0] for r in mine],
        }
    ratio = {}
    for key in ("wall_s", "run_s", "raw_inbox_s", "core_s", "cpu_s", "peak_rss_mb"):
        a, b = out["corrupted"][key], out["clean"][key]
        ratio[key] = a / b if a and b else None
    out["ratio"] = ratio
    return out


def _span(values: list[float]) -> str:
    return f"{min(values):.1f}-{max(values):.1f}" if values else "-"


def table(summary: dict[str, Any], manifest: dict[str, Any]) -> str:
    """The markdown table of docs/performance.md's "Messy input" section."""
    c, m, r = summary["clean"], summary["corrupted"], summary["ratio"]

    def s(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f} s"

    def x(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f}x"

    lines = [
        "| measure (median of runs) | clean | corrupted | corrupted / clean |",
        "|---|---|---|---|",
        f"| records in the batch | {manifest['records']:,} | {manifest['records']:,} "
        f"(+ 2 bad files) | |",
        f"| pipeline wall (process) | {s(c['wall_s'])} | {s(m['wall_s'])} | {x(r['wall_s'])} |",
        f"|   of which Dagster run | {s(c['run_s'])} | {s(m['run_s'])} | {x(r['run_s'])} |",
        f"|   raw__inbox step | {s(c['raw_inbox_s'])} | {s(m['raw_inbox_s'])} "
        f"| {x(r['raw_inbox_s'])} |",
        f"|   core_tables step | {s(c['core_s'])} | {s(m['core_s'])} | {x(r['core_s'])} |",
        f"| pipeline CPU (user+sys) | {s(c['cpu_s'])} | {s(m['cpu_s'])} | {x(r['cpu_s'])} |",
        f"| peak RSS | {c['peak_rss_mb'] or 0:,.0f} MB | {m['peak_rss_mb'] or 0:,.0f} MB "
        f"| {x(r['peak_rss_mb'])} |",
        f"| records in core | {c['core_records'] or 0:,} | {m['core_records'] or 0:,} | |",
        f"| open quarantine entries | {c['quarantined'] or 0:,} | {m['quarantined'] or 0:,} | |",
        f"| load average (1 min) before the runs | {_span(c['loadavg_1min'])} "
        f"| {_span(m['loadavg_1min'])} | |",
        f"| checks (every valid record in core, one entry per bad record) "
        f"| {'pass' if c['checks_ok'] else 'FAIL'} | {'pass' if m['checks_ok'] else 'FAIL'} | |",
    ]
    return "\n".join(lines)


def bench_messy(
    engineers: int = ENGINEERS,
    weeks: int = WEEKS,
    seed: int = SEED,
    rate: float = RATE,
    repeats: int = 3,
    work: Path | None = None,
    budget: float = 1800.0,
    keep: bool = False,
) -> dict[str, Any]:
    """Build (or reuse) both batches, run them alternately, check and summarize."""
    _say(f"messy: batches ({engineers} engineers x {weeks} weeks, {rate:.0%} corrupted)")
    batches = ensure_batches(engineers, weeks, seed, rate)
    manifest = batches.manifest
    _say(
        f"messy: {manifest['records']:,} records, {manifest['damaged_total']:,} damaged "
        f"({'cached' if batches.cached else f'built in {batches.build_s:.1f} s'})"
    )
    work = (work or cache_root() / "runs") / "messy"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    runs = []
    for i in range(repeats):
        for label, folder in (("clean", batches.clean), ("corrupted", batches.corrupted)):
            _say(f"messy: run {i + 1}/{repeats}, {label}")
            run = one_run(label, folder, work, manifest, budget, keep)
            runs.append(run)
            check = run.get("check", {})
            _say(
                f"messy:   wall {run['wall_s']:.2f} s, inbox {run.get('raw_inbox_s') or 0:.2f} s,"
                f" core {run.get('core_s') or 0:.2f} s, RSS {run['peak_rss_mb']:,.0f} MB, "
                f"core {check.get('core_records', 0):,}, open {check.get('open', 0):,}, "
                f"check {'ok' if check.get('ok') else 'FAILED'}, "
                f"load {run['loadavg_before'][0]:.2f}"
            )
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    summary = summarize(runs)
    return {
        "batches": {
            "clean": str(batches.clean),
            "corrupted": str(batches.corrupted),
            "build_s": batches.build_s,
            "cached": batches.cached,
            "bytes": manifest.get("bytes"),
        },
        "manifest": {k: v for k, v in manifest.items() if k != "damaged"},
        "runs": runs,
        "summary": summary,
        "table": table(summary, manifest),
    }


def main(argv: list[str] | None = None) -> int:
    from benchmarks.run import RESULTS, machine

    parser = argparse.ArgumentParser(prog="benchmarks.messy", description=__doc__.splitlines()[0])
    parser.add_argument("--engineers", type=int, default=ENGINEERS)
    parser.add_argument("--weeks", type=int, default=WEEKS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--rate", type=float, default=RATE, help="share of records corrupted")
    parser.add_argument("--repeats", type=int, default=3, help="runs per batch, alternating")
    parser.add_argument("--budget", type=float, default=1800.0, help="seconds per run")
    parser.add_argument("--work", help="scratch homes (default <cache>/runs)")
    parser.add_argument("--keep", action="store_true", help="keep the homes for inspection")
    parser.add_argument("--json", default=str(RESULTS / "messy.json"))
    args = parser.parse_args(argv)
    info = machine()
    started = time.perf_counter()
    result = bench_messy(
        args.engineers,
        args.weeks,
        args.seed,
        args.rate,
        args.repeats,
        Path(args.work) if args.work else None,
        args.budget,
        args.keep,
    )
    info["loadavg_end"] = os.getloadavg()
    info["total_s"] = time.perf_counter() - started
    info["finished_at"] = datetime.now(UTC).isoformat()
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"machine": info, **result}, indent=2, default=str), encoding="utf-8"
    )
    print(result["table"])
    s = result["summary"]
    print(
        f"\nratio corrupted/clean (median wall): {s['ratio']['wall_s'] or 0:.2f}x; "
        f"checks: clean {'pass' if s['clean']['checks_ok'] else 'FAIL'}, corrupted "
        f"{'pass' if s['corrupted']['checks_ok'] else 'FAIL'}"
    )
    print(f"results: {path}")
    return 0 if s["clean"]["checks_ok"] and s["corrupted"]["checks_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
