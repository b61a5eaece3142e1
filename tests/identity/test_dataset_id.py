"""dataset_id_v2: canonical encoding, exact round trips, invariance and sensitivity."""

from __future__ import annotations

import hashlib
import json
import struct

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrp_jupyter.errors import IdentityError
from qrp_jupyter.identity import (
    CANONICAL_NAN_BITS,
    DATASET_MAGIC,
    dataset_id_v2,
    decode_frames,
    encode_frames,
)

OHLCV = ["open", "high", "low", "close", "volume"]


def candles(n: int = 4, start: str = "2021-01-01", tz: str | None = "UTC") -> pd.DataFrame:
    index = pd.date_range(start, periods=n, freq="h", tz=tz, name="timestamp")
    close = 100.0 + np.arange(n)
    return pd.DataFrame({"open": close - 0.5, "high": close + 1.0, "low": close - 1.0,
                         "close": close, "volume": 10.0 + np.arange(n)}, index=index)


# ---------------------------------------------------------------------------------------------
# hypothesis strategies: arbitrary (not only OHLCV) frames, NaN, inf, -0.0 and int64 included
names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=6)
ns_times = st.integers(-(2**62), 2**62)


@st.composite
def frame_maps(draw) -> dict[str, pd.DataFrame]:
    out = {}
    for asset in draw(st.lists(names, min_size=1, max_size=3, unique=True)):
        n = draw(st.integers(1, 6))
        ts = draw(st.lists(ns_times, min_size=n, max_size=n, unique=True))
        cols = draw(st.lists(names.filter(lambda c: c != "timestamp"), max_size=4, unique=True))
        data = {}
        for col in cols:
            if draw(st.booleans()):
                data[col] = np.array(draw(st.lists(st.floats(), min_size=n, max_size=n)),
                                     dtype=np.float64)
            else:
                data[col] = np.array(draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=n,
                                                   max_size=n)), dtype=np.int64)
        index = pd.DatetimeIndex(np.array(ts, dtype="M8[ns]"), name="timestamp").tz_localize("UTC")
        out[asset] = pd.DataFrame(data, index=index)
    return out


def canonical(df: pd.DataFrame) -> pd.DataFrame:
    """What decode must give back: rows by time, OHLCV order or sorted columns, ns UTC."""
    cols = OHLCV if sorted(df.columns) == sorted(OHLCV) else sorted(df.columns)
    out = df.sort_index()[cols]
    out.index = out.index.as_unit("ns")
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame_maps())
def test_decode_inverts_encode_exactly(frames):
    data = encode_frames(frames)
    back = decode_frames(data)
    assert list(back) == sorted(frames)
    for asset, df in frames.items():
        pd.testing.assert_frame_equal(back[asset], canonical(df), check_exact=True,
                                      check_freq=False)
        assert str(back[asset].index.tz) == "UTC" and back[asset].index.name == "timestamp"
    # Byte-exact: decoding loses nothing the encoding holds (NaN bits, -0.0 fold included).
    assert encode_frames(back) == data


@settings(max_examples=100, deadline=None)
@given(frame_maps(), st.randoms(use_true_random=False))
def test_id_ignores_asset_column_and_row_order(frames, rnd):
    shuffled = {}
    for asset in rnd.sample(list(frames), len(frames)):
        df = frames[asset]
        rows = rnd.sample(range(len(df)), len(df))
        cols = rnd.sample(list(df.columns), len(df.columns))
        shuffled[asset] = df.iloc[rows][cols]
    assert dataset_id_v2(shuffled) == dataset_id_v2(frames)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 3), st.sampled_from(OHLCV),
       st.floats(allow_nan=False, allow_infinity=False, min_value=1.0, max_value=1e6))
def test_one_changed_cell_changes_the_id(row, column, value):
    df = candles()
    changed = df.copy()
    changed.iloc[row, df.columns.get_loc(column)] = np.nextafter(value, np.inf)
    base = df.copy()
    base.iloc[row, df.columns.get_loc(column)] = value
    assert dataset_id_v2(changed) != dataset_id_v2(base)


def test_added_row_renamed_asset_renamed_column_change_the_id():
    df = candles(4)
    ref = dataset_id_v2({"BTC": df})
    assert dataset_id_v2({"BTC": candles(5)}) != ref
    assert dataset_id_v2({"ETH": df}) != ref
    assert dataset_id_v2({"BTC": df.rename(columns={"volume": "vol"})}) != ref
    assert dataset_id_v2({"BTC": df, "ETH": df}) != ref
    # Same values one hour later: timestamps are data.
    assert dataset_id_v2({"BTC": candles(4, start="2021-01-01 01:00")}) != ref


def test_timestamps_naive_aware_other_zone_and_unit_give_one_id():
    aware = candles(tz="UTC")
    naive = candles(tz=None)
    zoned = aware.tz_convert("Asia/Jerusalem")
    micro = aware.copy()
    micro.index = micro.index.as_unit("us")
    ids = {dataset_id_v2(df) for df in (aware, naive, zoned, micro)}
    assert len(ids) == 1


def test_nan_payloads_and_negative_zero_are_canonical():
    df = candles()
    other_nan = struct.unpack("<d", struct.pack("<Q", 0xFFF8_0000_0000_0001))[0]
    a, b = df.copy(), df.copy()
    a.loc[a.index[1], "volume"] = np.nan
    b.loc[b.index[1], "volume"] = other_nan
    a.loc[a.index[2], "low"] = 0.0
    b.loc[b.index[2], "low"] = -0.0
    assert encode_frames({"X": a}) == encode_frames({"X": b})
    data = encode_frames({"X": b})
    back = decode_frames(data)["X"]
    bits = back["volume"].to_numpy().view(np.uint64)
    assert bits[1] == CANONICAL_NAN_BITS
    assert back["low"].to_numpy().view(np.uint64)[2] == 0


def test_int_and_float_columns_are_distinct_at_this_layer():
    # Like canonical JSON (1 vs 1.0); qrp_jupyter.data converts to float64 before hashing.
    df = pd.DataFrame({"x": [1, 2]}, index=pd.date_range("2021", periods=2, tz="UTC"))
    assert dataset_id_v2(df) != dataset_id_v2(df.astype("float64"))
    assert decode_frames(encode_frames({"A": df}))["A"]["x"].dtype == np.int64


def test_layout_is_magic_header_then_little_endian_columns():
    df = candles(2)
    data = encode_frames({"B": df, "A": df})
    assert data.startswith(DATASET_MAGIC)
    header_end = data.index(b"\n", len(DATASET_MAGIC))
    header = json.loads(data[len(DATASET_MAGIC):header_end])
    cols = [[c, "float64"] for c in sorted(OHLCV)]
    assert header == {"assets": [{"columns": cols, "name": "A", "rows": 2},
                                 {"columns": cols, "name": "B", "rows": 2}]}
    body = data[header_end + 1:]
    assert len(body) == 2 * (2 * 8 * 6)
    ts0 = struct.unpack_from("<q", body, 0)[0]
    assert ts0 == pd.Timestamp("2021-01-01", tz="UTC").value
    close0 = struct.unpack_from("<d", body, 16)[0]  # first sorted column is "close"
    assert close0 == 100.0
    assert dataset_id_v2({"A": df, "B": df}) == hashlib.sha256(data).hexdigest()


def test_golden_id_pins_the_encoding():
    # If this changes, every stored dataset_id_v2 changes: bump the magic, do not edit this.
    assert dataset_id_v2({"BTC": candles(3)}) == (
        "d0211485a66e714695c7adbd48f58d50ddcbe1823d3cbe3a9cef8ee02cf1e7e6")


def test_single_dataframe_is_asset_ASSET_and_dataset_objects_are_accepted():
    df = candles()
    assert dataset_id_v2(df) == dataset_id_v2({"ASSET": df})

    class Stub:
        def to_bytes(self):
            return encode_frames({"ASSET": df})

    assert dataset_id_v2(Stub()) == dataset_id_v2(df)


@pytest.mark.parametrize("frames, fragment", [
    ({}, "no assets"),
    ({"BTC": candles().iloc[:0]}, "0 rows"),
    ({"BTC": pd.DataFrame({"x": ["a", "b"]},
                          index=pd.date_range("2021", periods=2, tz="UTC"))}, "dtype"),
    ({"BTC": pd.DataFrame({"x": [1.0, 2.0]}, index=[1, 2])}, "not a DatetimeIndex"),
    ({"BTC": pd.DataFrame({"x": [1.0, 2.0]},
                          index=pd.DatetimeIndex(["2021-01-01", "2021-01-01"]))}, "twice"),
    ({"": candles()}, "non-empty string"),
    ({"BTC": candles().rename(columns={"open": 3})}, "non-empty string"),
    ({"\ud800": candles()}, "UTF-8"),
])
def test_empty_or_unencodable_data_is_an_error_not_an_id(frames, fragment):
    with pytest.raises(IdentityError, match=fragment) as info:
        dataset_id_v2(frames)
    assert info.value.fix


def test_non_dataset_values_are_refused():
    with pytest.raises(IdentityError, match="cannot identify"):
        dataset_id_v2([1, 2, 3])
    with pytest.raises(IdentityError, match="0 rows"):
        dataset_id_v2(pd.DataFrame())


def _swap_first_rows(data: bytes) -> bytes:
    end = data.index(b"\n", len(DATASET_MAGIC)) + 1
    body = bytearray(data[end:])
    body[0:8], body[8:16] = body[8:16], body[0:8]
    return data[:end] + bytes(body)


@pytest.mark.parametrize("mutate, fragment", [
    (lambda d: b"QRPDS1\n" + d[len(DATASET_MAGIC):], "dataset tag"),
    (lambda d: d[:len(DATASET_MAGIC) + 5], "no terminating newline"),
    (lambda d: d[:-3], "truncated"),
    (lambda d: d + b"\x00", "unexpected bytes"),
    (lambda d: DATASET_MAGIC + b'{"assets":[]}\n', "header is not valid"),
    (lambda d: DATASET_MAGIC + b"not json\n", "header is not valid"),
    (_swap_first_rows, "canonical form"),
    (lambda d: "text", "expected bytes"),
])
def test_bad_bytes_are_an_identity_error(mutate, fragment):
    data = encode_frames({"BTC": candles()})
    with pytest.raises(IdentityError, match=fragment):
        decode_frames(mutate(data))


def test_non_canonical_nan_bits_in_bytes_are_refused():
    df = candles(2)
    df.loc[df.index[0], "volume"] = np.nan
    data = bytearray(encode_frames({"X": df}))
    at = bytes(data).index(struct.pack("<Q", CANONICAL_NAN_BITS))
    data[at:at + 8] = struct.pack("<Q", 0x7FF8_0000_0000_0001)
    with pytest.raises(IdentityError, match="canonical form"):
        decode_frames(bytes(data))


# ---------------------------------------------------------------------------------------------
# End to end through qrp_jupyter.data: the routes a user takes give one id
def test_same_candles_via_csv_dataframe_int_prices_and_epoch_ms(tmp_path):
    from qrp_jupyter.data import from_dataframe, read_csv, read_json

    rows = [("2021-01-01T00:00:00Z", 1609459200000, "100", "102", "99", "101", "5"),
            ("2021-01-01T01:00:00Z", 1609462800000, "101", "103", "100", "102", "7"),
            ("2021-01-01T02:00:00Z", 1609466400000, "102", "102", "98", "99", "0")]
    csv_path = tmp_path / "x.csv"
    csv_path.write_text("timestamp,open,high,low,close,volume\n"
                        + "".join(f"{r[0]},{','.join(r[2:])}\n" for r in rows))
    json_path = tmp_path / "x.json"
    json_path.write_text(json.dumps([[r[1], *map(int, r[2:])] for r in rows]))
    as_float = pd.DataFrame([[float(v) for v in r[2:]] for r in rows], columns=OHLCV,
                            index=pd.to_datetime([r[0] for r in rows]))
    as_int = pd.DataFrame([[int(v) for v in r[2:]] for r in rows], columns=OHLCV)
    as_int.insert(0, "timestamp", [r[1] for r in rows])  # epoch milliseconds
    naive = as_float.tz_localize(None)[["volume", "close", "low", "open", "high"]]
    ids = {
        read_csv(csv_path, asset="X").dataset_id_v2,
        read_json(json_path, asset="X").dataset_id_v2,
        from_dataframe(as_float, asset="X").dataset_id_v2,
        from_dataframe(as_int, asset="X").dataset_id_v2,
        from_dataframe(naive, asset="X").dataset_id_v2,
        dataset_id_v2({"X": as_float}),
    }
    assert len(ids) == 1


def test_asset_order_in_a_dataset_does_not_matter():
    from qrp_jupyter.data import from_frames

    a, b = candles(), candles(start="2021-02-01")
    orders = [{"A": a, "B": b}, {"B": b, "A": a}]
    assert len({from_frames(o).dataset_id_v2 for o in orders}) == 1
