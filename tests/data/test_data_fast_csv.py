"""The pyarrow CSV path and the row-by-row reader give the same dataset, id for id."""

from __future__ import annotations

import gzip

import pytest

from qrp_jupyter.data import loaders, read_csv
from qrp_jupyter.errors import DataError

H = "timestamp,open,high,low,close,volume\n"


@pytest.fixture
def paths(monkeypatch):
    """``read(path, **kw) -> (fast dataset, slow dataset, fast path used)``."""
    used = []
    fast = loaders._fast_csv

    def spy(*args):
        ds = fast(*args)
        used.append(ds is not None)
        return ds

    def read(path, **kw):
        used.clear()
        monkeypatch.setattr(loaders, "_fast_csv", spy)
        a = read_csv(path, **kw)
        took_fast = used == [True]
        monkeypatch.setattr(loaders, "_fast_plan", lambda *args: None)
        b = read_csv(path, **kw)
        monkeypatch.undo()
        return a, b, took_fast
    return read


def _rows(n, start=1609459200, step=3600, fmt="{t},{o},{h},{l},{c},{v}"):
    out = []
    for i in range(n):
        o = 100 + i * 0.37
        out.append(fmt.format(t=start + i * step, o=round(o, 2), h=round(o + 1.13, 2),
                              l=round(o - 0.91, 2), c=round(o + 0.25, 2), v=f"{i * 1.1e-3:.17g}"))
    return out


FILES = {
    "epoch seconds": ("a.csv", H + "\n".join(_rows(500)) + "\n"),
    "epoch ms, CRLF": ("a.csv", (H + "\n".join(_rows(300, 1609459200000, 60000)) + "\n")
                       .replace("\n", "\r\n")),
    "epoch us": ("a.csv", H + "\n".join(_rows(50, 1743465600000000, 60000000)) + "\n"),
    "ISO with offsets and Z": ("a.csv", "Date,Open,High,Low,Close,Volume\n"
                               "2021-01-01T01:00:00+01:00,1,2,0.5,1.5,3\n"
                               "2021-01-01T01:00:00Z,1,2,0.5,1.5,3\n"
                               "2021-01-01 02:00:00,1,2,0.5,1.5,3\n"),
    "aliases, extra columns, quotes": (
        "a.csv", 'Open time,o,h,l,c,vol,note\n' + "\n".join(
            f'{1609459200000 + i * 3600000},"{100 + i}",{101 + i}, {99 + i} ,{100.5 + i},'
            f'{i},"x, y"' for i in range(20)) + "\n"),
    "number forms": ("a.csv", H + "1609459200,+1.5,2.,.5,1e0,0\n"
                     "1609462800,01.5,2.5E0,0.50,1.25,1e-400\n"),
    "blank lines inside": ("a.csv", H + "\n".join(_rows(3)) + "\n\n" + "\n".join(
        _rows(3, 1609459200 + 3 * 3600)) + "\n"),
    "byte-order mark": ("a.csv", "\ufeff" + H + "\n".join(_rows(10)) + "\n"),
    "kline without header": ("BTCUSDT-1m-2022-01.csv", "".join(
        f"{1640995200000 + i * 60000},1.5,2,1,1.75,10,{1640995200000 + i * 60000 + 59999},"
        "1,1,1,1,0\n" for i in range(100))),
    "kline with header": ("BTCUSDT-1m-2022-02.csv", "open_time,open,high,low,close,volume,"
                          "close_time,quote_volume,count,taker_buy_volume,"
                          "taker_buy_quote_volume,ignore\n" + "".join(
                              f"{1643673600000000 + i * 60000000},1.5,2,1,1.75,10,0,1,1,1,1,0\n"
                              for i in range(100))),
}


@pytest.mark.parametrize("case", list(FILES))
def test_fast_and_row_by_row_readers_give_the_same_id(case, tmp_path, paths):
    name, text = FILES[case]
    path = tmp_path / name
    path.write_bytes(text.encode())
    fast, slow, took_fast = paths(path)
    assert took_fast, f"{case}: the pyarrow path should have read this file"
    assert fast.dataset_id_v2 == slow.dataset_id_v2
    assert fast.interval == slow.interval and fast.assets == slow.assets


def test_gzip_goes_through_pyarrow_too(tmp_path, paths):
    path = tmp_path / "a.csv.gz"
    path.write_bytes(gzip.compress((H + "\n".join(_rows(200)) + "\n").encode()))
    fast, slow, took_fast = paths(path)
    assert took_fast and fast.dataset_id_v2 == slow.dataset_id_v2


def test_explicit_unit_on_the_fast_path(tmp_path, paths):
    path = tmp_path / "a.csv"
    path.write_text(H + "\n".join(_rows(5, start=0, step=3_600_000)) + "\n")
    fast, slow, took_fast = paths(path, timestamp_unit="ms")
    assert took_fast and fast.dataset_id_v2 == slow.dataset_id_v2 and fast.interval == "1h"


def test_panel_and_cryptodatadownload_use_the_row_by_row_reader(tmp_path, paths):
    path = tmp_path / "panel.csv"
    path.write_text("timestamp,symbol,open,high,low,close,volume\n" + "".join(
        f"{1609459200 + i * 3600},{s},1,2,0.5,1.5,1\n" for i in range(3) for s in "AB"))
    fast, slow, took_fast = paths(path)
    assert not took_fast and fast.assets == ("A", "B")
    assert fast.dataset_id_v2 == slow.dataset_id_v2


def _validation_failure(tmp_path, monkeypatch, rows, mutate):
    path = tmp_path / "v.csv"
    lines = _rows(rows)
    mutate(lines)
    path.write_text(H + "\n\n".join(lines[:10]) + "\n" + "\n".join(lines[10:]) + "\n")
    messages = []
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(loaders, "_fast_plan", lambda *args: None)
        with pytest.raises(DataError) as info:
            read_csv(path)
        messages.append(str(info.value))
    monkeypatch.undo()
    return messages


def test_validation_errors_name_the_same_line_on_both_paths(tmp_path, monkeypatch):
    """Blank lines shift line numbers: the fast path finds them by a streaming pass."""
    def zero_price(lines):
        parts = lines[3000].split(",")
        parts[4] = "0"  # close
        lines[3000] = ",".join(parts)

    fast, slow = _validation_failure(tmp_path, monkeypatch, 5000, zero_price)
    assert fast == slow
    assert "close 0.0" in fast and "v.csv:3011" in fast  # 3000 + header + 9 blank lines + 1


def test_duplicate_named_with_both_lines_on_both_paths(tmp_path, monkeypatch):
    def duplicate(lines):
        lines[4000] = lines[3999]

    fast, slow = _validation_failure(tmp_path, monkeypatch, 5000, duplicate)
    assert fast == slow and "appears twice, first at" in fast and "v.csv:4010" in fast


def test_a_refused_cell_does_not_make_the_whole_file_python_objects(tmp_path, monkeypatch):
    """The row-by-row reader (which keeps every row) only runs when the locator finds nothing:
    a bad cell in a large file is found by the streaming pass."""
    lines = _rows(60_000)
    parts = lines[55_000].split(",")
    parts[2] = "1.2.3"
    lines[55_000] = ",".join(parts)
    path = tmp_path / "big.csv"
    path.write_text(H + "\n".join(lines) + "\n")
    full_reads = []
    records = loaders._records
    monkeypatch.setattr(loaders, "_records", lambda p, limit=None: (
        full_reads.append(limit) if limit is None else None) or records(p, limit))
    with pytest.raises(DataError, match=r"unparseable number '1\.2\.3' \(at .*big\.csv:55002, "
                                        r"column 'high'\)"):
        read_csv(path)
    assert full_reads == []
