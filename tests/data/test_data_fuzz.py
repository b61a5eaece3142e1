"""Property-based tests: mutated CSV and JSON candle files end in a dataset or a DataError,
never another exception, the pyarrow and row-by-row readers agree, and `qrp data add` exits
0 or 2 with no store file on failure."""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_cli import dataset_ids, qrp
from qrp_jupyter.data import load, loaders
from qrp_jupyter.errors import DataError

HEADER = ["timestamp", "open", "high", "low", "close", "volume"]
BASE = [[str(1609459200 + i * 3600), f"{100 + i}.5", f"{102 + i}.25", f"{99 + i}", f"{101 + i}",
         f"{i * 1.5}"] for i in range(6)]
ODD_TEXT = ["", " ", "1_000", "true", "nan", "NaN", "inf", "-inf", "-1", "0", "1e400", "9" * 40,
            "-" + "9" * 25, "١٢", "0x1F", "1.2.3", '"', "\x00", "é", "2021-01-01T00:00:00Z",
            "2021-13-01", "1609459200000", "1e-400", "+1", ".5", "1.", "null", "-", "1,5",
            "\r", "1609459200.0", "-9223372036854775808", "18446744073709551616"]
SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

_rows = st.integers(0, len(BASE) - 1)
_cols = st.integers(0, len(HEADER) - 1)
_odd = st.sampled_from(ODD_TEXT) | st.text(max_size=6)
CSV_MUTATION = st.one_of(
    st.tuples(st.just("replace"), _rows, _cols, _odd),
    st.tuples(st.just("drop_cell"), _rows, _cols),
    st.tuples(st.just("dup_cell"), _rows, _cols),
    st.tuples(st.just("swap_cells"), _rows, _cols, _rows, _cols),
    st.tuples(st.just("dup_row"), _rows),
    st.tuples(st.just("swap_rows"), _rows, _rows),
    st.tuples(st.just("drop_row"), _rows),
    st.tuples(st.just("header"), _cols, st.sampled_from(["", "date", "o", "volume", "x",
                                                         "close", "symbol"])),
)
BYTE_MUTATION = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, 400), st.binary(min_size=1, max_size=4)),
    st.tuples(st.just("truncate"), st.integers(0, 400)),
)


def _apply_csv(mutations) -> list[list[str]]:
    header, rows = list(HEADER), [list(r) for r in BASE]
    for m in mutations:
        kind = m[0]
        if kind == "replace" and m[1] < len(rows) and m[2] < len(rows[m[1]]):
            rows[m[1]][m[2]] = m[3]
        elif kind == "drop_cell" and m[1] < len(rows) and m[2] < len(rows[m[1]]):
            del rows[m[1]][m[2]]
        elif kind == "dup_cell" and m[1] < len(rows) and m[2] < len(rows[m[1]]):
            rows[m[1]].insert(m[2], rows[m[1]][m[2]])
        elif kind == "swap_cells" and max(m[1], m[3]) < len(rows) and \
                m[2] < len(rows[m[1]]) and m[4] < len(rows[m[3]]):
            rows[m[1]][m[2]], rows[m[3]][m[4]] = rows[m[3]][m[4]], rows[m[1]][m[2]]
        elif kind == "dup_row" and m[1] < len(rows):
            rows.insert(m[1], list(rows[m[1]]))
        elif kind == "swap_rows" and max(m[1], m[2]) < len(rows):
            rows[m[1]], rows[m[2]] = rows[m[2]], rows[m[1]]
        elif kind == "drop_row" and m[1] < len(rows):
            del rows[m[1]]
        elif kind == "header":
            header[m[1]] = m[2]
    return [header] + rows


def _bytes(text: str, byte_mutations) -> bytes:
    data = text.encode("utf-8", errors="surrogatepass")
    for m in byte_mutations:
        if m[0] == "insert":
            at = min(m[1], len(data))
            data = data[:at] + m[2] + data[at:]
        else:
            data = data[:min(m[1], len(data))]
    return data


def _outcome(path: Path, **kw):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a warning is a sign of an unchecked input too
            return ("ok", load(path, **kw).dataset_id_v2)
    except DataError as exc:
        assert exc.where and exc.fix, str(exc)
        assert str(exc).count("(at ") == 1, str(exc)
        return ("refused", None)


def _both_readers(path: Path):
    fast = _outcome(path)
    real = loaders._fast_plan
    loaders._fast_plan = lambda *args: None
    try:
        slow = _outcome(path)
    finally:
        loaders._fast_plan = real
    return fast, slow


@SETTINGS
@given(st.lists(CSV_MUTATION, min_size=1, max_size=3), st.lists(BYTE_MUTATION, max_size=1))
def test_mutated_csv_is_a_dataset_or_a_data_error_and_both_readers_agree(mutations, raw):
    text = "\n".join(",".join(r) for r in _apply_csv(mutations)) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.csv"
        path.write_bytes(_bytes(text, raw))
        fast, slow = _both_readers(path)
    assert fast == slow, (fast, slow, text)


_value = st.one_of(
    st.booleans(), st.none(), st.integers(min_value=-10**40, max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(ODD_TEXT),
    st.lists(st.integers(0, 9), max_size=2), st.dictionaries(st.sampled_from("ab"),
                                                             st.integers(0, 9), max_size=1),
    st.integers(1, 300).map(lambda d: json.loads("[" * d + "]" * d)),
)
_jrows = st.integers(0, 5)
JSON_MUTATION = st.one_of(
    st.tuples(st.just("replace"), _jrows, st.integers(0, 5), _value),
    st.tuples(st.just("drop"), _jrows, st.integers(0, 5)),
    st.tuples(st.just("append"), _jrows, _value),
    st.tuples(st.just("row"), _jrows, _value),
)


def _apply_json(mutations):
    rows = [[1609459200000 + i * 3_600_000, 100 + i, 102.5 + i, 99 + i, 101 + i, i * 1.5]
            for i in range(6)]
    for m in mutations:
        if m[1] >= len(rows):
            continue
        row = rows[m[1]]
        if m[0] == "replace" and isinstance(row, list) and m[2] < len(row):
            row[m[2]] = m[3]
        elif m[0] == "drop" and isinstance(row, list) and m[2] < len(row):
            del row[m[2]]
        elif m[0] == "append" and isinstance(row, list):
            row.append(m[2])
        elif m[0] == "row":
            rows[m[1]] = m[2]
    return rows


@SETTINGS
@given(st.lists(JSON_MUTATION, min_size=1, max_size=3), st.lists(BYTE_MUTATION, max_size=1))
def test_mutated_json_is_a_dataset_or_a_data_error(mutations, raw):
    text = json.dumps(_apply_json(mutations), indent=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.json"
        path.write_bytes(_bytes(text, raw))
        _outcome(path)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.binary(max_size=300), st.sampled_from(["fuzz.csv", "fuzz.json", "fuzz.csv.gz"]))
def test_random_bytes_are_a_dataset_or_a_data_error(data, name):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        _outcome(path)


@pytest.mark.parametrize("suffix", ["csv", "json"])
@settings(max_examples=4, deadline=None, derandomize=True)
@given(mutations=st.lists(CSV_MUTATION, min_size=1, max_size=2),
       jmutations=st.lists(JSON_MUTATION, min_size=1, max_size=2))
def test_qrp_data_add_on_a_sample_exits_0_or_2(suffix, mutations, jmutations):
    if suffix == "csv":
        text = "\n".join(",".join(r) for r in _apply_csv(mutations)) + "\n"
    else:
        text = json.dumps(_apply_json(jmutations))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"fuzz.{suffix}"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        db = Path(tmp) / "store.sqlite"
        r = qrp("data", "add", path, "--db", db)
        assert r.returncode in (0, 2), r.stderr
        assert "Traceback" not in r.stderr, r.stderr
        if r.returncode == 2:
            assert not db.exists(), "a refused file must not create a store"
        else:
            assert len(dataset_ids(db)) == 1
