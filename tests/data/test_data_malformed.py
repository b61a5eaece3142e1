"""Malformed inputs: every one is a DataError that says what, where and how to fix it."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from qrp_jupyter.data import from_dataframe, from_frames, load, read_csv, read_json
from qrp_jupyter.errors import DataError, QrpError

HEADER = "timestamp,open,high,low,close,volume\n"
GOOD = ["2021-01-01T00:00:00Z,100,102,99,101,5",
        "2021-01-01T01:00:00Z,101,103,100,102,7",
        "2021-01-01T02:00:00Z,102,104,101,103,9",
        "2021-01-01T03:00:00Z,103,105,102,104,3"]


def good_with(line_index: int, replacement: str) -> str:
    rows = list(GOOD)
    rows[line_index] = replacement
    return HEADER + "\n".join(rows) + "\n"


# (file name, content, read kwargs, fragments the message must contain). Line numbers are the
# ones an editor shows: the header is line 1, so GOOD[i] is on line i + 2.
CASES = {
    "missing column": ("bad.csv", "timestamp,open,high,low,close\n2021-01-01,1,2,0.5,1.5\n", {},
                       ["missing column(s) ['volume']", "found ['timestamp', 'open'",
                        "bad.csv:1"]),
    "NaN cell": ("bad.csv", good_with(1, "2021-01-01T01:00:00Z,101,103,100,NaN,7"), {},
                 ["close is missing (NaN)", "2021-01-01T01:00:00Z", "bad.csv:3",
                  "column 'close'"]),
    "empty cell": ("bad.csv", good_with(2, "2021-01-01T02:00:00Z,102,,101,103,9"), {},
                   ["empty value", "bad.csv:4", "column 'high'"]),
    "unparseable number": ("bad.csv", good_with(1, "2021-01-01T01:00:00Z,101,103,1O0,102,7"),
                           {}, ["unparseable number '1O0'", "bad.csv:3", "column 'low'"]),
    "non-positive price": ("bad.csv", good_with(3, "2021-01-01T03:00:00Z,0,105,0,104,3"), {},
                           ["open 0.0", "2021-01-01T03:00:00Z", "not a positive price",
                            "bad.csv:5", "column 'open'"]),
    "negative volume": ("bad.csv", good_with(0, "2021-01-01T00:00:00Z,100,102,99,101,-5"), {},
                        ["volume -5.0", "is negative", "bad.csv:2", "column 'volume'"]),
    "high below close": ("bad.csv", good_with(2, "2021-01-01T02:00:00Z,102,102.5,101,103,9"),
                         {}, ["high 102.5", "below max(open 102.0, close 103.0)", "bad.csv:4",
                              "column 'high'"]),
    "low above open": ("bad.csv", good_with(2, "2021-01-01T02:00:00Z,102,104,102.5,103,9"), {},
                       ["low 102.5", "above min(open 102.0, close 103.0)", "bad.csv:4"]),
    "unsorted": ("bad.csv", HEADER + "\n".join([GOOD[0], GOOD[2], GOOD[1], GOOD[3]]) + "\n", {},
                 ["not ascending", "2021-01-01T01:00:00Z comes after 2021-01-01T02:00:00Z",
                  "bad.csv:4"]),
    "duplicate timestamp": ("bad.csv", good_with(2, "2021-01-01T01:00:00Z,102,104,101,103,9"),
                            {}, ["2021-01-01T01:00:00Z appears twice", "bad.csv:3",
                                 "bad.csv:4"]),
    "mixed intervals": ("bad.csv", HEADER + "\n".join(GOOD[:2] + [
                            "2021-01-01T01:30:00Z,102,104,101,103,9",
                            "2021-01-01T03:00:00Z,103,105,102,104,3",
                            "2021-01-01T04:00:00Z,103,105,102,104,3"]) + "\n", {},
                        ["step of 30m", "from 2021-01-01T01:00:00Z to 2021-01-01T01:30:00Z",
                         "bars of 1h", "bad.csv:4"]),
    "empty file": ("bad.csv", "", {}, ["'bad.csv' is empty", "bad.csv"]),
    "blank lines only": ("bad.csv", "\n\n  \n", {}, ["'bad.csv' is empty"]),
    "header only": ("bad.csv", HEADER, {}, ["has a header but no candles", "bad.csv:1"]),
    "unknown format": ("bad.csv", HEADER + GOOD[0] + "\n", {"format": "parquet"},
                       ["unknown CSV format 'parquet'", "'generic', 'binance_kline'",
                        "'cryptodatadownload'"]),
    "unrecognisable format": ("bad.csv", "a,b,c\n1,2,3\n", {},
                              ["cannot tell the format of 'bad.csv'", "'a,b,c'", "bad.csv:1"]),
    "wrong field count": ("bad.csv", good_with(1, "2021-01-01T01:00:00Z,101,103,100,102"), {},
                          ["row has 5 fields, expected 6", "bad.csv:3"]),
    "unparseable timestamp": ("bad.csv", good_with(3, "yesterday,103,105,102,104,3"), {},
                              ["unparseable timestamp 'yesterday'", "bad.csv:5",
                               "column 'timestamp'"]),
    "single candle": ("bad.csv", HEADER + GOOD[0] + "\n", {},
                      ["only one candle (2021-01-01T00:00:00Z)", "bad.csv"]),
    "blank line keeps line numbers": (
        "bad.csv", HEADER + GOOD[0] + "\n\n" + GOOD[1] + "\n" + GOOD[2].replace(",9", ",-9")
        + "\n", {}, ["volume -9.0", "bad.csv:5"]),
    "crlf keeps line numbers": (
        "bad.csv", (HEADER + "\n".join(GOOD[:3]) + "\n").replace("101,103,100,102",
                                                                 "101,99,100,102")
        .replace("\n", "\r\n"), {}, ["high 99.0", "bad.csv:3"]),
    "kline with 11 fields": (
        "BTCUSDT-1h-2022-01.csv",
        "1640995200000,1,2,0.5,1.5,10,1640998799999,1,1,1,1,0\n"
        "1640998800000,1,2,0.5,1.5,10,1641002399999,1,1,1,1\n", {"format": "binance_kline"},
        ["row has 11 fields, expected 12", "BTCUSDT-1h-2022-01.csv:2"]),
    "cryptodatadownload duplicate after sorting": (
        "Binance_ETCBTC_d.csv",
        "https://www.CryptoDataDownload.com\n"
        "unix,date,symbol,open,high,low,close,Volume ETC,Volume BTC,tradecount\n"
        "1609200000000,2020-12-29 00:00:00,ETC/BTC,1,2,0.5,1.5,10,1,5\n"
        "1609113600000,2020-12-28 00:00:00,ETC/BTC,1,2,0.5,1.5,10,1,5\n"
        "1609113600000,2020-12-28 00:00:00,ETC/BTC,1,2,0.5,1.5,10,1,5\n", {},
        ["2020-12-28T00:00:00Z appears twice", "Binance_ETCBTC_d.csv:4",
         "Binance_ETCBTC_d.csv:5"]),
    "cryptodatadownload bad value after sorting": (
        "Binance_ETCBTC_d.csv",
        "https://www.CryptoDataDownload.com\n"
        "unix,date,symbol,open,high,low,close,Volume ETC,Volume BTC,tradecount\n"
        "1609200000000,2020-12-29 00:00:00,ETC/BTC,1,2,0.5,1.5,10,1,5\n"
        "1609113600000,2020-12-28 00:00:00,ETC/BTC,1,2,0.5,1.5,-10,1,5\n", {},
        ["volume -10.0", "2020-12-28T00:00:00Z", "Binance_ETCBTC_d.csv:4"]),
    "bad JSON shape": ("bad.json", "[\n [1609459200000, 1, 2, 0.5, 1.5, 10],\n"
                       " [1609462800000, 1, 2, 0.5, 1.5]\n]\n", {},
                       ["candle has 5 items", "[1609462800000, 1, 2, 0.5, 1.5]", "bad.json:3",
                        "candle #1"]),
    "invalid JSON": ("bad.json", "[[1609459200000, 1, 2, 0.5, 1.5, 10],\n[1609462800000, 1,]]",
                     {}, ["invalid JSON", "bad.json:2"]),
    "JSON object instead of array": ("bad.json", '{"BTC": []}', {},
                                     ["expected a non-empty array", "a JSON dict"]),
    "JSON null value": ("bad.json", "[[1609459200000, 1, 2, 0.5, 1.5, 10],\n"
                        "[1609462800000, 1, 2, null, 1.5, 10]]", {},
                        ["missing value (null)", "bad.json:2", "candle #1", "column 'low'"]),
    "CSV format named for a JSON file": ("bad.json", "[[1609459200000, 1, 2, 0.5, 1.5, 10]]",
                                         {"format": "binance_kline"},
                                         ["format 'binance_kline' does not apply",
                                          "bad.json"]),
    "unsupported suffix": ("bad.parquet", "PAR1", {}, ["unsupported file type 'bad.parquet'",
                                                      "'.csv'"]),
    "missing file": (None, None, {}, ["no such file", "nope.csv"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_file_is_refused_with_what_where_and_fix(case, tmp_path):
    file_name, content, kwargs, fragments = CASES[case]
    path = tmp_path / (file_name or "nope.csv")
    if content is not None:
        path.write_bytes(content.encode())
    with pytest.raises(DataError) as info:
        load(path, **kwargs)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{case}: {fragment!r} not in {message!r}"
    assert info.value.where and info.value.fix, message
    assert " Fix: " in message
    assert isinstance(info.value, QrpError)


def test_at_least_fourteen_distinct_malformed_inputs():
    assert len(CASES) >= 14


def test_gzip_csv_errors_name_the_line_too(tmp_path):
    path = tmp_path / "bad.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(good_with(1, "2021-01-01T01:00:00Z,101,103,100,-102,7"))
    with pytest.raises(DataError, match=r"close -102\.0 .* not a positive price.*bad\.csv\.gz:3"):
        read_csv(path)


def test_not_gzip_despite_the_suffix(tmp_path):
    path = tmp_path / "bad.csv.gz"
    path.write_text(HEADER)
    with pytest.raises(DataError, match="cannot read"):
        read_csv(path)


def test_dataframe_errors_name_asset_iloc_and_column():
    df = pd.DataFrame({"timestamp": pd.date_range("2021", periods=4, freq="h"),
                       "open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5, "volume": 1.0})
    df.loc[2, "close"] = np.nan
    with pytest.raises(DataError) as info:
        from_dataframe(df, asset="BTC")
    assert "close is missing (NaN)" in str(info.value)
    assert info.value.where == "asset 'BTC', df.iloc[2], column 'close'"


def test_dataframe_without_timestamps_lists_the_columns():
    df = pd.DataFrame({"open": [1.0], "high": [1.0], "low": [1.0], "close": [1.0], "vol": [1.0]})
    with pytest.raises(DataError, match=r"no timestamps.*RangeIndex.*'vol'") as info:
        from_dataframe(df)
    assert "DatetimeIndex" in info.value.fix


def test_two_columns_meaning_the_same_thing_are_ambiguous():
    df = pd.DataFrame({"timestamp": ["2021-01-01", "2021-01-02"], "close": [1.0, 2.0],
                       "Close": [1.0, 2.0], "open": 1.0, "high": 2.0, "low": 0.5, "volume": 1.0})
    with pytest.raises(DataError, match="columns 'close' and 'Close' both mean 'close'"):
        from_dataframe(df)


def test_assets_with_different_intervals_are_refused():
    def frame(freq):
        idx = pd.date_range("2021", periods=3, freq=freq, tz="UTC")
        return pd.DataFrame({"open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5, "volume": 1.0},
                            index=idx)
    with pytest.raises(DataError, match=r"different bar intervals \('A': 1h, 'B': 1d\)"):
        from_frames({"A": frame("h"), "B": frame("D")})


def test_nothing_is_half_built_when_the_second_asset_fails():
    good = pd.DataFrame({"open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5, "volume": 1.0},
                        index=pd.date_range("2021", periods=3, freq="h", tz="UTC"))
    bad = good.copy()
    bad.iloc[1, 3] = -1.0
    with pytest.raises(DataError, match=r"frames\['B'\]\.iloc\[1\]"):
        from_frames({"A": good, "B": bad})


def test_empty_json_array_is_refused(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[]")
    with pytest.raises(DataError, match="found an empty array"):
        read_json(path)
