"""Issue 11: every bad data file ends in a DataError that says what, where and how to fix it,
through the loaders and through `qrp data add` (exit 2, nothing registered, no store file)."""

from __future__ import annotations

import gzip

import pytest

from data_cli import dataset_ids, qrp, qrp_many
from qrp_jupyter.data import load, read_csv, read_json
from qrp_jupyter.errors import DataError

H = "timestamp,open,high,low,close,volume\n"
T0 = 1609459200  # 2021-01-01T00:00:00Z
J2 = "[1609462800000,1,2,0.5,1.5,10]"  # a good second candle


def csv_rows(n: int = 4, start: int = T0, step: int = 3600) -> list[str]:
    return [f"{start + i * step},{100 + i},{102 + i},{99 + i},{101 + i},{5 + i}" for i in range(n)]


def csv_text(rows: list[str]) -> str:
    return H + "\n".join(rows) + "\n"


def _replaced(i: int, row: str) -> str:
    rows = csv_rows()
    rows[i] = row
    return csv_text(rows)


def _big_with_bad_cell(n: int = 120_000, bad: int = 100_000) -> str:
    rows = csv_rows(n)
    rows[bad] = rows[bad].replace(f",{100 + bad},", ",1O0,", 1)
    return csv_text(rows)


# name -> (file name, bytes, loader kwargs, fragments of the message). Line numbers are an
# editor's: the header is line 1.
CASES: dict[str, tuple[str, bytes, dict, list[str]]] = {
    # -- JSON (freqtrade / CCXT [[ts_ms, o, h, l, c, v], ...]) --------------------------------
    "json 30-digit timestamp": (
        "x.json", f"[[123456789012345678901234567890,1,2,0.5,1.5,10],\n{J2}]".encode(), {},
        ["out-of-range timestamp 123456789012345678901234567890", "x.json:1", "candle #0",
         "column 'timestamp'"]),
    "json nested value": (
        "x.json", f"[[1609459200000,1,2,0.5,1.5,10],\n[1609462800000,1,[2],0.5,1.5,10]]"
        .encode(), {}, ["an array [2] where a number belongs", "candle #1", "column 'high'"]),
    "json nested value in every candle": (
        "x.json", b"[[1609459200000,[1],2,0.5,1.5,10],[1609462800000,[1],2,0.5,1.5,10]]", {},
        ["an array [1] where a number belongs", "candle #0", "column 'open'"]),
    "json object as a value": (
        "x.json", f'[[1609459200000,1,2,0.5,{{"c": 1}},10],\n{J2}]'.encode(), {},
        ['an object {"c": 1} where a number belongs', "column 'close'"]),
    "json 100,000 brackets": ("x.json", b"[" * 100_000, {},
                              ["nested too deeply", "100000 brackets", "x.json"]),
    "json booleans as prices": (
        "x.json", b"[[1609459200000,true,true,true,true,true],\n"
        b"[1609462800000,true,true,true,true,true]]", {},
        ["JSON true where a number belongs", "x.json:1", "candle #0", "column 'open'"]),
    "json boolean volume": (
        "x.json", f"[[1609459200000,1,2,0.5,1.5,false],\n{J2}]".encode(), {},
        ["JSON false where a number belongs", "column 'volume'"]),
    "json boolean timestamp": (
        "x.json", f"[[true,1,2,0.5,1.5,10],\n{J2}]".encode(), {},
        ["JSON true where a number belongs", "column 'timestamp'"]),
    "json NaN price": ("x.json", f"[[1609459200000,NaN,2,0.5,1.5,10],\n{J2}]".encode(), {},
                       ["open is missing (NaN)", "2021-01-01T00:00:00Z", "x.json:1",
                        "column 'open'"]),
    "json infinite price": (
        "x.json", f"[[1609459200000,1,Infinity,0.5,1.5,10],\n{J2}]".encode(), {},
        ["high is infinite (inf)", "column 'high'"]),
    "json negative price": (
        "x.json", f"[[1609459200000,1,2,-0.5,1.5,10],\n{J2}]".encode(), {},
        ["low -0.5", "not a positive price", "column 'low'"]),
    "json negative volume": (
        "x.json", f"[{J2.replace('1609462800000', '1609459200000')},\n"
        "[1609462800000,1,2,0.5,1.5,-3]]".encode(), {},
        ["volume -3.0", "is negative", "x.json:2", "candle #1"]),
    "json truncated": ("x.json", f"[[1609459200000,1,2,0.5,1.5,10],\n{J2[:12]}".encode(), {},
                       ["ends before it is complete", "truncated", "x.json:2"]),
    "json empty file": ("x.json", b"", {}, ["'x.json' is empty", "[[ts_ms, open"]),
    "json whitespace only": ("x.json", b"  \n\n", {}, ["'x.json' is empty"]),
    "json five columns": ("x.json", b"[[1609459200000,1,2,0.5,1.5],\n[1609462800000,1,2,0.5,1.5]]",
                          {}, ["candle has 5 items", "x.json:1", "candle #0"]),
    "json seven columns": ("x.json", f"[[1609459200000,1,2,0.5,1.5,10,0],\n{J2}]".encode(), {},
                           ["candle has 7 items"]),
    "json not utf-8": ("x.json", f"[[1609459200000,1,2,0.5,1.5,10],\n{J2}]".encode()
                       + b' \n "\xe9t\xe9"', {}, ["not UTF-8", "0xe9", "x.json:3"]),
    "json float timestamp 1e30": ("x.json", f"[[1e30,1,2,0.5,1.5,10],\n{J2}]".encode(), {},
                                  ["out-of-range epoch timestamp", "1e+30", "candle #0"]),
    "json object at the top": ("x.json", b'{"BTC": [[1609459200000,1,2,0.5,1.5,10]]}', {},
                               ["expected a non-empty array", "a JSON dict"]),
    "json epoch numbers mixed with text": (
        "x.json", b'[[1609459200000,1,2,0.5,1.5,10],\n["2021-01-01T01:00:00Z",1,2,0.5,1.5,10]]',
        {}, ["timestamps mix epoch numbers and text", "'2021-01-01T01:00:00Z'", "x.json:2",
             "candle #1"]),
    "json text with underscores": (
        "x.json", f'[[1609459200000,"1_000",2,0.5,1.5,10],\n{J2}]'.encode(), {},
        ["unparseable number '1_000'", "column 'open'"]),
    # -- CSV -----------------------------------------------------------------------------------
    "csv 1_000 as a number": ("x.csv", _replaced(1, f"{T0 + 3600},1_000,1002,999,1001,5")
                              .encode(), {}, ["unparseable number '1_000'", "x.csv:3",
                                              "column 'open'"]),
    "csv non-ASCII digits": ("x.csv", _replaced(2, f"{T0 + 7200},102,104,101,103,١٢").encode(),
                             {}, ["unparseable number '١٢'", "x.csv:4", "column 'volume'"]),
    "csv hexadecimal": ("x.csv", _replaced(0, f"{T0},0x64,102,99,101,5").encode(), {},
                        ["unparseable number '0x64'", "x.csv:2"]),
    "csv ms near 1970 read as seconds": (
        "x.csv", csv_text(csv_rows(5, start=0, step=3_600_000)).encode(), {},
        ["epoch timestamp 0 reads as 1970-01-01T00:00:00Z", "inferred", "x.csv:2",
         "column 'timestamp'", "timestamp_unit='ms'", "--timestamp-unit ms"]),
    "csv negative epoch": ("x.csv", csv_text(csv_rows(3, start=-T0)).encode(), {},
                           ["reads as 1919-01-01", "timestamp_unit"]),
    "csv us near 1970 read as ms": (
        "x.csv", csv_text(csv_rows(3, start=5 * 10**13, step=3_600_000_000)).encode(), {},
        ["epoch timestamp 50000000000000 out of range", "(ms)", "timestamp_unit"]),
    "csv unsorted": ("x.csv", csv_text([csv_rows()[i] for i in (0, 2, 1, 3)]).encode(), {},
                     ["not ascending", "2021-01-01T01:00:00Z comes after 2021-01-01T02:00:00Z",
                      "which is at ", "x.csv:3 (at ", "x.csv:4)"]),
    "csv duplicate timestamp": ("x.csv", _replaced(2, csv_rows()[1]).encode(), {},
                                ["2021-01-01T01:00:00Z appears twice", "first at ",
                                 "x.csv:3 (at ", "x.csv:4)"]),
    "csv missing column": ("x.csv", b"timestamp,open,high,low,close\n1609459200,1,2,0.5,1.5\n",
                           {}, ["missing column(s) ['volume']", "x.csv:1"]),
    "csv bad cell deep in a large file": ("x.csv", _big_with_bad_cell().encode(), {},
                                          ["unparseable number '1O0'", "x.csv:100002",
                                           "column 'open'"]),
    "csv field missing deep in a large file": (
        "x.csv", csv_text(csv_rows(50_000)[:40_000] + ["1,2,3"] + csv_rows(50_000)[40_000:])
        .encode(), {}, ["row has 3 fields, expected 6", "x.csv:40002"]),
    "csv not utf-8 in an ignored column": (
        "x.csv", (H.replace("\n", ",note\n") + "\n".join(r + ",ok" for r in csv_rows()) + "\n")
        .encode().replace(b",ok\n", b",caf\xe9\n", 1), {}, ["not UTF-8", "0xe9", "x.csv:2"]),
    "csv empty file": ("x.csv", b"", {}, ["'x.csv' is empty"]),
    "csv text where the unit says ms": (
        "x.csv", (H + "2021-01-01T00:00:00Z,1,2,0.5,1.5,1\n2021-01-01T01:00:00Z,1,2,0.5,1.5,1\n")
        .encode(), {"timestamp_unit": "ms"},
        ["timestamp_unit='ms' was given", "holds dates", "column 'timestamp'"]),
    "csv unknown timestamp unit": ("x.csv", csv_text(csv_rows()).encode(),
                                   {"timestamp_unit": "min"},
                                   ["timestamp unit 'min' is not one of", "'ms'"]),
    "csv ns overflow with an explicit unit": (
        "x.csv", csv_text(csv_rows(2, start=9_300_000_000, step=1)).encode(),
        {"timestamp_unit": "s"}, ["in s is out of range", "2262"]),
    "csv bad date deep in an ISO file": (
        "x.csv", (H + "".join(f"2021-01-{1 + i // 24:02d}T{i % 24:02d}:00:00Z,1,2,0.5,1.5,1\n"
                              for i in range(240)).replace("2021-01-09T05", "2021-01-09T25"))
        .encode(), {}, ["unparseable timestamp '2021-01-09T25:00:00Z'", "x.csv:199",
                        "column 'timestamp'"]),
    "csv gzip not utf-8": ("x.csv.gz", gzip.compress(csv_text(csv_rows()).encode()
                                                     .replace(b"101,5", b"101,\xff5")), {},
                           ["not UTF-8", "0xff", "x.csv.gz:2"]),
    "blank dataset name": ("x.csv", csv_text(csv_rows()).encode(), {"name": "   "},
                           ["dataset name '   ' is blank"]),
    "empty dataset name": ("x.json", f"[[1609459200000,1,2,0.5,1.5,10],\n{J2}]".encode(),
                           {"name": ""}, ["dataset name '' is blank"]),
}

# How each case is passed on the command line.
_FLAGS = {"timestamp_unit": "--timestamp-unit", "name": "--name"}
# argparse itself refuses --timestamp-unit min (exit 2, "invalid choice"): covered separately.
CLI_CASES = [c for c in CASES if CASES[c][2].get("timestamp_unit") != "min"]


def _write(tmp_path, case):
    file_name, content, kwargs, fragments = CASES[case]
    path = tmp_path / file_name
    path.write_bytes(content)
    return path, kwargs, fragments


@pytest.mark.parametrize("case", list(CASES))
def test_loader_refuses_with_what_where_and_fix(case, tmp_path):
    path, kwargs, fragments = _write(tmp_path, case)
    with pytest.raises(DataError) as info:
        load(path, **kwargs)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{case}: {fragment!r} not in {message!r}"
    assert info.value.where and info.value.fix, message
    assert message.count("(at ") == 1, message  # the location is printed once


@pytest.fixture(scope="module")
def cli_results(tmp_path_factory):
    """Every CLI case run through `qrp data add` with a new --db path each."""
    root = tmp_path_factory.mktemp("cli-cases")
    commands, dbs = [], {}
    for i, case in enumerate(CLI_CASES):
        folder = root / f"case{i}"
        folder.mkdir()
        path, kwargs, _ = _write(folder, case)
        db = folder / "new" / "store.sqlite"
        db.parent.mkdir()
        dbs[case] = db
        commands.append(["data", "add", path, "--db", db,
                         *[a for k, v in kwargs.items() for a in (_FLAGS[k], v)]])
    return {case: (res, dbs[case]) for case, res in zip(CLI_CASES, qrp_many(commands))}


@pytest.mark.parametrize("case", CLI_CASES)
def test_qrp_data_add_exits_2_and_creates_no_store(case, cli_results):
    res, db = cli_results[case]
    assert res["code"] == 2, (case, res)
    assert "Traceback" not in res["stderr"], res["stderr"]
    assert res["stderr"].startswith("qrp data: error: "), res["stderr"]
    for fragment in CASES[case][3]:
        assert fragment in res["stderr"], f"{case}: {fragment!r} not in {res['stderr']!r}"
    assert list(db.parent.iterdir()) == [], "a refused file must not create a store"


def test_one_listed_case_through_the_installed_entry_point(tmp_path):
    """The batch runner above calls main(); this runs the real `python -m` process once."""
    path, _, fragments = _write(tmp_path, "json 30-digit timestamp")
    db = tmp_path / "store.sqlite"
    r = qrp("data", "add", path, "--db", db)
    assert r.returncode == 2 and fragments[0] in r.stderr and "Traceback" not in r.stderr
    assert not db.exists()


def test_refused_file_adds_no_row_to_an_existing_store(tmp_path):
    db = tmp_path / "store.sqlite"
    good = tmp_path / "good.csv"
    good.write_text(csv_text(csv_rows()))
    assert qrp("data", "add", good, "--db", db).returncode == 0
    before = dataset_ids(db)
    for case in ("json booleans as prices", "csv 1_000 as a number", "blank dataset name"):
        path, kwargs, _ = _write(tmp_path, case)
        flags = [a for k, v in kwargs.items() for a in (_FLAGS[k], v)]
        r = qrp("data", "add", path, "--db", db, *flags)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert dataset_ids(db) == before and len(before) == 1


def test_ms_file_refused_without_unit_registers_with_it(tmp_path):
    path = tmp_path / "ms.csv"
    path.write_text(csv_text(csv_rows(5, start=0, step=3_600_000)))
    db = tmp_path / "store.sqlite"
    refused = qrp("data", "add", path, "--db", db)
    assert refused.returncode == 2 and "--timestamp-unit ms" in refused.stderr
    assert not db.exists()
    r = qrp("data", "add", path, "--db", db, "--timestamp-unit", "ms", "--json")
    assert r.returncode == 0, r.stderr
    import json
    summary = json.loads(r.stdout)
    assert summary["interval"] == "1h"
    assert summary["per_asset"]["ms"]["first"] == "1970-01-01T00:00:00Z"
    assert dataset_ids(db) == [summary["dataset_id_v2"]]
    # The loader says the same, and the unit that matches the magnitude changes nothing.
    assert read_csv(path, timestamp_unit="ms").dataset_id_v2 == summary["dataset_id_v2"]


def test_explicit_unit_matching_the_magnitude_keeps_the_id(tmp_path):
    s_file, ms_file = tmp_path / "s.csv", tmp_path / "ms.json"
    s_file.write_text(csv_text(csv_rows()))
    ms_file.write_text("[" + ",".join(f"[{(T0 + i * 3600) * 1000},{100 + i},{102 + i},{99 + i},"
                                      f"{101 + i},{5 + i}]" for i in range(4)) + "]")
    inferred = read_csv(s_file, asset="A").dataset_id_v2
    assert read_csv(s_file, asset="A", timestamp_unit="s").dataset_id_v2 == inferred
    assert read_json(ms_file, asset="A", timestamp_unit="ms").dataset_id_v2 == inferred
    assert read_json(ms_file, asset="A").dataset_id_v2 == inferred


def test_cli_refuses_an_unknown_timestamp_unit(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(csv_text(csv_rows()))
    db = tmp_path / "store.sqlite"
    r = qrp("data", "add", path, "--db", db, "--timestamp-unit", "min")
    assert r.returncode == 2 and "invalid choice: 'min'" in r.stderr, r.stderr
    assert not db.exists()


def test_blank_name_for_synthetic_data_is_refused(tmp_path):
    db = tmp_path / "store.sqlite"
    r = qrp("data", "add", "--synthetic", "--bars", "50", "--name", " \t ", "--db", db)
    assert r.returncode == 2 and "is blank" in r.stderr, r.stderr
    assert not db.exists()


def test_a_directory_is_not_a_data_file(tmp_path):
    folder = tmp_path / "candles.csv"
    folder.mkdir()
    with pytest.raises(DataError, match="is a directory, not a data file"):
        load(folder)


def test_dataframe_booleans_as_prices_are_refused():
    import pandas as pd
    df = pd.DataFrame({"timestamp": pd.date_range("2021", periods=3, freq="h", tz="UTC"),
                       "open": [True, True, True], "high": 2.0, "low": 0.5, "close": 1.5,
                       "volume": 1.0})
    from qrp_jupyter.data import from_dataframe
    with pytest.raises(DataError, match=r"a boolean \(True\) where a number belongs") as info:
        from_dataframe(df, asset="X")
    assert info.value.where == "asset 'X', df.iloc[0], column 'open'"
