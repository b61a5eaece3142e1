"""``dataset_id_v2``: the canonical byte encoding of candle data and its SHA-256.

Layout of :func:`encode_frames` (DESIGN section 2)::

    b"QRPDS2\\n"
    canonical JSON header, then b"\\n"
        {"assets": [{"columns": [[name, dtype], ...], "name": asset, "rows": n}, ...]}
        assets sorted by name, columns sorted by name, dtype "float64" or "int64"
    for each asset in sorted order:
        timestamps: n x int64, nanoseconds since the epoch, UTC, little-endian, ascending
        for each column in sorted order: n x float64 or int64, little-endian

Canonical values: every float NaN is written as the one bit pattern ``0x7ff8000000000000`` and
``-0.0`` as ``0.0``, so two frames with the same dtypes that compare equal cell by cell (NaN
counting as equal to NaN) encode to the same bytes. The header ends at the first newline:
canonical JSON escapes control characters inside strings and UTF-8 never puts ``0x0A`` inside a
multi-byte character, so the first ``\\n`` after the magic is always the end of the header.

What the encoding deliberately does *not* normalise: dtypes. An ``int64`` column and a ``float64``
column holding the same numbers are different data here, just as ``1`` and ``1.0`` are different
in canonical JSON. :mod:`qrp_jupyter.data` converts prices and volumes to ``float64`` before
hashing, which is why ``"100"`` in a CSV and ``100.0`` in a DataFrame give the same id there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import IdentityError
from .canonical import canonical_bytes, sha256_hex

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["DATASET_MAGIC", "CANONICAL_NAN_BITS", "DEFAULT_ASSET", "encode_frames",
           "decode_frames", "dataset_id_v2"]

DATASET_MAGIC = b"QRPDS2\n"
CANONICAL_NAN_BITS = 0x7FF8000000000000
# The asset name a lone DataFrame is registered under; qrp_jupyter.data uses the same constant so
# that dataset_id_v2(df) and data.from_dataframe(df).dataset_id_v2 agree.
DEFAULT_ASSET = "ASSET"
OHLCV = ("open", "high", "low", "close", "volume")
_DTYPES = {"float64": "<f8", "int64": "<i8"}
_FIX_FRAME = ("pass a DataFrame with a DatetimeIndex and float64/int64 columns, e.g. one built by "
              "qrp_jupyter.data.from_dataframe")


def _utc_ns(index: pd.Index, asset: str) -> np.ndarray:
    """Timestamps as int64 ns UTC; a tz-naive index is taken to be UTC already."""
    import numpy as np  # local: identity must stay importable cheaply (no pandas at import)
    import pandas as pd

    if not isinstance(index, pd.DatetimeIndex):
        raise IdentityError(f"asset {asset!r} is indexed by {type(index).__name__}, "
                            "not a DatetimeIndex", where=f"asset {asset!r}", fix=_FIX_FRAME)
    if index.hasnans:
        raise IdentityError(f"asset {asset!r} has a missing timestamp (NaT)",
                            where=f"asset {asset!r}, row {int(np.argmax(index.isna()))}",
                            fix="drop or repair the row without a timestamp")
    idx = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    try:
        # pandas 3 defaults to microsecond resolution; the encoding is defined in nanoseconds.
        return np.ascontiguousarray(idx.as_unit("ns").asi8, dtype="<i8")
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        raise IdentityError(f"asset {asset!r} has timestamps outside the int64 nanosecond range "
                            f"({idx.min()} .. {idx.max()})", where=f"asset {asset!r}",
                            fix="check the timestamp unit (seconds vs milliseconds)") from None


def _column_bytes(values: pd.Series, asset: str, column: str) -> tuple[str, np.ndarray]:
    """One column as (dtype name, little-endian array) with NaN and -0.0 folded."""
    import numpy as np

    dtype = values.dtype
    kind = getattr(dtype, "kind", "O")
    if isinstance(dtype, np.dtype) and kind == "f":
        # Upcasting float16/float32 is exact, so it is the same numbers, not a guess.
        arr = np.array(values.to_numpy(), dtype="<f8", copy=True)
        bits = arr.view("<u8")
        bits[np.isnan(arr)] = CANONICAL_NAN_BITS
        bits[arr == 0.0] = 0  # folds -0.0 into +0.0
        return "float64", arr
    if isinstance(dtype, np.dtype) and kind in "iu":
        raw = values.to_numpy()
        if kind == "u" and raw.size and raw.max() > np.iinfo(np.int64).max:
            raise IdentityError(f"column {column!r} of asset {asset!r} holds {raw.max()}, "
                                "beyond int64", where=f"asset {asset!r}, column {column!r}",
                                fix="store it as float64 or scale it down")
        return "int64", np.ascontiguousarray(raw, dtype="<i8")
    raise IdentityError(f"column {column!r} of asset {asset!r} has dtype {str(dtype)!r}, which "
                        "has no canonical encoding (only float64 and int64 do)",
                        where=f"asset {asset!r}, column {column!r}",
                        fix="convert it with pd.to_numeric(...).astype('float64') or drop it")


def _check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name:
        raise IdentityError(f"{what} name {name!r} is not a non-empty string", where=what,
                            fix=f"give every {what} a non-empty str name")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise IdentityError(f"{what} name {name!r} cannot be written as UTF-8 (lone surrogate)",
                            where=what, fix=f"rename the {what} with valid Unicode text") from None
    return name


def encode_frames(frames: Mapping[str, pd.DataFrame]) -> bytes:
    """Canonical bytes of one or several assets' candles.

    Parameters
    ----------
    frames
        Asset name -> DataFrame with a DatetimeIndex (tz-naive is read as UTC) and float or
        integer columns. Asset order, column order and row order do not matter: assets and
        columns are sorted by name, rows by timestamp.

    Returns
    -------
    bytes
        The layout described in the module docstring.

    Raises
    ------
    IdentityError
        No assets, an asset without rows, duplicate timestamps (their order would be arbitrary),
        a non-numeric column or a non-string name.
    """
    import numpy as np
    import pandas as pd

    if not isinstance(frames, Mapping) or not frames:
        got = "an empty mapping" if isinstance(frames, Mapping) else type(frames).__name__
        raise IdentityError(f"no assets to encode (got {got}); empty data has no identity",
                            where="encode_frames",
                            fix="pass {asset: DataFrame} with at least one non-empty frame")
    header: list[dict[str, Any]] = []
    body: list[bytes] = []
    for asset in sorted(_check_name(a, "asset") for a in frames):
        df = frames[asset]
        if not isinstance(df, pd.DataFrame):
            raise IdentityError(f"asset {asset!r} is a {type(df).__name__}, not a DataFrame",
                                where=f"asset {asset!r}", fix=_FIX_FRAME)
        if len(df) == 0:
            raise IdentityError(f"asset {asset!r} has 0 rows; empty data has no identity",
                                where=f"asset {asset!r}", fix="drop the asset or load its data")
        names = [_check_name(c, "column") for c in df.columns]
        if len(set(names)) != len(names):
            dup = sorted({c for c in names if names.count(c) > 1})
            raise IdentityError(f"asset {asset!r} has duplicate column names {dup}",
                                where=f"asset {asset!r}", fix="rename or drop the duplicates")
        if "timestamp" in names:
            raise IdentityError(f"asset {asset!r} has a column named 'timestamp'; that name is "
                                "the index's", where=f"asset {asset!r}",
                                fix="move it into the index with df.set_index('timestamp')")
        ts = _utc_ns(df.index, asset)
        order = np.argsort(ts, kind="stable")
        ts = ts[order]
        same = np.flatnonzero(ts[1:] == ts[:-1])
        if same.size:
            when = pd.Timestamp(int(ts[same[0]]), tz="UTC").isoformat()
            raise IdentityError(f"asset {asset!r} has the timestamp {when} twice, so its row order "
                                "would be arbitrary", where=f"asset {asset!r}",
                                fix="drop duplicate timestamps before hashing")
        cols = []
        chunks = [ts.tobytes()]
        for name in sorted(names):
            dtype, arr = _column_bytes(df[name], asset, name)
            cols.append([name, dtype])
            chunks.append(arr[order].tobytes())
        header.append({"name": asset, "rows": int(ts.size), "columns": cols})
        body.extend(chunks)
    return DATASET_MAGIC + canonical_bytes({"assets": header}) + b"\n" + b"".join(body)


def _bad(what: str, fix: str = "re-encode the frames with encode_frames") -> IdentityError:
    return IdentityError(what, where="dataset bytes", fix=fix)


def _read_header(data: bytes) -> tuple[list[dict[str, Any]], int]:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise _bad(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data.startswith(DATASET_MAGIC):
        raise _bad(f"bytes start with {data[:len(DATASET_MAGIC)]!r}, not the dataset tag "
                   f"{DATASET_MAGIC!r}", fix="pass bytes produced by encode_frames / "
                   "Dataset.to_bytes (QRP dataset encoding version 2)")
    end = data.find(b"\n", len(DATASET_MAGIC))
    if end < 0:
        raise _bad("the header has no terminating newline (truncated bytes?)")
    try:
        header = json.loads(data[len(DATASET_MAGIC):end].decode("utf-8"))
        assets = header["assets"]
        if set(header) != {"assets"} or not isinstance(assets, list) or not assets:
            raise ValueError("the header must be {'assets': [non-empty list]}")
        for entry in assets:
            if set(entry) != {"name", "rows", "columns"} or not isinstance(entry["rows"], int) \
                    or isinstance(entry["rows"], bool) or entry["rows"] < 1:
                raise ValueError(f"malformed asset entry {entry!r}")
            for col in entry["columns"]:
                if not (isinstance(col, list) and len(col) == 2 and col[1] in _DTYPES):
                    raise ValueError(f"malformed column entry {col!r}")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise _bad(f"the dataset header is not valid: {exc}") from None
    return assets, end + 1


def _ordered(columns: list[str]) -> list[str]:
    # Present OHLCV candles in the order people read them; anything else stays sorted.
    return list(OHLCV) if sorted(columns) == sorted(OHLCV) else sorted(columns)


def decode_frames(data: bytes) -> dict[str, pd.DataFrame]:
    """Exact inverse of :func:`encode_frames`.

    Returns
    -------
    dict
        Asset -> DataFrame with a ``DatetimeIndex`` (ns, tz=UTC) named ``timestamp``; columns
        ``open, high, low, close, volume`` when those are the columns, otherwise sorted.

    Raises
    ------
    IdentityError
        Wrong tag, malformed header, truncated or trailing bytes, or bytes that are not in
        canonical form (unsorted timestamps, a non-canonical NaN, ``-0.0``): such bytes could not
        have come from :func:`encode_frames` and would not hash to their own content's id.
    """
    import numpy as np
    import pandas as pd

    assets, pos = _read_header(data)
    data = bytes(data)
    out: dict[str, pd.DataFrame] = {}
    for entry in assets:
        n = entry["rows"]
        need = 8 * n * (1 + len(entry["columns"]))
        if pos + need > len(data):
            raise _bad(f"asset {entry['name']!r} needs {need} bytes but only "
                       f"{len(data) - pos} remain (truncated bytes?)")
        ts = np.frombuffer(data, dtype="<i8", count=n, offset=pos).astype(np.int64)
        pos += 8 * n
        cols = {}
        for name, dtype in entry["columns"]:
            cols[name] = np.frombuffer(data, dtype=_DTYPES[dtype], count=n, offset=pos) \
                .astype(dtype)
            pos += 8 * n
        index = pd.DatetimeIndex(ts.view("M8[ns]"), name="timestamp").tz_localize("UTC")
        df = pd.DataFrame(cols, index=index)
        out[entry["name"]] = df[_ordered(list(cols))] if cols else df
    if pos != len(data):
        raise _bad(f"{len(data) - pos} unexpected bytes after the last asset")
    # Re-encoding is the simplest complete test of canonical form: it checks sort order, NaN bits,
    # -0.0, duplicate timestamps and the header's own key/asset order in one comparison.
    if encode_frames(out) != data:
        raise _bad("the bytes are not in canonical form (unsorted rows, non-canonical NaN or "
                   "-0.0, or unsorted header)")
    return out


def dataset_id_v2(frames_or_df: Any) -> str:
    """Full 64-hex SHA-256 of the canonical encoding of a dataset.

    Parameters
    ----------
    frames_or_df
        A ``{asset: DataFrame}`` mapping, a single DataFrame (registered as asset
        ``"ASSET"``, like ``qrp_jupyter.data.from_dataframe``'s default), or anything with a
        ``to_bytes()`` method returning the canonical encoding (a ``qrp_jupyter.data.Dataset``).

    Raises
    ------
    IdentityError
        Empty data (no assets, or an asset with no rows) or anything :func:`encode_frames`
        refuses.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"close": [1.0, 2.0]},
    ...                   index=pd.to_datetime(["2021-01-01", "2021-01-02"], utc=True))
    >>> dataset_id_v2(df) == dataset_id_v2({"ASSET": df[["close"]]})
    True
    >>> len(dataset_id_v2(df))
    64
    """
    import pandas as pd

    if isinstance(frames_or_df, pd.DataFrame):
        data = encode_frames({DEFAULT_ASSET: frames_or_df})
    elif isinstance(frames_or_df, Mapping):
        data = encode_frames(frames_or_df)
    elif callable(getattr(frames_or_df, "to_bytes", None)):
        data = frames_or_df.to_bytes()
        if not isinstance(data, bytes) or not data.startswith(DATASET_MAGIC):
            raise IdentityError(f"{type(frames_or_df).__name__}.to_bytes() did not return a "
                                "canonical dataset encoding", where="dataset_id_v2",
                                fix="pass a qrp_jupyter.data.Dataset or {asset: DataFrame}")
    else:
        raise IdentityError(f"cannot identify a {type(frames_or_df).__name__} as a dataset",
                            where="dataset_id_v2",
                            fix="pass a DataFrame, {asset: DataFrame} or a Dataset")
    return sha256_hex(data)
