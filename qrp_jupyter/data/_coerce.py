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
from .validate import Origin, iso

__all__ = ["canonical_name", "map_columns", "to_float", "to_ns", "epoch_ns", "check_unit",
           "TIMESTAMP_PRIORITY", "TIMESTAMP_UNITS"]

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
# Python's int() and float() accept more than a data file should hold: "1_000" (PEP 515
# underscores), non-ASCII digits ("١٢"), and for float() "infinity" in any case. Numbers in
# files must be plain ASCII decimals; infinities stay readable so validation can name them.
_INT_RE = re.compile(r"^\s*[-+]?[0-9]+\s*$")
_FLOAT_RE = re.compile(r"^\s*[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*$"
                       r"|^\s*[-+]?(?:inf|infinity|nan)\s*$", re.IGNORECASE)
_INT64_MAX = np.iinfo(np.int64).max
TIMESTAMP_UNITS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
# Epoch times whose unit was inferred must land in this window (1990-01-01 to 2100-01-01 UTC):
# outside it the unit was almost surely misread (milliseconds near 1970 taken as seconds give
# a bar interval of 1000h). An explicit timestamp_unit is taken as the user's word.
PLAUSIBLE_NS = (631_152_000 * 10**9, 4_102_444_800 * 10**9)


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
    if isinstance(value, (bool, np.bool_)):
        return f"a boolean ({value!r}) where a number belongs"
    if isinstance(value, (list, tuple, dict, np.ndarray)):
        kind = "an object" if isinstance(value, dict) else "a nested array"
        return f"{kind} ({_clip(value)}) where a number belongs"
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return "empty value"
        if text.lower() in _NAN_TEXT:
            return f"missing value {value!r}"
        if not _FLOAT_RE.match(value):
            return f"unparseable number {value!r}"
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return None if abs(int(value)) < 2**1023 else f"number {_clip(value)} is out of range"
    if isinstance(value, (float, np.floating)):
        return None
    return f"unparseable number {_clip(value)}"


def _clip(value: object, limit: int = 60) -> str:
    text = _show(value)
    return text if len(text) <= limit else text[:limit] + "..."


def to_float(values: Sequence[object] | np.ndarray, column: str, origin: Origin) -> np.ndarray:
    """A column as float64, or a :class:`DataError` quoting the first cell that is no number.

    NaN that arrives *as a number* (a NaN float in a DataFrame) passes here and is reported by
    validation, which knows the candle's timestamp.
    """
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        return values.astype(np.float64)
    # Objects (text cells, JSON values): each cell is checked, so that what float() would
    # quietly accept (True, "1_000", "١٢", a one-element list) is refused and named.
    for row, value in enumerate(values):
        problem = _cell_problem(value)
        if problem:
            raise DataError(problem, where=origin.where(row, column),
                            fix="write a plain decimal number (e.g. 37388.05) in every cell, or "
                            "drop the candle")
    try:
        out = np.array(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        out = None
    if out is not None and out.ndim == 1:
        return out
    raise DataError(f"column {column!r} cannot be read as numbers",  # pragma: no cover
                    where=origin.where(None, column), fix="check the column's contents")


def _show(value: object) -> str:
    """repr of a cell as the user wrote it (``1.5``, not ``np.float64(1.5)``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _unit_fix(column: str) -> str:
    return (f"say the unit of column {column!r}: timestamp_unit='ms' (or 's', 'us', 'ns'); on "
            "the command line --timestamp-unit ms")


def check_unit(unit: str | None, where: str = "timestamp_unit") -> str | None:
    """``None`` (infer from magnitude) or one of ``s, ms, us, ns``."""
    if unit is None or (isinstance(unit, str) and unit in TIMESTAMP_UNITS):
        return unit
    raise DataError(f"timestamp unit {unit!r} is not one of {list(TIMESTAMP_UNITS)}",
                    where=where, fix="pass 's', 'ms', 'us' or 'ns', or leave it out to infer "
                    "the unit from the numbers' size")


def _magnitude_unit(magnitude: int) -> int:
    """The ns multiplier :func:`epoch_ns` infers for a non-negative epoch value."""
    return 10**9 if magnitude < 10**11 else 10**6 if magnitude < 10**14 else \
        10**3 if magnitude < 10**17 else 1


def epoch_ns(raw: np.ndarray, column: str, origin: Origin, unit: str | None = None) -> np.ndarray:
    """Epoch integers (int64) -> ns. With ``unit`` every value has that unit; without, the unit
    is chosen per value by magnitude and the result must look like a candle time.

    Inference: below 1e11 is seconds (1e11 s is the year 5138), below 1e14 milliseconds, below
    1e17 microseconds, else nanoseconds. Deciding per value (not per file) matters: Binance moved
    its spot archives from ms to us in 2025, and some CryptoDataDownload exports mix s and ms.
    Milliseconds before March 1973 would be read as seconds and come out near 1970, which is why
    an inferred time outside 1990-2100 (:data:`PLAUSIBLE_NS`) is refused rather than kept.
    """
    raw = np.asarray(raw, dtype=np.int64)
    if unit is not None:
        mult = TIMESTAMP_UNITS[unit]
        limit = _INT64_MAX // mult
        bad = (raw > limit) | (raw < -limit)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(f"timestamp {_show(raw[row])} in {unit} is out of range (beyond the "
                            "year 2262)", where=origin.where(row, column),
                            fix=f"check the value, or whether the unit is really {unit!r}")
        return raw * mult
    low, high = PLAUSIBLE_NS
    if raw.size and raw.min() >= 0 and _magnitude_unit(int(raw.min())) == \
            _magnitude_unit(int(raw.max())):
        # The usual file: one unit throughout, so one multiplier and no per-value arrays
        # (a 10-million-row file would otherwise need three more int64 temporaries).
        mult = _magnitude_unit(int(raw.max()))
        if int(raw.max()) * mult < high and int(raw.min()) * mult >= low:
            return raw * mult
    # abs() of int64's minimum overflows to itself; such a value is out of range anyway.
    mag = np.where(raw == np.iinfo(np.int64).min, _INT64_MAX, np.abs(raw))
    mult = np.where(mag < 10**11, 10**9, np.where(mag < 10**14, 10**6,
                                                   np.where(mag < 10**17, 10**3, 1)))
    with np.errstate(over="ignore"):
        out = raw * mult  # wraps only where the value is out of range; found below
    bad = (mag > _INT64_MAX // mult) | (out < low) | (out >= high)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = int(raw[row])
        unit_read = {10**9: "s", 10**6: "ms", 10**3: "us", 1: "ns"}[int(mult[row])]
        if mag[row] > _INT64_MAX // mult[row]:
            shown = "out of range"
        else:
            shown = f"reads as {iso(int(out[row]))}"
        raise DataError(f"epoch timestamp {value} {shown} when its unit is inferred from its size "
                        f"({unit_read}), outside the plausible 1990-2100: the unit is probably "
                        "wrong (milliseconds near 1970 look like seconds)",
                        where=origin.where(row, column), fix=_unit_fix(column))
    return out


def _bad_time(values: Sequence[object], bad: np.ndarray, column: str, origin: Origin,
              problem: str = "unparseable timestamp") -> DataError:
    row = int(np.flatnonzero(bad)[0])
    return DataError(f"{problem} {_clip(values[row])}",
                     where=origin.where(row, column),
                     fix="use ISO-8601 (2021-03-01T13:00:00Z) or epoch seconds/milliseconds")


def _text_refused(column: str, origin: Origin, unit: str) -> DataError:
    return DataError(f"timestamp_unit={unit!r} was given but column {column!r} holds dates, not "
                     "epoch numbers", where=origin.where(None, column),
                     fix="drop timestamp_unit (--timestamp-unit): it applies to epoch numbers")


def to_ns(values: Sequence[object] | np.ndarray | pd.Index | pd.Series, column: str,
          origin: Origin, unit: str | None = None) -> np.ndarray:
    """Timestamps as int64 nanoseconds UTC.

    Accepts datetimes (tz-naive ones are read as UTC, aware ones converted), epoch integers in
    ``unit`` or, without one, in s/ms/us/ns by magnitude (see :func:`epoch_ns`), strings of
    ASCII digits (the same), and ISO-8601 strings with or without an offset (without one: UTC).
    """
    if isinstance(values, (pd.Index, pd.Series)) and isinstance(values.dtype,
                                                                (pd.DatetimeTZDtype, np.dtype)) \
            and values.dtype.kind == "M":
        if unit is not None:
            raise _text_refused(column, origin, unit)
        idx = pd.DatetimeIndex(values)
        bad = np.asarray(idx.isna())
        if bad.any():
            raise _bad_time(list(values), bad, column, origin)
        idx = idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")
        return np.asarray(idx.as_unit("ns").asi8, dtype=np.int64)
    arr = np.asarray(values.to_numpy() if isinstance(values, (pd.Index, pd.Series)) else values)
    if arr.ndim != 1:
        arr = np.array(list(values) if not isinstance(values, (pd.Index, pd.Series))
                       else values.to_list(), dtype=object)
    if arr.dtype.kind in "iu":
        if arr.dtype.kind == "u" and arr.size and arr.max() > _INT64_MAX:
            raise _bad_time(arr, arr > _INT64_MAX, column, origin, "out-of-range timestamp")
        return epoch_ns(arr.astype(np.int64), column, origin, unit)
    if arr.dtype.kind == "b":
        raise _bad_time(arr, np.ones(arr.size, bool), column, origin,
                        "a boolean where a timestamp belongs:")
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr)) | (np.abs(arr) >= 2.0**63)
        if bad.any():
            raise _bad_time(arr, bad, column, origin,
                            "missing, fractional or out-of-range epoch timestamp")
        return epoch_ns(arr.astype(np.int64), column, origin, unit)
    items = arr.tolist()
    if items and all(isinstance(v, str) and _INT_RE.match(v) for v in items):
        big = [abs(int(v)) > _INT64_MAX for v in items]
        if any(big):
            raise _bad_time(items, np.array(big), column, origin, "out-of-range timestamp")
        return epoch_ns(np.array([int(v) for v in items], dtype=np.int64), column, origin, unit)
    odd = [isinstance(v, (bool, list, tuple, dict)) for v in items]
    if any(odd):
        raise _bad_time(items, np.array(odd), column, origin,
                        "not a timestamp (a boolean, array or object):")
    if items and all(isinstance(v, (int, float)) for v in items):
        # JSON numbers: ints, or floats such as 1.6094592e12 written by some exporters.
        if all(isinstance(v, int) for v in items):
            big = [abs(v) > _INT64_MAX for v in items]
            if any(big):
                raise _bad_time(items, np.array(big), column, origin, "out-of-range timestamp")
            return to_ns(np.array(items, dtype=np.int64), column, origin, unit)
        return to_ns(np.array(items, dtype=np.float64), column, origin, unit)
    numbers = [isinstance(v, (int, float)) for v in items]
    if any(numbers) and any(isinstance(v, str) for v in items):
        first = numbers[0]
        raise _bad_time(items, np.array([n != first for n in numbers]), column, origin,
                        "timestamps mix epoch numbers and text; this one differs from the "
                        "first:")
    if unit is not None:
        raise _text_refused(column, origin, unit)
    strings = all(isinstance(v, str) for v in items)
    try:
        parsed = pd.to_datetime(pd.Series(items, dtype=object), utc=True, errors="coerce",
                                format="ISO8601" if strings else None)
    except (TypeError, ValueError, OverflowError):
        parsed = pd.Series([pd.NaT] * len(items))
    bad = np.asarray(parsed.isna())
    if bad.any():
        raise _bad_time(items, bad, column, origin)
    return np.asarray(pd.DatetimeIndex(parsed).as_unit("ns").asi8, dtype=np.int64)
