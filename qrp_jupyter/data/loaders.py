"""Reading candle files: generic CSV, Binance kline archives, CryptoDataDownload, freqtrade JSON.

Two CSV readers give the same arrays. Generic and Binance kline files are read first by pyarrow's
streaming CSV reader with explicit column types (:mod:`._arrow_csv`: a typed columnar parse in
C++, no Python object per cell, so a 10-million-row file fits in about a gigabyte). When pyarrow
refuses a file, or validation refuses its candles, the row-by-row :mod:`csv` reader below reads
it to say what is wrong: every row keeps the line number an editor shows (header, URL and blank
lines included), so errors say ``BTCUSDT-1h-2022-01.csv:17`` instead of a row index the user has
to translate. CryptoDataDownload files and long panels (an asset column) take the row-by-row
reader directly; they are small.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from . import _arrow_csv
from ._coerce import _INT_RE, _cell_problem, canonical_name, check_unit, epoch_ns, map_columns, \
    missing_columns, to_float, to_ns
from .dataset import Arrays, Dataset, build, check_name
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
_NL = b"\n"


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
    if isinstance(exc, IsADirectoryError):
        return DataError(f"{str(path)!r} is a directory, not a data file", where=str(path),
                         fix="pass the path of a CSV or JSON file")
    return DataError(f"cannot read {str(path)!r}: {exc}", where=str(path),
                     fix="pass an uncompressed or gzip-compressed UTF-8 text file")


def _check_utf8(path: Path) -> None:
    """Refuse a file that is not UTF-8, naming the line and the first bad byte.

    A streaming pass over the bytes (ASCII chunks are only checked, never decoded), so both
    readers refuse the same files, bytes in ignored columns included.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, offset = 1, 0
    try:
        with (gzip.open(path, "rb") if path.name.lower().endswith(".gz")
              else open(path, "rb")) as fh:
            while chunk := fh.read(1 << 22):
                if chunk.isascii() and not decoder.getstate()[0]:
                    line += chunk.count(b"\n")
                    offset += len(chunk)
                    continue
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    at = exc.start
                    bad = chunk[at:at + 4]
                    where = f"{path}:{line + chunk.count(_NL, 0, at)}"
                    raise DataError(
                        f"the file is not UTF-8 text: byte 0x{chunk[at]:02x} at byte offset "
                        f"{offset + at} cannot be decoded (near {bad!r})",
                        where=where,
                        fix="save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None
                line += chunk.count(b"\n")
                offset += len(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise DataError("the file is not UTF-8 text: it ends inside a multi-byte character",
                        where=f"{path}:{line}", fix="save the file as UTF-8") from None
    except (OSError, EOFError) as exc:
        raise _io_error(path, exc) from None


def _records(path: Path, limit: int | None = None) -> tuple[list[list[str]], list[int]]:
    """Non-blank CSV records and the line number each one ends on (the first ``limit``)."""
    rows: list[list[str]] = []
    lines: list[int] = []
    reader = None
    try:
        with _open_text(path) as fh:
            reader = csv.reader(fh)
            for rec in reader:
                if rec and any(field.strip() for field in rec):
                    rows.append(rec)
                    lines.append(reader.line_num)
                    if limit is not None and len(rows) >= limit:
                        break
    except csv.Error as exc:
        raise DataError(f"malformed CSV: {exc}",
                        where=f"{path}:{reader.line_num if reader else 1}",
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


def _arrays(ts_raw, cols_raw: dict[str, Any], ts_name: str, origin: Origin,
            unit: str | None = None):
    ts = to_ns(ts_raw, ts_name, origin, unit)
    return ts, {c: to_float(cols_raw[c], c, origin) for c in OHLCV}, origin


def _generic(path: Path, rows, lines, asset: str, unit: str | None = None) -> dict[str, Arrays]:
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
        return {asset: _arrays(pick["timestamp"], pick, str(found["timestamp"]), origin, unit)}
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
        out[value] = _arrays(sub["timestamp"], sub, str(found["timestamp"]), origin, unit)
    return out


def _binance_kline(path: Path, rows, lines, asset: str,
                   unit: str | None = None) -> dict[str, Arrays]:
    # Binance's own archives have no header; copies made by other tools often add one.
    has_header = not rows[0][0].strip().isdigit()
    data, data_lines = (rows[1:], lines[1:]) if has_header else (rows, lines)
    if not data:
        raise _header_only(path, lines[0])
    cols = _columns(data, data_lines, _KLINE_FIELDS, path)
    origin = Origin(asset, file=str(path), positions=data_lines, label="line")
    return {asset: _arrays(cols[0], dict(zip(OHLCV, cols[1:6])), "open_time", origin, unit)}


def _cryptodatadownload(path: Path, rows, lines, asset: str,
                        unit: str | None = None) -> dict[str, Arrays]:
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
    ts, values, origin = _arrays(pick["timestamp"], pick, str(found["timestamp"]), origin, unit)
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


def _fast_plan(fmt: str, path: Path, rows, lines) -> dict[str, Any] | None:
    """How pyarrow should read this file, or ``None`` when the row-by-row reader must.

    ``rows``/``lines`` are the file's first two records. Errors in the header itself (missing
    or ambiguous columns) are raised here with the same message the row-by-row reader gives.
    """
    if len(rows) < 2:
        return None  # header only or a single record: the row-by-row reader says what
    if fmt == "generic":
        header = rows[0]
        where = f"{path}:{lines[0]}"
        found = map_columns(header, where)
        missing_columns(found, ("timestamp",) + OHLCV, header, where)
        if "asset" in found or lines[0] != 1:
            return None
        picks = {c: header.index(found[c]) for c in ("timestamp",) + OHLCV}
        return {"width": len(header), "skip_rows": 1, "skip_records": 1, "picks": picks,
                "ts_name": str(found["timestamp"]), "first": rows[1]}
    if fmt == "binance_kline":
        has_header = not rows[0][0].strip().isdigit()
        if has_header and lines[0] != 1:
            return None
        picks = {"timestamp": 0, **{c: i + 1 for i, c in enumerate(OHLCV)}}
        return {"width": _KLINE_FIELDS, "skip_rows": int(has_header),
                "skip_records": int(has_header), "picks": picks, "ts_name": "open_time",
                "first": rows[1] if has_header else rows[0]}
    return None


def _iso_batch(values: np.ndarray) -> np.ndarray:
    """One batch of ISO-8601 texts -> int64 ns, exactly as :func:`to_ns` parses a column."""
    import pandas as pd
    parsed = pd.to_datetime(pd.Series(values, dtype=object), utc=True, errors="coerce",
                            format="ISO8601")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        raise _arrow_csv.ArrowRefused("unparseable timestamp", row=int(bad[0]),
                                      value=values[bad[0]])
    return np.asarray(pd.DatetimeIndex(parsed).as_unit("ns").asi8, dtype=np.int64)


def _fast_csv(path: Path, plan: dict[str, Any], asset: str, unit: str | None,
              name: str | None, source: str) -> Dataset | None:
    """The dataset read by pyarrow, or ``None`` when pyarrow refused a cell.

    Validation errors are raised with the line numbers of the row-by-row reader: the line of
    every data row is found by a streaming pass (one int64 per row), and only then.
    """
    ts_cell = plan["first"][plan["picks"]["timestamp"]] if \
        len(plan["first"]) > plan["picks"]["timestamp"] else ""
    epoch = bool(_INT_RE.match(ts_cell))
    if not epoch and unit is not None:
        return None  # the row-by-row reader explains that a unit does not apply to dates
    try:
        cols = _arrow_csv.read_columns(
            path, width=plan["width"], skip_rows=plan["skip_rows"], picks=plan["picks"],
            int_columns=frozenset({"timestamp"} if epoch else ()),
            text_columns=None if epoch else {"timestamp": _iso_batch})
    except _arrow_csv.ArrowRefused as exc:
        if exc.row is not None:  # a date pandas cannot read, found batch by batch
            lines = _arrow_csv.data_lines(lambda: _open_text(path), plan["skip_records"])
            if exc.row < lines.size:
                raise DataError(f"unparseable timestamp {exc.value!r}",
                                where=f"{path}:{lines[exc.row]}, column {plan['ts_name']!r}",
                                fix="use ISO-8601 (2021-03-01T13:00:00Z) or epoch "
                                "seconds/milliseconds") from None
        problem = _locate(path, plan, epoch)
        if problem is not None:
            raise problem from None
        return None
    raw = cols.pop("timestamp")

    def attempt(origin: Origin) -> Dataset:
        ts = epoch_ns(raw, plan["ts_name"], origin, unit) if epoch else raw
        return build({asset: (ts, cols, origin)}, name=name, source=source)

    try:
        return attempt(Origin(asset, file=str(path), label="row {}"))
    except DataError:
        lines = _arrow_csv.data_lines(lambda: _open_text(path), plan["skip_records"])
        if lines.size != raw.size:
            return None  # the readers disagree on the rows: let the row-by-row reader speak
        return attempt(Origin(asset, file=str(path), positions=lines, label="line"))


def _locate(path: Path, plan: dict[str, Any], epoch: bool) -> DataError | None:
    """The first bad record of a file pyarrow refused, found row by row in one streaming
    pass (nothing kept but the current record), or ``None`` if every cell passes the
    row-by-row reader's checks (then that reader reads the whole file)."""
    width, picks, ts_name = plan["width"], plan["picks"], plan["ts_name"]
    reader = None
    seen = 0
    try:
        with _open_text(path) as fh:
            reader = csv.reader(fh)
            for rec in reader:
                if not (rec and any(field.strip() for field in rec)):
                    continue
                seen += 1
                if seen <= plan["skip_records"]:
                    continue
                at = f"{path}:{reader.line_num}"
                if len(rec) != width:
                    return DataError(f"row has {len(rec)} fields, expected {width}: "
                                     f"{','.join(rec)[:200]!r}", where=at,
                                     fix="repair or remove that line")
                cell = rec[picks["timestamp"]]
                if epoch and not _INT_RE.match(cell):
                    return DataError(f"timestamp {cell[:60]!r} is not an epoch integer like the "
                                     "first row's", where=f"{at}, column {ts_name!r}",
                                     fix="write every timestamp the same way (epoch integers, "
                                     "or ISO-8601 text)")
                if epoch and abs(int(cell)) > np.iinfo(np.int64).max:
                    return DataError(f"out-of-range timestamp {cell[:60]!r}",
                                     where=f"{at}, column {ts_name!r}",
                                     fix="write epoch times in s, ms, us or ns since 1970")
                for column in OHLCV:
                    problem = _cell_problem(rec[picks[column]])
                    if problem:
                        return DataError(problem, where=f"{at}, column {column!r}",
                                         fix="write a plain decimal number (e.g. 37388.05) in "
                                         "every cell, or drop the candle")
    except csv.Error as exc:
        return DataError(f"malformed CSV: {exc}",
                         where=f"{path}:{reader.line_num if reader else 1}",
                         fix="check quoting on that line")
    return None


def read_csv(path: str | Path, *, asset: str | None = None, name: str | None = None,
             format: str = "auto", timestamp_unit: str | None = None) -> Dataset:
    """Register candles from a CSV file (``.csv`` or ``.csv.gz``).

    Parameters
    ----------
    path
        The file (UTF-8; a byte-order mark is allowed).
    asset
        Asset name; by default derived from the file name (:func:`asset_from_filename`).
    name
        Optional display name of the dataset (not blank).
    format
        ``"generic"``: a header with ``timestamp, open, high, low, close, volume`` (any case,
        common aliases, extra columns ignored), ISO-8601 or epoch timestamps, ascending.
        ``"binance_kline"``: Binance's 12-column kline archive, with or without a header row,
        open time in ms or us, ascending. ``"cryptodatadownload"``: a URL line, then the header
        ``unix,date,symbol,open,high,low,close,Volume <BASE>,Volume <QUOTE>,...``, newest first
        (sorted here), unix in s or ms; the base-currency volume is used. ``"auto"`` (default)
        tells these apart from the first line. A generic file with an ``asset`` or ``symbol``
        column is a long panel and becomes one asset per value (``asset`` is then ignored).
    timestamp_unit
        ``"s"``, ``"ms"``, ``"us"`` or ``"ns"``: the unit of epoch timestamps. By default it is
        inferred per value from its size, and a time that then falls outside 1990-2100 is
        refused (milliseconds near 1970 read as seconds would otherwise give 1000h bars).

    Numbers are plain ASCII decimals (``37388.05``, ``1e-3``): ``1_000`` is refused although
    Python's ``float()`` takes it.

    Raises
    ------
    DataError
        With ``file:line`` (as an editor counts lines) and the column for any bad value, and
        everything the validation refuses.
    """
    if format not in FORMATS:
        raise DataError(f"unknown CSV format {format!r}", where="read_csv(format=...)",
                        fix=f"use one of {list(FORMATS)}")
    unit = check_unit(timestamp_unit)
    check_name(name)
    path = Path(path)
    _check_utf8(path)
    rows, lines = _records(path, limit=2)
    fmt = _sniff(path, rows, lines) if format == "auto" else format
    asset = asset or asset_from_filename(path)
    source = f"csv:{path.name}"
    plan = _fast_plan(fmt, path, rows, lines)
    if plan is not None:
        ds = _fast_csv(path, plan, asset, unit, name, source)
        if ds is not None:
            return ds
    rows, lines = _records(path)
    arrays = _READERS[fmt](path, rows, lines, asset, unit)
    return build(arrays, name=name, source=source)


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


_JSON_FIX = "write [[ts_ms, open, high, low, close, volume], ...]"


def _json_cell(value: object) -> str | None:
    """Why a JSON value is not a number (or a numeric text), or ``None`` when it is one."""
    if isinstance(value, bool):
        return f"JSON {'true' if value else 'false'} where a number belongs"
    if isinstance(value, (list, dict)):
        kind = "an array" if isinstance(value, list) else "an object"
        return f"{kind} {json.dumps(value)[:60]} where a number belongs"
    return None


def read_json(path: str | Path, *, asset: str | None = None, name: str | None = None,
              timestamp_unit: str | None = None) -> Dataset:
    """Register candles from a JSON array ``[[ts_ms, open, high, low, close, volume], ...]``.

    This is how freqtrade (``PAIR-tf.json``, ``PAIR_SETTLE-tf-futures.json``) and CCXT's
    ``fetch_ohlcv`` write candles. Timestamps may also be s/us/ns (by magnitude, or as
    ``timestamp_unit`` says) or ISO strings; ``.json.gz`` is read too. Booleans, arrays and
    objects where a number belongs are refused, as are timestamps beyond int64 nanoseconds.
    """
    unit = check_unit(timestamp_unit)
    check_name(name)
    path = Path(path)
    _check_utf8(path)
    try:
        with _open_text(path) as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise _io_error(path, exc) from None
    if not text.strip():
        raise DataError(f"file {path.name!r} is empty", where=str(path),
                        fix="point at a file that contains candles: " + _JSON_FIX)
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        ended = exc.pos >= len(text.rstrip())
        what = ("the JSON ends before it is complete (a truncated file?)" if ended
                else f"invalid JSON: {exc.msg} (column {exc.colno})")
        raise DataError(what, where=f"{path}:{exc.lineno}",
                        fix="repair the file (it should be [[ts, o, h, l, c, v], ...])") from None
    except RecursionError:
        depth = len(text) - len(text.lstrip("[ \t\r\n"))
        raise DataError(f"the JSON is nested too deeply (it opens with about {depth} brackets)",
                        where=str(path), fix="candles nest two levels: " + _JSON_FIX) from None
    asset = asset or asset_from_filename(path)
    if not isinstance(rows, list) or not rows:
        shape = "an empty array" if rows == [] else f"a JSON {type(rows).__name__}"
        raise DataError(f"expected a non-empty array of candles, found {shape}", where=str(path),
                        fix=_JSON_FIX)
    origin = Origin(asset, file=str(path), label="candle #{}", lines=_json_lines(text, len(rows)))
    names = ("timestamp",) + OHLCV
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != 6:
            size = f"{len(row)} items" if isinstance(row, list) else f"a {type(row).__name__}"
            raise DataError(f"candle has {size}: {json.dumps(row)[:120]}", where=origin.where(i),
                            fix="each candle must be [timestamp_ms, open, high, low, close, "
                            "volume]")
        for column, value in zip(names, row):
            problem = _json_cell(value)
            if problem:
                raise DataError(problem, where=origin.where(i, column),
                                fix="each candle must be [timestamp_ms, open, high, low, close, "
                                "volume] with plain numbers")
    cols = list(zip(*rows))
    arrays = _arrays(np.array(cols[0], dtype=object), dict(zip(OHLCV, cols[1:])), "timestamp",
                     origin, unit)
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
    check_unit(kw.get("timestamp_unit"))
    raise DataError(f"unsupported file type {Path(path).name!r}", where=str(path),
                    fix=f"use one of {list(_SUFFIXES)}, or build a DataFrame and call "
                    "from_dataframe")
