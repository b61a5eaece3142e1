"""Validation of candles: the one place that decides whether data may be registered.

Every loader, :func:`qrp_jupyter.data.from_dataframe`, the synthetic generator and
``Dataset.from_bytes`` end in :func:`validate_asset`, so a file, a DataFrame and stored bytes are
held to exactly the same rules. Errors point at what the user can open: ``file:line`` (the line
an editor shows, counting header and URL lines) for files, ``df.iloc[i]`` for DataFrames, and
always the candle's timestamp and the column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import DataError

__all__ = ["OHLCV", "Origin", "validate_asset", "common_interval", "gap_stats", "iso",
           "format_interval", "parse_interval"]

OHLCV = ("open", "high", "low", "close", "volume")
PRICES = ("open", "high", "low", "close")

_UNITS = (("w", 7 * 86_400 * 10**9), ("d", 86_400 * 10**9), ("h", 3_600 * 10**9),
          ("m", 60 * 10**9), ("s", 10**9), ("ms", 10**6), ("us", 10**3), ("ns", 1))
_INTERVAL_RE = re.compile(r"^\s*(\d+)\s*(w|d|h|m|min|s|ms|us|ns)\s*$")


def iso(ns: int) -> str:
    """A candle time as ``YYYY-MM-DDTHH:MM:SSZ`` (fractions only when present)."""
    ts = pd.Timestamp(int(ns), unit="ns", tz="UTC")
    text = ts.strftime("%Y-%m-%dT%H:%M:%S")
    if ts.microsecond or ts.nanosecond:
        text += f".{ts.microsecond:06d}{ts.nanosecond:03d}".rstrip("0")
    return text + "Z"


def format_interval(ns: int) -> str:
    """``3_600_000_000_000`` -> ``"1h"``: the largest unit that divides the interval exactly.

    Weeks are skipped on purpose: ``"7d"`` reads better in crypto than ``"1w"``.
    """
    for unit, size in _UNITS[1:]:
        if ns % size == 0:
            return f"{ns // size}{unit}"
    return f"{ns}ns"  # pragma: no cover - ns always divides


def parse_interval(text: str) -> int:
    """``"1h"``, ``"5m"``, ``"15min"``, ``"1d"``, ``"1w"`` -> nanoseconds."""
    match = _INTERVAL_RE.match(text) if isinstance(text, str) else None
    if not match or int(match.group(1)) <= 0:
        raise DataError(f"interval {text!r} is not a positive duration like '1h'",
                        where="interval", fix="use a number and a unit: 5m, 15m, 1h, 4h, 1d")
    unit = "m" if match.group(2) == "min" else match.group(2)
    return int(match.group(1)) * dict(_UNITS)[unit]


class Origin:
    """Where one asset's rows came from, so an error can name the line a user can open.

    Parameters
    ----------
    asset
        The asset name.
    file
        Path as the user gave it, or ``None`` for in-memory data.
    positions
        For each row in its current order, its original position (CSV: the line number; JSON:
        the candle's index in the array; DataFrame: its ``iloc``). ``None`` means ``arange``.
    label
        How a position is shown: ``"{file}:{pos}"`` style for lines (``"line"``), or a template
        such as ``"df.iloc[{}]"`` or ``"candle #{}"``.
    lines
        JSON only: a zero-argument callable mapping candle index -> line number, evaluated
        lazily because it needs a scan of the text that only an error justifies.
    """

    __slots__ = ("asset", "file", "positions", "label", "lines")

    def __init__(self, asset: str, *, file: str | None = None,
                 positions: Sequence[int] | np.ndarray | None = None, label: str = "row {}",
                 lines: Callable[[], np.ndarray | None] | None = None):
        self.asset = asset
        self.file = file
        self.positions = None if positions is None else np.asarray(positions, dtype=np.int64)
        self.label = label
        self.lines = lines

    def reordered(self, order: np.ndarray) -> Origin:
        """The same origin after the rows were permuted by ``order`` (e.g. sorted by time)."""
        pos = np.arange(order.size) if self.positions is None else self.positions
        return Origin(self.asset, file=self.file, positions=pos[order], label=self.label,
                      lines=self.lines)

    def position(self, row: int) -> int:
        return int(row if self.positions is None else self.positions[row])

    def where(self, row: int | None = None, column: str | None = None) -> str:
        parts = []
        if row is None:
            parts.append(self.file or f"asset {self.asset!r}")
        else:
            pos = self.position(row)
            if self.label == "line":
                parts.append(f"{self.file}:{pos}")
            else:
                line = None
                if self.lines is not None:
                    table = self.lines()
                    line = None if table is None else int(table[pos])
                head = self.file if line is None else f"{self.file}:{line}"
                if self.file is None:
                    head = f"asset {self.asset!r}"
                parts += [head, self.label.format(pos)]
        if column:
            parts.append(f"column {column!r}")
        return ", ".join(parts)


def _first(mask: np.ndarray) -> int | None:
    hit = np.flatnonzero(mask)
    return int(hit[0]) if hit.size else None


def _num(x: float) -> str:
    """A value as the user wrote it (shortest round-trip form), never ``np.float64(...)``."""
    return repr(float(x))


def _fail(what: str, origin: Origin, row: int | None, column: str | None, fix: str) -> DataError:
    return DataError(what, where=origin.where(row, column), fix=fix)


def _check_values(ts: np.ndarray, cols: Mapping[str, np.ndarray], origin: Origin) -> None:
    for name in OHLCV:
        x = cols[name]
        row = _first(~np.isfinite(x))
        if row is not None:
            kind = "missing (NaN)" if np.isnan(x[row]) else f"infinite ({_num(x[row])})"
            raise _fail(f"{name} is {kind} in the candle at {iso(ts[row])}", origin, row, name,
                        "fill or drop that candle in the source; QRP does not guess values")
    # Report the earliest offending candle over all price columns, not the first column's.
    hits = [(r, i) for i, n in enumerate(PRICES) if (r := _first(cols[n] <= 0)) is not None]
    if hits:
        row, name = min(hits)[0], PRICES[min(hits)[1]]
        raise _fail(f"{name} {_num(cols[name][row])} at {iso(ts[row])} is not a positive price",
                    origin, row, name,
                    "drop the candle (exchanges emit zero prices for halted markets) or repair "
                    "the value")
    row = _first(cols["volume"] < 0)
    if row is not None:
        raise _fail(f"volume {_num(cols['volume'][row])} at {iso(ts[row])} is negative", origin,
                    row, "volume", "volume must be >= 0; check the sign or the column mapping")
    o, h, low, c = (cols[n] for n in PRICES)
    row = _first(h < np.maximum(o, c))
    if row is not None:
        raise _fail(f"high {_num(h[row])} at {iso(ts[row])} is below max(open {_num(o[row])}, "
                    f"close {_num(c[row])})", origin, row, "high",
                    "check the column order (open, high, low, close) or repair the candle")
    row = _first(low > np.minimum(o, c))
    if row is not None:
        raise _fail(f"low {_num(low[row])} at {iso(ts[row])} is above min(open {_num(o[row])}, "
                    f"close {_num(c[row])})", origin, row, "low",
                    "check the column order (open, high, low, close) or repair the candle")


def _check_times(ts: np.ndarray, origin: Origin) -> int:
    step = np.diff(ts)
    row = _first(step <= 0)
    if row is not None:
        earlier, here = origin.where(row), origin.where(row + 1)
        if step[row] == 0:
            raise DataError(f"timestamp {iso(ts[row])} appears twice, first at {earlier}",
                            where=here, fix="keep one candle per timestamp (drop the duplicate)")
        raise DataError(f"timestamps are not ascending: {iso(ts[row + 1])} comes after "
                        f"{iso(ts[row])}, which is at {earlier}", where=here,
                        fix="sort the rows by timestamp, oldest first")
    values, counts = np.unique(step, return_counts=True)
    interval = int(values[np.argmax(counts)])  # ties go to the shortest step
    row = _first(step % interval != 0)
    if row is not None:
        raise DataError(
            f"the step of {format_interval(int(step[row]))} from {iso(ts[row])} to "
            f"{iso(ts[row + 1])} is not a whole number of bars of {format_interval(interval)} "
            "(the most common step)", where=origin.where(row + 1),
            fix="keep one bar interval per dataset: resample, or remove the off-grid candle")
    return interval


def validate_asset(ts: np.ndarray, cols: Mapping[str, np.ndarray], origin: Origin) -> int:
    """Check one asset's candles and return its bar interval in nanoseconds.

    Parameters
    ----------
    ts
        int64 nanoseconds UTC, in the order the rows will be stored.
    cols
        ``open, high, low, close, volume`` as float64 arrays of the same length.
    origin
        Where the rows came from, for error messages.

    Raises
    ------
    DataError
        Fewer than two candles (the interval could not be inferred), NaN or infinite values,
        non-positive prices, negative volume, a high/low that does not bracket open and close,
        unsorted or duplicate timestamps, or a step that is not a whole number of bars. Gaps
        (steps of several whole bars) are allowed; :func:`gap_stats` counts them.
    """
    n = ts.size
    if n < 2:
        got = "no candles" if n == 0 else f"only one candle ({iso(ts[0])})"
        raise DataError(f"asset {origin.asset!r} has {got}; at least two are needed to know "
                        "the bar interval", where=origin.where(),
                        fix="load a file or frame with the candles in it")
    _check_values(ts, cols, origin)
    return _check_times(ts, origin)


def common_interval(intervals: Mapping[str, int]) -> int:
    """The one bar interval of a multi-asset dataset; assets with different intervals fail."""
    distinct = sorted(set(intervals.values()))
    if len(distinct) > 1:
        shown = ", ".join(f"{a!r}: {format_interval(v)}" for a, v in sorted(intervals.items()))
        raise DataError(f"assets have different bar intervals ({shown})",
                        where="dataset assets",
                        fix="register one dataset per interval, or resample to a common one")
    return distinct[0]


def gap_stats(ts: np.ndarray, interval: int) -> tuple[int, int]:
    """``(gap events, missing bars)`` of ascending timestamps on a grid of ``interval``."""
    bars = np.diff(ts) // interval
    return int(np.count_nonzero(bars > 1)), int(np.sum(bars[bars > 1] - 1))
