"""Reading candle files: generic CSV, Binance kline archives, CryptoDataDownload, freqtrade JSON.

Files are read with the :mod:`csv` module rather than ``pandas.read_csv`` so that every row keeps
the line number an editor shows (header, URL and blank lines included); errors then say
``BTCUSDT-1h-2022-01.csv:17`` instead of a row index the user has to translate.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from ._coerce import canonical_name, map_columns, missing_columns, to_float, to_ns
from .dataset import Arrays, Dataset, build
from .validate import OHLCV, Origin

__all__ = ["FORMATS", "read_csv", "read_json", "load", "asset_from_filename"]

FORMATS = ("auto", "generic", "binance_kline", "cryptodatadownload")
_SUFFIXES = (".csv.gz", ".csv", ".json.gz", ".json")
_TF = r"\d+(?:s|m|h|d|w|M|min)"
# File-name conventions, most specific first; the first group is the asset.
_NAME_RULES = (
    re.compile(r"^[a-z][a-z0-9-]*_([A-Za-z0-9]+-[A-Za-z0-9]+)_" + _TF + "$"),  # binance_BTC-USDT_1h
    re.compile(r"^([A-Z0-9]+)-" + _TF + r"-\d{4}-\d{2}(?:-\d{2})?$"),          # BTCUSDT-1h-2022-01
    re.compile(r"^[A-Za-z]+_([A-Z0-9]+)_(?:d|" + _TF + r"|minute|hour|day)$"),  # Binance_ETCBTC_d
    re.compile(r"^([A-Z0-9]+(?:_[A-Z0-9]+)+)-" + _TF + r"(?:-[a-z_]+)?$"),     # XRP_ETH-5m
)
_KLINE_FIELDS = 12


def asset_from_filename(path: str | Path) -> str:
    """The asset a file name describes.

    ``binance_BTC-USDT_1h.csv.gz`` -> ``BTC-USDT``; ``BTCUSDT-1h-2022-01.csv`` -> ``BTCUSDT``;
    ``Binance_ETCBTC_d.csv`` -> ``ETCBTC``; freqtrade's ``XRP_ETH-5m.json`` -> ``XRP-ETH`` and
    ``XRP_USDT_USDT-1h-futures.json`` -> ``XRP-USDT-USDT``; anything else -> the name without
    its suffix.

    >>> asset_from_filename("data/binance_BTC-USDT_1h.csv.gz")
    'BTC-USDT'
    """
    stem = Path(path).name
    for suffix in _SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    for rule in _NAME_RULES:
        match = rule.match(stem)
        if match:
            return match.group(1).replace("_", "-")
    return stem


def _open_text(path: Path):
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def _io_error(path: Path, exc: Exception) -> DataError:
    if isinstance(exc, FileNotFoundError):
        return DataError(f"no such file {str(path)!r}", where=str(path),
                         fix="check the path (relative paths start at the working directory)")
    return DataError(f"cannot read {str(path)!r}: {exc}", where=str(path),
                     fix="pass an uncompressed or gzip-compressed UTF-8 text file")


def _records(path: Path) -> tuple[list[list[str]], list[int]]:
    """Non-blank CSV records and the line number each one ends on."""
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        with _open_text(path) as fh:
            reader = csv.reader(fh)
            for rec in reader:
                if rec and any(field.strip() for field in rec):
                    rows.append(rec)
                    lines.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(f"malformed CSV: {exc}", where=f"{path}:{reader.line_num}",
                        fix="check quoting on that line") from None
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise _io_error(path, exc) from None
    if not rows:
        raise DataError(f"file {path.name!r} is empty", where=str(path),
                        fix="point at a file that contains candles")
    return rows, lines


def _columns(rows: list[list[str]], lines: list[int], width: int, path: Path) -> list[tuple]:
    """Transpose rows into columns, insisting on ``width`` fields per row."""
    for rec, line in zip(rows, lines):
        if len(rec) != width:
            raise DataError(f"row has {len(rec)} fields, expected {width}: {','.join(rec)!r}",
                            where=f"{path}:{line}", fix="repair or remove that line")
    return list(zip(*rows)) if rows else [() for _ in range(width)]


def _header_only(path: Path, line: int) -> DataError:
    return DataError(f"file {path.name!r} has a header but no candles", where=f"{path}:{line}",
                     fix="point at a file that contains candles")


def _arrays(ts_raw, cols_raw: dict[str, Any], ts_name: str, origin: Origin):
    ts = to_ns(ts_raw, ts_name, origin)
    return ts, {c: to_float(cols_raw[c], c, origin) for c in OHLCV}, origin


def _generic(path: Path, rows, lines, asset: str) -> dict[str, Arrays]:
    header, data, data_lines = rows[0], rows[1:], lines[1:]
    where = f"{path}:{lines[0]}"
    found = map_columns(header, where)
    missing_columns(found, ("timestamp",) + OHLCV, header, where)
    if not data:
        raise _header_only(path, lines[0])
    cols = _columns(data, data_lines, len(header), path)
    pick = {c: np.array(cols[header.index(found[c])], dtype=object) for c in found}
    line_no = np.asarray(data_lines, dtype=np.int64)
    if "asset" not in found:
        origin = Origin(asset, file=str(path), positions=line_no, label="line")
        return {asset: _arrays(pick["timestamp"], pick, str(found["timestamp"]), origin)}
    # A long panel (one row per asset and time), split by its asset/symbol column.
    labels = np.array([v.strip() for v in pick["asset"]], dtype=object)
    out = {}
    for value in sorted(set(labels)):
        if not value:
            row = int(np.flatnonzero(labels == "")[0])
            raise DataError(f"empty {found['asset']!r} value", where=f"{path}:{line_no[row]}",
                            fix="give every row of the panel an asset name")
        rows_of = np.flatnonzero(labels == value)
        origin = Origin(value, file=str(path), positions=line_no[rows_of], label="line")
        sub = {c: v[rows_of] for c, v in pick.items()}
        out[value] = _arrays(sub["timestamp"], sub, str(found["timestamp"]), origin)
    return out


def _binance_kline(path: Path, rows, lines, asset: str) -> dict[str, Arrays]:
    # Binance's own archives have no header; copies made by other tools often add one.
    has_header = not rows[0][0].strip().isdigit()
    data, data_lines = (rows[1:], lines[1:]) if has_header else (rows, lines)
    if not data:
        raise _header_only(path, lines[0])
    cols = _columns(data, data_lines, _KLINE_FIELDS, path)
    origin = Origin(asset, file=str(path), positions=data_lines, label="line")
    return {asset: _arrays(cols[0], dict(zip(OHLCV, cols[1:6])), "open_time", origin)}


def _cryptodatadownload(path: Path, rows, lines, asset: str) -> dict[str, Arrays]:
    # Line 1 is the provider's URL (or "Created on ..."); tolerate its absence.
    start = 0 if canonical_name(rows[0][0]) == "timestamp" else 1
    if start >= len(rows):
        raise _header_only(path, lines[0])
    header = [h.strip() for h in rows[start]]
    lower = [h.lower() for h in header]
    where = f"{path}:{lines[start]}"
    found = map_columns(header, where)
    unix = [h for h, low in zip(header, lower) if low.startswith("unix")]
    if unix:
        # Epoch beats the "date" text: older exports wrote dates like "2020-12-30 11-PM".
        found["timestamp"] = unix[0]
    data, data_lines = rows[start + 1:], lines[start + 1:]
    # Two volume columns, "Volume ETC" (base) and "Volume BTC" (quote); QRP's volume is base.
    vols = [h for h in header if h.lower().startswith("volume")]
    if vols and "volume" not in found:
        found["volume"] = vols[0]  # the exporter lists the base currency first
        if "asset" in found and data and "/" in data[0][header.index(found["asset"])]:
            base = data[0][header.index(found["asset"])].split("/")[0].strip().lower()
            found["volume"] = next((h for h in vols if h.lower() == f"volume {base}"), vols[0])
    missing_columns(found, ("timestamp",) + OHLCV, header, where)
    if not data:
        raise _header_only(path, lines[start])
    cols = _columns(data, data_lines, len(header), path)
    pick = {c: cols[header.index(found[c])] for c in found}
    origin = Origin(asset, file=str(path), positions=data_lines, label="line")
    ts, values, origin = _arrays(pick["timestamp"], pick, str(found["timestamp"]), origin)
    # Newest first by design: sort, carrying the line numbers so errors still point right.
    order = np.argsort(ts, kind="stable")
    return {asset: (ts[order], {c: v[order] for c, v in values.items()},
                    origin.reordered(order))}


_READERS: dict[str, Callable] = {"generic": _generic, "binance_kline": _binance_kline,
                                 "cryptodatadownload": _cryptodatadownload}


def _sniff(path: Path, rows: list[list[str]], lines: list[int]) -> str:
    first = [f.strip() for f in rows[0]]
    text = ",".join(first).lower()
    if text.startswith(("http", "www.", "created")) or "cryptodatadownload" in text:
        return "cryptodatadownload"
    names = [canonical_name(f) for f in first]
    if first and first[0].lower() == "unix" and "asset" in names:
        return "cryptodatadownload"
    if len(first) == _KLINE_FIELDS and (first[0].isdigit() or first[0].lower().replace(" ", "")
                                        .replace("_", "") == "opentime"):
        return "binance_kline"
    if "timestamp" in names and all(c in names for c in ("open", "high", "low", "close")):
        return "generic"
    raise DataError(f"cannot tell the format of {path.name!r} from its first line "
                    f"{','.join(rows[0])[:120]!r}", where=f"{path}:{lines[0]}",
                    fix=f"pass format= one of {list(FORMATS[1:])}, or add the header "
                    "timestamp,open,high,low,close,volume")


def read_csv(path: str | Path, *, asset: str | None = None, name: str | None = None,
             format: str = "auto") -> Dataset:
    """Register candles from a CSV file (``.csv`` or ``.csv.gz``).

    Parameters
    ----------
    path
        The file.
    asset
        Asset name; by default derived from the file name (:func:`asset_from_filename`).
    name
        Optional display name of the dataset.
    format
        ``"generic"``: a header with ``timestamp, open, high, low, close, volume`` (any case,
        common aliases, extra columns ignored), ISO-8601 or epoch timestamps, ascending.
        ``"binance_kline"``: Binance's 12-column kline archive, with or without a header row,
        open time in ms or us, ascending. ``"cryptodatadownload"``: a URL line, then the header
        ``unix,date,symbol,open,high,low,close,Volume <BASE>,Volume <QUOTE>,...``, newest first
        (sorted here), unix in s or ms; the base-currency volume is used. ``"auto"`` (default)
        tells these apart from the first line. A generic file with an ``asset`` or ``symbol``
        column is a long panel and becomes one asset per value (``asset`` is then ignored).

    Raises
    ------
    DataError
        With ``file:line`` (as an editor counts lines) and the column for any bad value, and
        everything the validation refuses.
    """
    if format not in FORMATS:
        raise DataError(f"unknown CSV format {format!r}", where="read_csv(format=...)",
                        fix=f"use one of {list(FORMATS)}")
    path = Path(path)
    rows, lines = _records(path)
    fmt = _sniff(path, rows, lines) if format == "auto" else format
    asset = asset or asset_from_filename(path)
    arrays = _READERS[fmt](path, rows, lines, asset)
    return build(arrays, name=name, source=f"csv:{path.name}")


def _json_lines(text: str, n: int) -> Callable[[], np.ndarray | None]:
    """Lazily: the line each of the ``n`` candles starts on, or ``None`` if that is unclear
    (a bracket inside a string, say); errors then name the candle's index alone."""
    cache: list[np.ndarray | None] = []

    def lines() -> np.ndarray | None:
        if not cache:
            starts = [m.start() for m in re.finditer(r"\[(?=\s*[-+\d.\"nN])", text)]
            newlines = np.array([m.start() for m in re.finditer("\n", text)], dtype=np.int64)
            ok = len(starts) == n
            cache.append(np.searchsorted(newlines, starts) + 1 if ok else None)
        return cache[0]
    return lines


def read_json(path: str | Path, *, asset: str | None = None, name: str | None = None) -> Dataset:
    """Register candles from a JSON array ``[[ts_ms, open, high, low, close, volume], ...]``.

    This is how freqtrade (``PAIR-tf.json``, ``PAIR_SETTLE-tf-futures.json``) and CCXT's
    ``fetch_ohlcv`` write candles. Timestamps may also be s/us/ns (by magnitude) or ISO strings;
    ``.json.gz`` is read too.
    """
    path = Path(path)
    try:
        with _open_text(path) as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise _io_error(path, exc) from None
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON: {exc.msg}", where=f"{path}:{exc.lineno}",
                        fix="repair the file (it should be [[ts, o, h, l, c, v], ...])") from None
    asset = asset or asset_from_filename(path)
    if not isinstance(rows, list) or not rows:
        shape = "an empty array" if rows == [] else f"a JSON {type(rows).__name__}"
        raise DataError(f"expected a non-empty array of candles, found {shape}", where=str(path),
                        fix="write [[ts_ms, open, high, low, close, volume], ...]")
    origin = Origin(asset, file=str(path), label="candle #{}", lines=_json_lines(text, len(rows)))
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != 6:
            size = f"{len(row)} items" if isinstance(row, list) else f"a {type(row).__name__}"
            raise DataError(f"candle has {size}: {json.dumps(row)[:120]}", where=origin.where(i),
                            fix="each candle must be [timestamp_ms, open, high, low, close, "
                            "volume]")
    cols = list(zip(*rows))
    arrays = _arrays(np.array(cols[0], dtype=object), dict(zip(OHLCV, cols[1:])), "timestamp",
                     origin)
    return build({asset: arrays}, name=name, source=f"json:{path.name}")


def load(path: str | Path, **kw: Any) -> Dataset:
    """Register a candle file, choosing the reader by suffix (.csv, .csv.gz, .json, .json.gz)."""
    lower = Path(path).name.lower()
    if lower.endswith((".csv", ".csv.gz")):
        return read_csv(path, **kw)
    if lower.endswith((".json", ".json.gz")):
        fmt = kw.pop("format", "json")
        if fmt not in ("json", "auto"):
            raise DataError(f"format {fmt!r} does not apply to the JSON file {Path(path).name!r}",
                            where=str(path), fix="drop `format` (JSON files are "
                            "[[ts_ms, open, high, low, close, volume], ...] arrays)")
        return read_json(path, **kw)
    raise DataError(f"unsupported file type {Path(path).name!r}", where=str(path),
                    fix=f"use one of {list(_SUFFIXES)}, or build a DataFrame and call "
                    "from_dataframe")
