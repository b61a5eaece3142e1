"""The synthetic generator: deterministic, valid, and with exactly the edge it was asked for."""

from __future__ import annotations

import numpy as np
import pytest

from qrp_jupyter.data import Dataset, synthetic
from qrp_jupyter.errors import DataError

N_LONG = 40_000  # bars for the autocorrelation checks (~4.6 years hourly, ~0.1 s to generate)


def lag1(close: np.ndarray) -> tuple[float, float]:
    """Lag-1 autocorrelation of log returns and its heteroskedasticity-robust standard error.

    The plain 1/sqrt(n) error assumes iid returns; with volatility regimes and jumps the
    sampling error is larger (about 1.5x here), so the tolerance uses the White-type estimate
    sqrt(sum(x_t^2 x_{t-1}^2)) / sum(x_t^2), which is valid for uncorrelated, heteroskedastic
    returns.
    """
    r = np.diff(np.log(close))
    x = r - r.mean()
    den = float(x @ x)
    return float(x[1:] @ x[:-1]) / den, float(np.sqrt(np.sum((x[1:] * x[:-1]) ** 2))) / den


def test_same_seed_same_data_different_seed_different_data():
    a = synthetic(n_bars=500, seed=7, edge=0.1)
    b = synthetic(n_bars=500, seed=7, edge=0.1)
    assert a.dataset_id_v2 == b.dataset_id_v2
    np.testing.assert_array_equal(a.close(), b.close())
    assert synthetic(n_bars=500, seed=8, edge=0.1).dataset_id_v2 != a.dataset_id_v2
    assert synthetic(n_bars=500, seed=7, edge=0.0).dataset_id_v2 != a.dataset_id_v2
    assert a.source == "synthetic(seed=7, edge=0.1, n_bars=500, interval=1h, generator=2)"


def test_no_global_rng_is_used_or_disturbed():
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    a = synthetic(n_bars=200, seed=3)
    assert np.random.random() == before
    np.random.seed(999)
    assert synthetic(n_bars=200, seed=3).dataset_id_v2 == a.dataset_id_v2


def test_assets_get_independent_streams_regardless_of_order():
    ds = synthetic(n_bars=300, assets=("ETH", "BTC"), seed=2)
    assert ds.assets == ("BTC", "ETH")
    assert ds.dataset_id_v2 == synthetic(n_bars=300, assets=("BTC", "ETH"), seed=2).dataset_id_v2
    assert not np.array_equal(ds.close("BTC"), ds.close("ETH"))


def test_defaults_are_two_years_hourly_and_valid_candles():
    ds = synthetic()
    df = ds.frames["SYN"]
    assert len(df) == 17520 and ds.interval == "1h" and ds.periods_per_year == 8760
    assert ds.summary()["per_asset"]["SYN"]["first"] == "2021-01-01T00:00:00Z"
    assert (df["open"].to_numpy()[1:] == df["close"].to_numpy()[:-1]).all()
    assert (df["high"] >= df[["open", "close"]].max(axis=1)).all()
    assert (df["low"] <= df[["open", "close"]].min(axis=1)).all()
    assert (df["volume"] > 0).all()
    # It survives the same validation as stored data.
    assert Dataset.from_bytes(ds.to_bytes()).dataset_id_v2 == ds.dataset_id_v2


def test_returns_have_volatility_regimes_and_fat_tails():
    r = np.diff(np.log(synthetic(n_bars=N_LONG, seed=11).close()))
    z = (r - r.mean()) / r.std()
    assert np.mean(z**4) > 6.0  # raw kurtosis; a normal distribution has 3
    # Volatility clustering: |r| is autocorrelated even though r is not.
    a = np.abs(r) - np.abs(r).mean()
    assert float(a[1:] @ a[:-1]) / float(a @ a) > 0.1


def test_edge_zero_has_no_autocorrelation_and_edge_plants_momentum():
    # Tolerance: 4 robust standard errors (see lag1). With the seeds fixed the test is
    # deterministic; the bound says the planted effect is far outside sampling noise (measured
    # over 20 seeds at n=17520: edge=0 gives |ac| / se <= 2.5, edge=0.1 gives ac / se >= 6).
    ac0, se0 = lag1(synthetic(n_bars=N_LONG, seed=101, edge=0.0).close())
    ac1, se1 = lag1(synthetic(n_bars=N_LONG, seed=101, edge=0.1).close())
    assert abs(ac0) < 4 * se0
    assert ac1 > 4 * se1
    # The size is the documented one: about 0.93 * edge, shrunk by jumps and regime changes.
    assert 0.06 < ac1 < 0.12


def test_momentum_rule_profits_only_with_an_edge():
    def sharpe(edge):
        r = np.diff(np.log(synthetic(n_bars=N_LONG, seed=5, edge=edge).close()))
        pnl = np.sign(r[:-1]) * r[1:]  # hold the sign of the last return for one bar
        return pnl.mean() / pnl.std() * np.sqrt(8760)
    # Annualised Sharpe over n hourly bars has a standard error of about sqrt(8760 / n) = 0.47
    # here, so 1.5 is ~3 standard errors for the null and 3.0 is ~6 above zero (30 seeds
    # measured: null |SR| <= 0.93, edge=0.1 SR >= 5.5).
    assert sharpe(0.1) > 3.0
    assert abs(sharpe(0.0)) < 1.5


def test_other_intervals_scale_volatility():
    hourly = np.diff(np.log(synthetic(n_bars=5000, seed=4).close())).std()
    daily = np.diff(np.log(synthetic(n_bars=5000, seed=4, interval="1d").close())).std()
    assert synthetic(n_bars=10, interval="5m").periods_per_year == 105120
    assert 3.0 < daily / hourly < 7.0  # sqrt(24) ~ 4.9


@pytest.mark.parametrize("kwargs, fragment", [
    ({"n_bars": 1}, "n_bars=1"),
    ({"seed": -1}, "seed=-1"),
    ({"seed": 1.5}, "seed=1.5"),
    ({"edge": 1.0}, "edge=1.0"),
    ({"assets": ("A", "A")}, "distinct"),
    ({"assets": "BTC"}, "distinct"),
    ({"interval": "hourly"}, "interval 'hourly'"),
    ({"start": "not a date"}, "start='not a date'"),
])
def test_bad_parameters_are_data_errors(kwargs, fragment):
    with pytest.raises(DataError, match=fragment) as info:
        synthetic(**kwargs)
    assert info.value.fix
