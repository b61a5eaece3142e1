"""Every loader on real exchange files (../shared/data, see its README for provenance)."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest

from qrp_jupyter.data import from_dataframe, load, read_csv, read_json

pytestmark = pytest.mark.realdata

KLINE = "raw_formats/binance_kline_csv/BTCUSDT-1h-2022-01.csv"
CDD = "raw_formats/cryptodatadownload/Binance_ETCBTC_d.csv"
FT_SPOT = "raw_formats/freqtrade/XRP_ETH-5m.json"
FT_FUTURES = "raw_formats/freqtrade/futures/XRP_USDT_USDT-1h-futures.json"
BTC_1H = "binance_BTC-USDT_1h.csv.gz"


def ts(text: str) -> int:
    return pd.Timestamp(text).value


def test_binance_kline_archive_with_header_and_crlf(real_data):
    assert b"\r\n" in (real_data / KLINE).read_bytes()[:300]
    ds = read_csv(real_data / KLINE)
    assert ds.assets == ("BTCUSDT",) and ds.source == "csv:BTCUSDT-1h-2022-01.csv"
    assert ds.interval == "1h" and ds.periods_per_year == 8760
    df = ds.frames["BTCUSDT"]
    assert len(df) == 744
    assert df.index[0] == pd.Timestamp("2022-01-01T00:00:00Z")
    assert df.index[-1] == pd.Timestamp("2022-01-31T23:00:00Z")
    assert df.iloc[0].tolist() == [46216.93, 46731.39, 46208.37, 46656.13, 1503.33095]
    assert ds.close()[-1] == 38466.90
    assert ds.summary()["per_asset"]["BTCUSDT"]["gaps"] == 0


def test_binance_kline_without_header_and_in_microseconds(real_data, tmp_path):
    # Binance's own archives have no header, and since 2025 spot archives use microseconds.
    lines = (real_data / KLINE).read_text().splitlines()[1:]
    micro = [",".join([str(int(f[0]) * 1000), *f[1:]]) for f in (ln.split(",") for ln in lines)]
    plain, us = tmp_path / "BTCUSDT-1h-2022-01.csv", tmp_path / "BTCUSDT-1h-2022-02.csv"
    plain.write_text("\n".join(lines) + "\n")
    us.write_text("\n".join(micro) + "\n")
    ref = read_csv(real_data / KLINE).dataset_id_v2
    assert read_csv(plain).dataset_id_v2 == ref
    assert read_csv(us, format="binance_kline").dataset_id_v2 == ref


def test_cryptodatadownload_newest_first_is_sorted(real_data):
    ds = load(real_data / CDD)
    assert ds.assets == ("ETCBTC",) and ds.interval == "1d" and ds.periods_per_year == 365
    df = ds.frames["ETCBTC"]
    assert len(df) == 27 and df.index.is_monotonic_increasing
    assert df.index[0] == pd.Timestamp("2020-12-04T00:00:00Z")
    # Oldest candle (the file's last line) and base-currency volume ("Volume ETC").
    assert df.iloc[0].tolist() == [0.00033910, 0.00033940, 0.00031610, 0.00031930, 408697.38]
    assert df.iloc[-1]["volume"] == 659.93  # the incomplete final day, kept as published


def test_freqtrade_spot_json_compact_one_line(real_data):
    ds = read_json(real_data / FT_SPOT)
    assert ds.assets == ("XRP-ETH",) and ds.interval == "5m" and ds.periods_per_year == 105120
    assert len(ds.timestamps()) == 712
    assert ds.timestamps()[0] == ts("2019-10-11T00:00:00Z")
    assert ds.frames["XRP-ETH"].iloc[0].tolist() == [0.00141342, 0.00141658, 0.00141192,
                                                     0.00141192, 3478.0]
    assert ds.close()[-1] == 0.00152787
    assert int((ds.frames["XRP-ETH"]["volume"] == 0).sum()) == 6


def test_freqtrade_futures_json_one_candle_per_line(real_data):
    ds = load(real_data / FT_FUTURES)
    assert ds.assets == ("XRP-USDT-USDT",) and len(ds.close()) == 100
    assert ds.timestamps()[0] == ts("2021-11-17T01:00:00Z")
    assert ds.timestamps()[-1] == ts("2021-11-21T04:00:00Z")
    assert ds.frames["XRP-USDT-USDT"].iloc[0].tolist() == [1.0801, 1.09758, 1.07654, 1.07925,
                                                           3153694.607359]


def test_normalised_btc_hourly_with_real_gaps(real_data):
    ds = load(real_data / BTC_1H)
    assert ds.assets == ("BTC-USDT",)
    summary = ds.summary()["per_asset"]["BTC-USDT"]
    # README: 33412 rows, 8 gap events / 16 missing candles, 2017-08-17T04Z .. 2021-06-09T23Z.
    assert summary == {"rows": 33412, "first": "2017-08-17T04:00:00Z",
                       "last": "2021-06-09T23:00:00Z", "gaps": 8, "missing_bars": 16}
    # The first candle really has open=high=16199.91 against a close of 4308.83 (README).
    assert ds.frames["BTC-USDT"].iloc[0].tolist() == [16199.91, 16199.91, 4261.32, 4308.83, 44.51]
    # One of the gaps: 2017-09-22T19Z is followed by 2017-09-23T00Z (four missing hours).
    t = ds.timestamps()
    i = int(np.searchsorted(t, ts("2017-09-22T19:00:00Z")))
    assert t[i + 1] - t[i] == 5 * 3_600 * 10**9


def test_pandas_read_of_the_same_file_gives_the_same_id(real_data):
    with gzip.open(real_data / BTC_1H, "rt") as fh:
        df = pd.read_csv(fh)
    assert from_dataframe(df, asset="BTC-USDT").dataset_id_v2 == load(real_data / BTC_1H) \
        .dataset_id_v2


def test_generic_csv_dataframe_and_json_encodings_agree(real_data, tmp_path):
    ds = read_csv(real_data / KLINE, asset="BTCUSDT")
    df = ds.frames["BTCUSDT"]
    generic = tmp_path / "btc.csv"
    with open(generic, "w") as fh:
        fh.write("timestamp,open,high,low,close,volume\n")
        for t, row in zip(df.index, df.itertuples(index=False)):
            fh.write(t.strftime("%Y-%m-%dT%H:%M:%SZ") + "," + ",".join(map(repr, row)) + "\n")
    as_json = tmp_path / "btc.json"
    as_json.write_text(json.dumps([[int(t.value // 10**6), *row] for t, row in
                                   zip(df.index, df.itertuples(index=False))]))
    ids = {ds.dataset_id_v2,
           read_csv(generic, asset="BTCUSDT").dataset_id_v2,
           read_json(as_json, asset="BTCUSDT").dataset_id_v2,
           from_dataframe(df.reset_index(), asset="BTCUSDT").dataset_id_v2}
    assert len(ids) == 1


def test_all_normalised_files_register(real_data):
    # Every published file must be accepted as is: gaps allowed, zero volumes allowed.
    files = sorted(real_data.glob("binance_*_1d.csv.gz"))
    assert files
    for path in files:
        ds = load(path)
        assert ds.interval == "1d"
        assert ds.summary()["per_asset"][ds.assets[0]]["missing_bars"] == 6
