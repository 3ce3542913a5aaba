"""Vectorised building blocks shared by the generator modules.

Everything here works on whole numpy arrays so that no module loops over commits or events.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.demo.spec import DAY, HOUR

STREAMS = ("org", "activity", "delivery", "incidents", "platform", "ci")
KEY_SCALE = np.int64(10**10)  # seconds since epoch stay below this for ~300 years

_HEX = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2")


def streams(seed: int) -> dict[str, np.random.Generator]:
    """One generator per module: changing one module leaves the others' data alone."""
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {
        name: np.random.default_rng(child) for name, child in zip(STREAMS, children, strict=True)
    }


def lognormal(
    rng: np.random.Generator, median: np.ndarray | float, sigma: float, n: int
) -> np.ndarray:
    """Log-normal draws by median: durations in software delivery are long-tailed."""
    return np.asarray(median, dtype=float) * np.exp(sigma * rng.standard_normal(n))


def pick(
    rng: np.random.Generator, values: Sequence[object], p: Sequence[float], n: int
) -> np.ndarray:
    """`n` values drawn with probabilities `p`, as an object array."""
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=p)]


def shas(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` random 40-hex-digit commit ids (160 random bits: collisions are negligible)."""
    raw = rng.integers(0, 256, size=(n, 20), dtype=np.uint8)
    return _HEX[raw].view("S40").ravel().astype("U40").astype(object)


def ids(prefix: str, n: int, width: int) -> np.ndarray:
    """Readable sequential ids such as `dep-0000042`."""
    digits = np.char.zfill(np.arange(1, n + 1).astype("U12"), width)
    return np.char.add(prefix, digits).astype(object)


def keys(group: np.ndarray, t: np.ndarray) -> np.ndarray:
    """One sortable int64 per (group, time): lets one searchsorted serve every group at once."""
    return group.astype(np.int64) * KEY_SCALE + np.floor(t).astype(np.int64)


def local_parts(t: np.ndarray, tz_h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local day number, seconds into the day and weekday (Monday = 0)."""
    local = t + tz_h * HOUR
    day = np.floor(local / DAY)
    return day, local - day * DAY, ((day + 3) % 7).astype(np.int64)


def working_day_time(rng: np.random.Generator, t: np.ndarray, tz_h: np.ndarray) -> np.ndarray:
    """Keep the date of `t` but move it into a weekday's working hours, as people do.

    Weekend dates move to the adjacent weekday; 3% of events keep their odd hour (on-call,
    late nights) so the data is not unrealistically clean.
    """
    n = len(t)
    day, _, dow = local_parts(t, tz_h)
    day = day - np.where(dow == 5, 1, 0) + np.where(dow == 6, 1, 0)
    seconds = (8.5 + 9.5 * rng.beta(2.2, 2.2, n)) * HOUR
    moved = day * DAY + seconds - tz_h * HOUR
    return np.where(rng.random(n) < 0.03, t, moved)


def next_working(rng: np.random.Generator, t: np.ndarray, tz_h: np.ndarray) -> np.ndarray:
    """Push each time forward to the next working moment (nights and weekends wait)."""
    n = len(t)
    day, sec, _ = local_parts(t, tz_h)
    late = sec >= 18.5 * HOUR
    early = sec < 8.5 * HOUR
    day = day + late
    dow = ((day + 3) % 7).astype(np.int64)
    weekend_shift = np.where(dow == 5, 2, np.where(dow == 6, 1, 0))
    morning = (8.5 + 1.5 * rng.random(n)) * HOUR
    sec = np.where(late | early | (weekend_shift > 0), morning, sec)
    moved = (day + weekend_shift) * DAY + sec - tz_h * HOUR
    return np.where(rng.random(n) < 0.03, t, np.maximum(moved, t))


def whole_seconds(t: np.ndarray) -> np.ndarray:
    """Round to whole seconds, keeping NaN (not happened yet) as NaN."""
    return np.round(np.asarray(t, dtype=float))


def timestamps(t: np.ndarray) -> pd.DatetimeIndex:
    """Epoch seconds (NaN = missing) as tz-aware UTC timestamps with microsecond resolution."""
    t = np.asarray(t, dtype=float)
    missing = np.isnan(t)
    values = (
        np.where(missing, 0, t).astype(np.int64).astype("datetime64[s]").astype("datetime64[us]")
    )
    values[missing] = np.datetime64("NaT")
    return pd.DatetimeIndex(values).tz_localize("UTC")


def dates(t: np.ndarray) -> np.ndarray:
    """Epoch seconds (NaN or inf = missing) as `datetime.date` objects or None."""
    t = np.asarray(t, dtype=float)
    out = np.full(len(t), None, dtype=object)
    ok = np.isfinite(t)
    days = (t[ok] // DAY).astype(np.int64).astype("datetime64[D]").astype(object)
    out[ok] = list(days)
    return out


def lists(offsets: np.ndarray, values: np.ndarray, null: np.ndarray | None = None) -> pd.Series:
    """A column of Python lists from CSR-style offsets and flat values, built in Arrow (no loop)."""
    mask = None if null is None else pa.array(null, type=pa.bool_())
    arr = pa.ListArray.from_arrays(
        pa.array(offsets, type=pa.int32()), pa.array(values, type=pa.string()), mask=mask
    )
    return pd.Series(arr.to_pylist(), dtype=object)


def first_in_group(group: np.ndarray) -> np.ndarray:
    """True where a sorted group array starts a new group."""
    start = np.ones(len(group), dtype=bool)
    start[1:] = group[1:] != group[:-1]
    return start
