"""Turning user columns into canonical arrays: names, numbers and timestamps.

Shared by the file loaders and :func:`qrp_jupyter.data.from_dataframe` so that the same text or
value always becomes the same float64 or int64 nanosecond, whatever the route it came by.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import DataError
from .validate import Origin

__all__ = ["canonical_name", "map_columns", "to_float", "to_ns", "TIMESTAMP_PRIORITY"]

# Timestamp spellings, most specific first: when a frame has several (CryptoDataDownload has
# "unix" and "date"), the earliest in this tuple wins.
TIMESTAMP_PRIORITY = ("timestamp", "open_time", "opentime", "datetime", "date", "time", "unix",
                      "unix_timestamp", "ts")
_ALIASES = {
    "open": ("open", "o", "open_price"),
    "high": ("high", "h", "high_price"),
    "low": ("low", "l", "low_price"),
    "close": ("close", "c", "close_price"),
    "volume": ("volume", "v", "vol", "base_volume", "volume_base"),
    "asset": ("asset", "symbol", "ticker", "pair"),
}
_CANON = {alias: canon for canon, names in _ALIASES.items() for alias in names}
_CANON.update({alias: "timestamp" for alias in TIMESTAMP_PRIORITY})
_NAN_TEXT = {"nan", "na", "n/a", "null", "none", "-"}
_INT_RE = re.compile(r"^\s*[-+]?\d+\s*$")
_INT64_MAX = np.iinfo(np.int64).max


def _normal(name: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def canonical_name(name: object) -> str | None:
    """``"Close"`` -> ``"close"``, ``"Open time"`` -> ``"timestamp"``; unknown names -> ``None``."""
    return _CANON.get(_normal(name))


def map_columns(names: Iterable[object], where: str) -> dict[str, object]:
    """Canonical name -> original column, refusing two columns that mean the same thing.

    Timestamp spellings are the exception: the most specific one present wins (see
    :data:`TIMESTAMP_PRIORITY`), the others are ignored like any extra column.
    """
    found: dict[str, object] = {}
    stamps: dict[str, object] = {}
    for name in names:
        canon = canonical_name(name)
        if canon == "timestamp":
            stamps.setdefault(_normal(name), name)
        elif canon is not None:
            if canon in found:
                raise DataError(f"columns {found[canon]!r} and {name!r} both mean {canon!r}",
                                where=where, fix="drop or rename one of them")
            found[canon] = name
    for alias in TIMESTAMP_PRIORITY:
        if alias in stamps:
            found["timestamp"] = stamps[alias]
            break
    return found


def missing_columns(found: dict[str, object], required: Sequence[str], all_names: Iterable[object],
                    where: str) -> None:
    """Raise naming the required columns that are absent and the columns that were there."""
    missing = [c for c in required if c not in found]
    if missing:
        raise DataError(f"missing column(s) {missing}; found {[str(c) for c in all_names]}",
                        where=where,
                        fix=f"provide columns {list(required)} (case-insensitive; aliases such "
                        "as 'Open time', 'date', 'o', 'vol' are recognised)")


def _cell_problem(value: object) -> str | None:
    """Why one cell is not a number, or ``None`` if it is one."""
    if value is None:
        return "missing value (null)"
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return "empty value"
        if text.lower() in _NAN_TEXT:
            return f"missing value {value!r}"
    try:
        float(value)
    except (TypeError, ValueError):
        return f"unparseable number {value!r}"
    return None


def to_float(values: Sequence[object] | np.ndarray, column: str, origin: Origin) -> np.ndarray:
    """A column as float64, or a :class:`DataError` quoting the first cell that is no number.

    NaN that arrives *as a number* (a NaN float in a DataFrame) passes here and is reported by
    validation, which knows the candle's timestamp.
    """
    try:
        out = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        pass
    else:
        # numpy turns None (JSON null, an empty object cell) into NaN silently; say "null".
        nan = np.flatnonzero(np.isnan(out))
        if nan.size == 0 or isinstance(values, np.ndarray) and values.dtype.kind == "f":
            return out
        for row in nan:
            if values[row] is None:
                raise DataError("missing value (null)",
                                where=origin.where(int(row), column),
                                fix="write a number in every cell, or drop the candle")
        return out
    for row, value in enumerate(values):
        problem = _cell_problem(value)
        if problem:
            raise DataError(problem, where=origin.where(row, column),
                            fix="write a plain decimal number (e.g. 37388.05) in every cell, or "
                            "drop the candle")
    raise DataError(f"column {column!r} cannot be read as numbers",  # pragma: no cover
                    where=origin.where(None, column), fix="check the column's contents")


def _show(value: object) -> str:
    """repr of a cell as the user wrote it (``1.5``, not ``np.float64(1.5)``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _epoch_ns(raw: np.ndarray, column: str, origin: Origin) -> np.ndarray:
    """Integers in s, ms, us or ns -> ns, unit chosen per value by magnitude.

    Below 1e11 is seconds (1e11 s is the year 5138), below 1e14 milliseconds, below 1e17
    microseconds, else nanoseconds. Deciding per value (not per file) matters: Binance moved its
    spot archives from ms to us in 2025, and some CryptoDataDownload exports mix s and ms.
    Millisecond times before March 1973 would be read as seconds, irrelevant for crypto.
    """
    mag = np.abs(raw)
    mult = np.where(mag < 10**11, 10**9, np.where(mag < 10**14, 10**6,
                                                   np.where(mag < 10**17, 10**3, 1)))
    row = next((i for i in np.flatnonzero(mag.astype(np.float64) * mult >= _INT64_MAX)), None)
    if row is not None:
        raise DataError(f"timestamp {_show(raw[row])} is out of range after unit detection",
                        where=origin.where(int(row), column),
                        fix="write epoch times in s, ms, us or ns since 1970")
    return raw.astype(np.int64) * mult


def _bad_time(values: Sequence[object], bad: np.ndarray, column: str, origin: Origin,
              problem: str = "unparseable timestamp") -> DataError:
    row = int(np.flatnonzero(bad)[0])
    return DataError(f"{problem} {_show(values[row])}",
                     where=origin.where(row, column),
                     fix="use ISO-8601 (2021-03-01T13:00:00Z) or epoch seconds/milliseconds")


def to_ns(values: Sequence[object] | np.ndarray | pd.Index | pd.Series, column: str,
          origin: Origin) -> np.ndarray:
    """Timestamps as int64 nanoseconds UTC.

    Accepts datetimes (tz-naive ones are read as UTC, aware ones converted), epoch integers in
    s/ms/us/ns (by magnitude, see :func:`_epoch_ns`), strings of digits (the same), and ISO-8601
    strings with or without an offset (without one: UTC).
    """
    if isinstance(values, (pd.Index, pd.Series)) and isinstance(values.dtype,
                                                                (pd.DatetimeTZDtype, np.dtype)) \
            and values.dtype.kind == "M":
        idx = pd.DatetimeIndex(values)
        bad = np.asarray(idx.isna())
        if bad.any():
            raise _bad_time(list(values), bad, column, origin)
        idx = idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")
        return np.asarray(idx.as_unit("ns").asi8, dtype=np.int64)
    arr = np.asarray(values.to_numpy() if isinstance(values, (pd.Index, pd.Series)) else values)
    if arr.dtype.kind in "iu":
        return _epoch_ns(arr.astype(np.int64), column, origin)
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            raise _bad_time(arr, bad, column, origin, "missing or fractional epoch timestamp")
        return _epoch_ns(arr.astype(np.int64), column, origin)
    items = arr.tolist()
    if items and all(isinstance(v, str) and _INT_RE.match(v) for v in items):
        try:
            epochs = np.array([int(v) for v in items], dtype=np.int64)
        except OverflowError:
            bad = np.array([abs(int(v)) >= _INT64_MAX for v in items])
            raise _bad_time(items, bad, column, origin, "out-of-range timestamp") from None
        return _epoch_ns(epochs, column, origin)
    if items and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items):
        # JSON numbers: ints, or floats such as 1.6094592e12 written by some exporters.
        kind = np.int64 if all(isinstance(v, int) for v in items) else np.float64
        return to_ns(np.array(items, dtype=kind), column, origin)
    strings = all(isinstance(v, str) for v in items)
    try:
        parsed = pd.to_datetime(pd.Series(items, dtype=object), utc=True, errors="coerce",
                                format="ISO8601" if strings else None)
    except (TypeError, ValueError):
        parsed = pd.Series([pd.NaT] * len(items))
    bad = np.asarray(parsed.isna())
    if bad.any():
        raise _bad_time(items, bad, column, origin)
    return np.asarray(pd.DatetimeIndex(parsed).as_unit("ns").asi8, dtype=np.int64)
