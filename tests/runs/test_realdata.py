"""End to end on real exchange candles from ../shared/data (skipped only when it is absent)."""

from __future__ import annotations

import pytest

from qrp_jupyter.audit import trace, verify
from qrp_jupyter.data import load
from qrp_jupyter.governance import create_candidate, promote
from qrp_jupyter.runs import execute_run, register_dataset, replay_run

pytestmark = [pytest.mark.realdata, pytest.mark.filterwarnings("ignore::RuntimeWarning")]

CONFIG = """\
name = "btc daily trend"
family = "real-btc-1d"
[data]
dataset = "btc-1d"
[strategy]
kind = "ma_crossover"
[strategy.grid]
fast = [5, 10, 20]
slow = [50, 100, 200]
[costs]
fee_bps = 10.0
slippage_bps = 5.0
[walk_forward]
n_folds = 4
purge = 5
[nulls.reality_check]
reps = 499
"""


def test_real_btc_daily_through_the_gate(store, shared_data):
    path = shared_data / "binance_BTC-USDT_1d.csv.gz"
    if not path.exists():
        pytest.skip(f"{path.name} is absent: ../shared/data lives beside the repo in CI")
    ds = load(path)
    assert ds.periods_per_year == 365  # daily crypto bars, every day of the year
    ds_id = register_dataset(store, ds, name="btc-1d")
    out = execute_run(store, CONFIG, source="real.toml")
    assert out.dataset_id_v2 == ds_id and out.summary["n_trials"] == 9
    assert out.summary["n_obs"] == 3142 - 1
    assert 0 < out.summary["reality_check_pvalue"] <= 1
    assert out.summary["fold_causality_valid"] is True
    c = create_candidate(store, out.run_instance_id)
    res = promote(store, c["candidate_id"], "candidate")
    assert res.report["level"] == "candidate"
    assert {r["verdict"] for r in res.report["rules"]} <= {"pass", "fail"}  # nothing missing
    rep = replay_run(store, out.run_key)
    assert rep.extra["attestation"]["match"] is True
    assert trace(store, c["candidate_id"])["ok"]
    assert verify(store).ok
