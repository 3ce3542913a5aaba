"""Benchmark scales and the cache of their generated batches.

Why a cache: at L the demo generator takes about a minute and writes gigabytes in memory; the
batch depends only on the spec and on the generator's code, so it is written once per (spec,
generator source) under a cache folder and reused. Generation is timed when it happens and the
time is kept next to the batch, so a cached run still reports it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

END = dt.date(2025, 6, 1)
"""A fixed Sunday: the batch, the metrics and therefore every figure are the same on every run."""

SEED = 7
WEEKS = 52


@dataclass(frozen=True)
class Scale:
    """One benchmark size: a name and the demo organisation it stands for."""

    name: str
    engineers: int
    weeks: int = WEEKS
    seed: int = SEED
    end: dt.date = END

    def spec(self):
        """The demo generator's spec (imported lazily: the generator pulls numpy and pandas)."""
        from pipelines.demo import DemoSpec

        return DemoSpec(engineers=self.engineers, weeks=self.weeks, seed=self.seed, end=self.end)

    @property
    def key(self) -> str:
        """Cache key: the spec plus a hash of the generator's code."""
        return (
            f"{self.engineers}e-{self.weeks}w-s{self.seed}-{self.end.isoformat()}"
            f"-g{generator_fingerprint()}"
        )


SCALES: dict[str, Scale] = {
    "T": Scale("T", engineers=30, weeks=8),  # CI smoke size; not a benchmark
    "S": Scale("S", engineers=200),
    "M": Scale("M", engineers=2_000),
    "L": Scale("L", engineers=10_000),
}


def parse_scales(text: str) -> list[Scale]:
    """`S,M` -> scales; also `custom:<engineers>x<weeks>` for ad-hoc sizes."""
    scales: list[Scale] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if part.upper() in SCALES:
            scales.append(SCALES[part.upper()])
        elif part.startswith("custom:"):
            engineers, _, weeks = part.removeprefix("custom:").partition("x")
            scales.append(Scale(part, engineers=int(engineers), weeks=int(weeks or WEEKS)))
        else:
            raise ValueError(f"unknown scale {part!r}: use {', '.join(SCALES)} or custom:NxW")
    return scales


def cache_root() -> Path:
    """`$PAVED_BENCH_CACHE`, else `<tmp>/paved-benchmarks` (never inside the checkout)."""
    default = Path(tempfile.gettempdir()) / "paved-benchmarks"
    return Path(os.environ.get("PAVED_BENCH_CACHE") or default)


def generator_fingerprint() -> str:
    """Short hash of the generator's and the writer's source: a code change invalidates caches."""
    import pipelines.demo as demo

    digest = hashlib.sha256()
    for path in sorted(Path(demo.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


@dataclass(frozen=True)
class Batch:
    """A generated canonical Parquet batch on disk and what it cost to make."""

    folder: Path
    records: dict[str, int]
    generate_s: float
    write_s: float
    bytes: int
    cached: bool

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["folder"] = str(self.folder)
        return out


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def ensure_batch(scale: Scale, root: Path | None = None) -> Batch:
    """The scale's batch folder, generated (and timed) only when it is not cached yet.

    Written to a sibling folder and renamed into place, so an interrupted generation never
    leaves a half batch that a later run would take for complete.
    """
    base = (root or cache_root()) / scale.key
    folder = base / "full"
    meta = base / "batch.json"
    if meta.is_file() and folder.is_dir():
        info = json.loads(meta.read_text(encoding="utf-8"))
        return Batch(folder, info["records"], info["generate_s"], info["write_s"],
                     folder_bytes(folder), cached=True)  # fmt: skip
    from pipelines.demo import generate, write_batch

    base.mkdir(parents=True, exist_ok=True)
    partial = base / f".full-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    started = time.perf_counter()
    frames = generate(scale.spec())
    generate_s = time.perf_counter() - started
    started = time.perf_counter()
    records = write_batch(frames, partial, fmt="parquet")
    write_s = time.perf_counter() - started
    del frames
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    meta.write_text(
        json.dumps({"records": records, "generate_s": generate_s, "write_s": write_s}, indent=2),
        encoding="utf-8",
    )
    return Batch(folder, records, generate_s, write_s, folder_bytes(folder), cached=False)
