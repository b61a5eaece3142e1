"""The registered candles of a run: :class:`Dataset` and its DataFrame constructors."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..identity.canonical import sha256_hex
from ..identity.dataset import DEFAULT_ASSET, decode_frames, encode_frames
from ._coerce import map_columns, missing_columns, to_float, to_ns
from .validate import OHLCV, Origin, common_interval, format_interval, gap_stats, iso, \
    validate_asset

__all__ = ["Dataset", "from_dataframe", "from_frames", "YEAR_NS", "check_name"]

# Crypto trades every day of the year, so a "year" of bars is 365 days of them (DESIGN section
# 6: hourly = 8760); leap days are not worth a fractional 365.25 in every annualisation.
YEAR_NS = 365 * 86_400 * 10**9

Arrays = tuple[np.ndarray, dict[str, np.ndarray], Origin]


def _frame(ts: np.ndarray, cols: Mapping[str, np.ndarray]) -> pd.DataFrame:
    index = pd.DatetimeIndex(ts.astype("M8[ns]"), name="timestamp").tz_localize("UTC")
    # One block per column, built on the validated arrays: no 2-D copy of every value.
    return pd.DataFrame({c: np.asarray(cols[c], dtype=np.float64) for c in OHLCV}, index=index,
                        copy=False)


def check_name(name: object, where: str = "name") -> None:
    """A dataset name is ``None`` or a string with something visible in it."""
    if name is None:
        return
    if not isinstance(name, str):
        raise DataError(f"dataset name {name!r} is not a string", where=where,
                        fix="pass a str or None")
    if not name.strip():
        raise DataError(f"dataset name {name!r} is blank", where=where,
                        fix="give a name with at least one visible character, or leave the "
                        "name out (the dataset is always reachable by its id)")


def build(arrays: Mapping[str, Arrays], *, name: str | None, source: str) -> Dataset:
    """Validate every asset, then build the Dataset: nothing exists until all assets passed."""
    check_name(name)
    if not arrays:
        raise DataError("no assets: the data is empty", where=source,
                        fix="load at least one asset with at least two candles")
    intervals = {a: validate_asset(ts, cols, origin) for a, (ts, cols, origin) in arrays.items()}
    interval = common_interval(intervals)
    frames = {a: _frame(ts, cols) for a, (ts, cols, _) in arrays.items()}
    return Dataset._trusted(frames, interval, name=name, source=source)


def frame_arrays(df: pd.DataFrame, origin: Origin) -> Arrays:
    """One asset's DataFrame -> (int64 ns, {column: float64}, origin), columns found by alias."""
    where = origin.where()
    found = map_columns(df.columns, where)
    if isinstance(df.index, pd.DatetimeIndex):
        ts = to_ns(df.index, "index", origin)
    elif "timestamp" in found:
        ts = to_ns(df[found["timestamp"]], str(found["timestamp"]), origin)
    elif df.index.name is not None and "timestamp" in map_columns([df.index.name], where):
        ts = to_ns(df.index, str(df.index.name), origin)
    else:
        raise DataError(f"no timestamps: the index is a {type(df.index).__name__} and no column "
                        f"is a timestamp (columns {[str(c) for c in df.columns]})", where=where,
                        fix="use a DatetimeIndex or add a 'timestamp' (or 'date', 'open_time') "
                        "column")
    missing_columns(found, OHLCV, df.columns, where)
    cols = {}
    for name in OHLCV:
        series = df[found[name]]
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
                series.dtype):
            cols[name] = series.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            cols[name] = to_float(series.to_numpy(dtype=object), name, origin)
    return ts, cols, origin


def from_dataframe(df: pd.DataFrame, *, asset: str = DEFAULT_ASSET,
                   name: str | None = None) -> Dataset:
    """Register candles held in a DataFrame.

    Parameters
    ----------
    df
        Candles with a ``DatetimeIndex`` or a ``timestamp`` / ``date`` / ``open_time`` column
        (datetimes, ISO-8601 strings, or epoch integers in s/ms/us/ns told apart by magnitude;
        tz-naive means UTC) and ``open, high, low, close, volume`` columns. Column names are
        case-insensitive and common aliases (``o``, ``vol``, ``Open time``) are recognised;
        other columns are ignored. A long panel with an ``asset`` or ``symbol`` column becomes
        one asset per distinct value.
    asset
        The asset name of a single-asset frame (ignored for a panel).
    name
        Optional display name of the dataset (never part of its id).

    Raises
    ------
    DataError
        Anything :func:`qrp_jupyter.data.validate.validate_asset` refuses, located by asset,
        ``df.iloc`` position, timestamp and column.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}",
                        where="from_dataframe", fix="pass a DataFrame, or use load(path)")
    found = map_columns(df.columns, "DataFrame columns")
    if "asset" not in found:
        origin = Origin(str(asset), label="df.iloc[{}]")
        return build({str(asset): frame_arrays(df, origin)}, name=name, source="dataframe")
    key = found["asset"]
    labels = df[key]
    if labels.isna().any():
        row = int(np.flatnonzero(labels.isna().to_numpy())[0])
        raise DataError(f"the {str(key)!r} column is empty in df.iloc[{row}]",
                        where=f"df.iloc[{row}], column {str(key)!r}",
                        fix="give every row of the panel an asset name")
    arrays = {}
    for value in sorted({str(v).strip() for v in labels}):
        rows = np.flatnonzero(labels.astype(str).str.strip().to_numpy() == value)
        origin = Origin(value, positions=rows, label="df.iloc[{}]")
        arrays[value] = frame_arrays(df.iloc[rows].drop(columns=[key]), origin)
    return build(arrays, name=name, source="dataframe")


def from_frames(frames: Mapping[str, pd.DataFrame], *, name: str | None = None) -> Dataset:
    """Register several assets given as ``{asset: DataFrame}`` (each as in from_dataframe)."""
    if not isinstance(frames, Mapping):
        raise DataError(f"expected a mapping of asset -> DataFrame, got {type(frames).__name__}",
                        where="from_frames", fix="pass {'BTC-USDT': df_btc, ...}")
    arrays = {}
    for asset, df in frames.items():
        if not isinstance(asset, str) or not asset.strip():
            raise DataError(f"asset name {asset!r} is not a non-empty string",
                            where="from_frames", fix="key the mapping by asset names")
        if not isinstance(df, pd.DataFrame):
            raise DataError(f"asset {asset!r} is a {type(df).__name__}, not a DataFrame",
                            where=f"frames[{asset!r}]", fix="pass one DataFrame per asset")
        arrays[asset] = frame_arrays(df, Origin(asset, label=f"frames[{asset!r}].iloc[{{}}]"))
    return build(arrays, name=name, source="frames")


class Dataset:
    """Validated candles of one or several assets: an immutable value object.

    Build one with :func:`from_dataframe`, :func:`from_frames`, :func:`qrp_jupyter.data.load`
    or :func:`qrp_jupyter.data.synthetic`; ``Dataset(frames)`` is the same as ``from_frames``.

    Attributes
    ----------
    frames
        Asset -> DataFrame with a ``DatetimeIndex`` (ns, UTC) named ``timestamp`` and float64
        columns ``open, high, low, close, volume``, ascending with unique timestamps. Each access
        hands out copy-on-write copies, so editing them never changes the dataset.
    name, source
        Descriptive only; never part of :attr:`dataset_id_v2`.
    interval_ns
        The bar interval: the most common step between timestamps.

    Notes
    -----
    Equality compares ids, name and source (all fields); to ask "same data?", compare
    :attr:`dataset_id_v2`.
    """

    __slots__ = ("_frames", "_ts", "name", "source", "interval_ns", "_id")

    def __init__(self, frames: Mapping[str, pd.DataFrame], *, name: str | None = None,
                 source: str = "frames"):
        built = from_frames(frames, name=name)
        self._init(built._frames, built.interval_ns, name, source)

    @classmethod
    def _trusted(cls, frames: dict[str, pd.DataFrame], interval_ns: int, *, name: str | None,
                 source: str) -> Dataset:
        self = object.__new__(cls)
        self._init(frames, interval_ns, name, source)
        return self

    def _init(self, frames: dict[str, pd.DataFrame], interval_ns: int, name: str | None,
              source: str) -> None:
        check_name(name)
        ordered = {a: frames[a] for a in sorted(frames)}
        ts = {}
        for asset, df in ordered.items():
            arr = np.array(df.index.asi8, dtype=np.int64)
            arr.flags.writeable = False
            ts[asset] = arr
        for slot, value in (("_frames", ordered), ("_ts", ts), ("name", name),
                            ("source", str(source)), ("interval_ns", int(interval_ns)),
                            ("_id", None)):
            object.__setattr__(self, slot, value)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"Dataset is immutable; cannot set {key!r}")

    def __delattr__(self, key: str) -> None:
        raise AttributeError(f"Dataset is immutable; cannot delete {key!r}")

    # -- identity --------------------------------------------------------------------------
    @property
    def dataset_id_v2(self) -> str:
        """Full 64-hex SHA-256 of :meth:`to_bytes` (computed once)."""
        if self._id is None:
            object.__setattr__(self, "_id", sha256_hex(self.to_bytes()))
        return self._id

    def to_bytes(self) -> bytes:
        """The canonical encoding (:func:`qrp_jupyter.identity.encode_frames`)."""
        data = encode_frames(self._frames)
        if self._id is None:
            # Hash now: registering asks for the bytes and then the id, and encoding a
            # 10-million-row dataset a second time would cost another ~500 MB.
            object.__setattr__(self, "_id", sha256_hex(data))
        return data

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str | None = None,
                   source: str = "store") -> Dataset:
        """Rebuild a dataset from :meth:`to_bytes` output, validating it again.

        Raises ``IdentityError`` for bytes that are not a canonical encoding and
        :class:`DataError` for a valid encoding of data that is not valid candles.
        """
        frames = decode_frames(data)
        arrays = {}
        for asset, df in frames.items():
            if list(df.columns) != list(OHLCV) or any(df[c].dtype != np.float64 for c in OHLCV):
                raise DataError(f"stored asset {asset!r} has columns "
                                f"{[f'{c}:{df[c].dtype}' for c in df.columns]}, not float64 "
                                f"{list(OHLCV)}", where=f"dataset bytes, asset {asset!r}",
                                fix="store candles through qrp_jupyter.data.Dataset.to_bytes")
            arrays[asset] = frame_arrays(df, Origin(asset, label="stored row {}"))
        return build(arrays, name=name, source=source)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dataset):
            return NotImplemented
        return (self.dataset_id_v2, self.name, self.source) == \
            (other.dataset_id_v2, other.name, other.source)

    def __hash__(self) -> int:
        return hash((self.dataset_id_v2, self.name, self.source))

    # -- access ----------------------------------------------------------------------------
    @property
    def assets(self) -> tuple[str, ...]:
        """Asset names, sorted."""
        return tuple(self._frames)

    @property
    def frames(self) -> Mapping[str, pd.DataFrame]:
        """Read-only mapping of copy-on-write copies of the canonical frames."""
        out = {}
        for asset, df in self._frames.items():
            copy = df.copy(deep=False)
            copy.index = df.index.copy()  # Index.name is mutable and would be shared otherwise
            out[asset] = copy
        return MappingProxyType(out)

    def _asset(self, asset: str | None) -> str:
        if asset is None:
            if len(self._frames) == 1:
                return next(iter(self._frames))
            raise DataError(f"this dataset has {len(self._frames)} assets {list(self.assets)}; "
                            "say which one", where="asset=None",
                            fix=f"pass asset=, e.g. asset={self.assets[0]!r}")
        if asset not in self._frames:
            raise DataError(f"no asset {asset!r} in this dataset (it has {list(self.assets)})",
                            where=f"asset={asset!r}", fix="use one of the listed asset names")
        return asset

    def close(self, asset: str | None = None) -> np.ndarray:
        """Close prices as a read-only float64 array of shape (T,)."""
        arr = self._frames[self._asset(asset)]["close"].to_numpy()
        if arr.flags.writeable:  # pandas without copy-on-write hands out a writable view
            arr = arr.copy()
            arr.flags.writeable = False
        return arr

    def timestamps(self, asset: str | None = None) -> np.ndarray:
        """Candle open times as a read-only int64 array of nanoseconds since the epoch, UTC."""
        return self._ts[self._asset(asset)]

    @property
    def periods_per_year(self) -> float:
        """Bars per 365-day year: 1h -> 8760, 1d -> 365, 5m -> 105120."""
        return YEAR_NS / self.interval_ns

    @property
    def interval(self) -> str:
        """The bar interval as text, e.g. ``"1h"``."""
        return format_interval(self.interval_ns)

    def summary(self) -> dict[str, Any]:
        """JSON-ready description: id, name, source, interval, and per asset rows, first and
        last candle, gap events and missing bars."""
        per_asset = {}
        for asset, ts in self._ts.items():
            gaps, missing = gap_stats(ts, self.interval_ns)
            per_asset[asset] = {"rows": int(ts.size), "first": iso(ts[0]), "last": iso(ts[-1]),
                                "gaps": gaps, "missing_bars": missing}
        return {"dataset_id_v2": self.dataset_id_v2, "name": self.name, "source": self.source,
                "assets": list(self.assets), "interval": self.interval,
                "interval_ns": self.interval_ns, "periods_per_year": self.periods_per_year,
                "per_asset": per_asset}

    def __repr__(self) -> str:
        rows = sum(ts.size for ts in self._ts.values())
        return (f"Dataset(name={self.name!r}, assets={self.assets!r}, rows={rows}, "
                f"interval={self.interval!r}, id={self.dataset_id_v2[:12]}..., "
                f"source={self.source!r})")
