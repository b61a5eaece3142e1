"""The Dataset value object and the DataFrame routes into it."""

from __future__ import annotations

import gzip
import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrp_jupyter.data import Dataset, from_dataframe, from_frames, load, read_csv, synthetic
from qrp_jupyter.errors import DataError, IdentityError
from qrp_jupyter.identity import dataset_id_v2, decode_frames, encode_frames

OHLCV = ["open", "high", "low", "close", "volume"]


def frame(n: int = 5, freq: str = "h", start: str = "2021-01-01", scale: float = 1.0):
    idx = pd.date_range(start, periods=n, freq=freq, tz="UTC", name="timestamp")
    close = (100.0 + np.arange(n)) * scale
    return pd.DataFrame({"open": close - 0.5, "high": close + 1, "low": close - 1,
                         "close": close, "volume": np.arange(n, dtype=float)}, index=idx)


def test_canonical_frames_and_accessors():
    raw = frame()[["volume", "close", "open", "low", "high"]]
    ds = from_dataframe(raw, asset="BTC", name="demo")
    df = ds.frames["BTC"]
    assert list(df.columns) == OHLCV and all(df.dtypes == np.float64)
    assert df.index.name == "timestamp" and str(df.index.tz) == "UTC"
    assert df.index.dtype == "datetime64[ns, UTC]"
    assert ds.assets == ("BTC",) and ds.name == "demo" and ds.source == "dataframe"
    assert ds.interval_ns == 3_600 * 10**9 and ds.interval == "1h"
    np.testing.assert_array_equal(ds.close(), raw["close"].to_numpy())
    np.testing.assert_array_equal(ds.close("BTC"), ds.close())
    assert ds.timestamps().dtype == np.int64
    assert ds.timestamps()[0] == pd.Timestamp("2021-01-01", tz="UTC").value


def test_dataset_is_immutable_and_hands_out_copies():
    ds = from_dataframe(frame(), asset="BTC")
    ident = ds.dataset_id_v2
    with pytest.raises(AttributeError):
        ds.name = "x"
    with pytest.raises(AttributeError):
        del ds.source
    out = ds.frames["BTC"]
    out.iloc[0, 0] = -1.0
    out.index.name = "changed"
    with pytest.raises(TypeError):
        ds.frames["ETH"] = out
    with pytest.raises(ValueError):
        ds.close()[0] = 0.0
    with pytest.raises(ValueError):
        ds.timestamps()[0] = 0
    assert ds.frames["BTC"].iloc[0, 0] == 99.5 and ds.frames["BTC"].index.name == "timestamp"
    assert ds.dataset_id_v2 == ident == dataset_id_v2(ds) == dataset_id_v2(ds.frames)


def test_id_is_sha256_of_bytes_and_bytes_round_trip():
    ds = from_frames({"B": frame(), "A": frame(scale=2.0)}, name="pair")
    assert ds.dataset_id_v2 == hashlib.sha256(ds.to_bytes()).hexdigest()
    back = Dataset.from_bytes(ds.to_bytes(), name="pair", source="frames")
    assert back == ds and hash(back) == hash(ds)
    assert back.dataset_id_v2 == ds.dataset_id_v2 and back.assets == ("A", "B")
    assert Dataset.from_bytes(ds.to_bytes()).source == "store"
    for a in ds.assets:
        pd.testing.assert_frame_equal(back.frames[a], ds.frames[a], check_exact=True)


def test_name_and_source_never_reach_the_id():
    a = from_dataframe(frame(), name="one")
    b = Dataset(frame_map := {"ASSET": frame()}, name="two", source="elsewhere")
    assert a.dataset_id_v2 == b.dataset_id_v2 and a != b
    assert from_frames(frame_map).dataset_id_v2 == a.dataset_id_v2
    assert dataset_id_v2(frame()) == a.dataset_id_v2  # lone DataFrame = asset "ASSET"


def test_from_bytes_revalidates_and_refuses_non_candles():
    bad = frame()
    bad.iloc[2, 1] = 50.0  # high below close: encodable, but not a candle
    with pytest.raises(DataError, match=r"high 50\.0.*stored row 2"):
        Dataset.from_bytes(encode_frames({"X": bad}))
    with pytest.raises(DataError, match="not float64"):
        Dataset.from_bytes(encode_frames({"X": frame()[["close"]]}))
    with pytest.raises(IdentityError):
        Dataset.from_bytes(b"garbage")


def test_periods_per_year_use_365_days():
    assert from_dataframe(frame(freq="h")).periods_per_year == 8760
    assert from_dataframe(frame(freq="D")).periods_per_year == 365
    assert from_dataframe(frame(freq="5min")).periods_per_year == 105120
    assert from_dataframe(frame(freq="4h")).interval == "4h"


def test_summary_is_json_ready_and_counts_gaps():
    df = frame(10)
    gappy = df.drop(df.index[[3, 6, 7]])  # one single and one double gap
    ds = from_frames({"X": gappy, "Y": df})
    summary = json.loads(json.dumps(ds.summary()))
    assert summary["interval"] == "1h" and summary["assets"] == ["X", "Y"]
    assert summary["dataset_id_v2"] == ds.dataset_id_v2 and summary["periods_per_year"] == 8760
    assert summary["per_asset"]["X"] == {"rows": 7, "first": "2021-01-01T00:00:00Z",
                                         "last": "2021-01-01T09:00:00Z", "gaps": 2,
                                         "missing_bars": 3}
    assert summary["per_asset"]["Y"]["gaps"] == 0
    assert "rows=17" in repr(ds) and ds.dataset_id_v2[:12] in repr(ds)


def test_multi_asset_needs_an_asset_name():
    ds = from_frames({"BTC": frame(), "ETH": frame(scale=0.1)})
    with pytest.raises(DataError, match=r"2 assets \['BTC', 'ETH'\]") as info:
        ds.close()
    assert "asset='BTC'" in info.value.fix
    with pytest.raises(DataError, match=r"no asset 'SOL'.*\['BTC', 'ETH'\]"):
        ds.timestamps("SOL")


@pytest.mark.parametrize("convert", [
    pytest.param(lambda t: t, id="datetime-aware"),
    pytest.param(lambda t: t.tz_localize(None), id="datetime-naive"),
    pytest.param(lambda t: t.tz_convert("America/New_York"), id="datetime-other-zone"),
    pytest.param(lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ"), id="iso-z"),
    pytest.param(lambda t: t.tz_convert("Asia/Tokyo").strftime("%Y-%m-%d %H:%M:%S%z"),
                 id="iso-offset"),
    pytest.param(lambda t: t.asi8 // 10**9, id="epoch-s"),
    pytest.param(lambda t: t.asi8 // 10**6, id="epoch-ms"),
    pytest.param(lambda t: t.asi8 // 10**3, id="epoch-us"),
    pytest.param(lambda t: t.asi8, id="epoch-ns"),
    pytest.param(lambda t: (t.asi8 // 10**6).astype(float), id="epoch-ms-float"),
    pytest.param(lambda t: (t.asi8 // 10**6).astype(str), id="epoch-ms-text"),
])
def test_every_timestamp_spelling_gives_the_same_id(convert):
    ref = frame()
    df = ref.reset_index(drop=True)
    df.insert(0, "timestamp", convert(ref.index.as_unit("ns")))
    assert from_dataframe(df).dataset_id_v2 == from_dataframe(ref).dataset_id_v2


def test_column_case_and_aliases_are_recognised(tmp_path):
    ref = read_csv_text(tmp_path, "ref.csv", "timestamp,open,high,low,close,volume\n"
                        "2021-01-01T00:00:00Z,1,2,0.5,1.5,10\n"
                        "2021-01-01T01:00:00Z,1.5,2.5,1,2,20\n")
    aliased = read_csv_text(tmp_path, "alias.csv", "Date,OPEN,High,low,Close,Vol,Trades\n"
                            "2021-01-01 00:00:00,1,2,0.5,1.5,10,3\n"
                            "2021-01-01 01:00:00,1.5,2.5,1,2,20,4\n")
    assert aliased.dataset_id_v2 == ref.dataset_id_v2
    df = pd.DataFrame({"Open Time": [1609459200000, 1609462800000], "O": ["1", "1.5"],
                       "H": [2, 2.5], "L": [0.5, 1], "C": [1.5, 2], "Volume": [10, 20]})
    assert from_dataframe(df, asset="ref").dataset_id_v2 == ref.dataset_id_v2


def read_csv_text(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return read_csv(path, asset="ref")


def test_long_panel_becomes_several_assets(tmp_path):
    btc, eth = frame(), frame(scale=0.05)
    panel = pd.concat([btc.assign(Symbol="BTC"), eth.assign(Symbol="ETH")]).reset_index()
    panel = panel.sample(frac=1.0, random_state=0).sort_values("timestamp", kind="stable")
    ds = from_dataframe(panel)
    assert ds.assets == ("BTC", "ETH")
    assert ds.dataset_id_v2 == from_frames({"BTC": btc, "ETH": eth}).dataset_id_v2
    path = tmp_path / "panel.csv"
    panel.assign(timestamp=panel["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")) \
        .to_csv(path, index=False)
    assert load(path).dataset_id_v2 == ds.dataset_id_v2


def test_panel_errors_point_at_the_original_row():
    panel = pd.concat([frame().assign(asset="A"), frame().assign(asset="B")]).reset_index()
    panel.loc[7, "volume"] = -1.0  # B's third candle, row 7 of the panel
    with pytest.raises(DataError) as info:
        from_dataframe(panel)
    assert info.value.where == "asset 'B', df.iloc[7], column 'volume'"


@settings(max_examples=60, deadline=None)
@given(closes=st.lists(st.floats(min_value=1e-8, max_value=1e9), min_size=2, max_size=30),
       freq=st.sampled_from(["5min", "h", "D"]))
def test_any_valid_candles_round_trip_through_bytes_and_csv(closes, freq, tmp_path_factory):
    close = np.array(closes)
    idx = pd.date_range("2020-02-28", periods=close.size, freq=freq, tz="UTC")
    open_ = np.roll(close, 1)
    open_[0] = close[0]
    df = pd.DataFrame({"open": open_, "high": np.maximum(open_, close) * 1.01,
                       "low": np.minimum(open_, close) * 0.99, "close": close,
                       "volume": close * 3}, index=idx)
    ds = from_dataframe(df, asset="X")
    assert Dataset.from_bytes(ds.to_bytes()).dataset_id_v2 == ds.dataset_id_v2
    path = tmp_path_factory.mktemp("rt") / "x.csv"
    df.rename_axis("timestamp").to_csv(path)  # pandas writes shortest round-trip floats
    assert read_csv(path, asset="X").dataset_id_v2 == ds.dataset_id_v2
    assert set(decode_frames(ds.to_bytes())) == {"X"}


def test_synthetic_and_real_routes_share_one_validation():
    ds = synthetic(n_bars=50, assets=("B", "A"), seed=1)
    assert Dataset.from_bytes(ds.to_bytes()).dataset_id_v2 == ds.dataset_id_v2
    assert from_frames(ds.frames).dataset_id_v2 == ds.dataset_id_v2


def test_json_accepts_float_epochs_and_iso_strings(tmp_path):
    ints = tmp_path / "a.json"
    ints.write_text("[[1609459200000, 1, 2, 0.5, 1.5, 10], [1609462800000, 1.5, 2.5, 1, 2, 20]]")
    floats = tmp_path / "b.json"
    floats.write_text("[[1.6094592e12, 1, 2, 0.5, 1.5, 10], [1.6094628e12, 1.5, 2.5, 1, 2, 20]]")
    text = tmp_path / "c.json.gz"
    with gzip.open(text, "wt") as fh:
        fh.write('[["2021-01-01T00:00:00Z", 1, 2, 0.5, 1.5, 10],'
                 ' ["2021-01-01T01:00:00Z", "1.5", 2.5, 1, 2, 20]]')
    ids = {load(p, asset="X").dataset_id_v2 for p in (ints, floats, text)}
    assert len(ids) == 1


def test_cryptodatadownload_variants(tmp_path):
    # With and without the URL line, seconds or milliseconds, "Unix Timestamp" spelling, and
    # the base volume picked by the symbol even when the quote volume comes first.
    rows = ["1609462800,2021-01-01 01-AM,ETH/BTC,1.5,2.5,1,2,999,20",
            "1609459200,2021-01-01 12-AM,ETH/BTC,1,2,0.5,1.5,999,10"]
    a = tmp_path / "Binance_ETHBTC_1h.csv"
    a.write_text("https://www.CryptoDataDownload.com\n"
                 "Unix Timestamp,Date,Symbol,Open,High,Low,Close,Volume BTC,Volume ETH\n"
                 + "\n".join(rows) + "\n")
    b = tmp_path / "b.csv"  # no URL line, unix in ms, base volume first
    swapped = []
    for row in rows:
        f = row.split(",")
        swapped.append(",".join([str(int(f[0]) * 1000), *f[1:7], f[8], f[7]]))
    b.write_text("unix,date,symbol,open,high,low,close,Volume ETH,Volume BTC\n"
                 + "\n".join(swapped) + "\n")
    ds_a = read_csv(a)
    assert ds_a.assets == ("ETHBTC",) and ds_a.frames["ETHBTC"]["volume"].tolist() == [10, 20]
    assert read_csv(b, asset="ETHBTC").dataset_id_v2 == ds_a.dataset_id_v2


def test_epoch_index_named_like_a_timestamp_is_used():
    ref = frame()
    df = ref.reset_index(drop=True)
    df.index = pd.Index(ref.index.asi8 // 10**6, name="open_time")
    assert from_dataframe(df).dataset_id_v2 == from_dataframe(ref).dataset_id_v2
    df.index.name = "open"  # a price-like index name is not a timestamp
    with pytest.raises(DataError, match="no timestamps"):
        from_dataframe(df.drop(columns="open"))
