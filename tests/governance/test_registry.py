"""The trial registry that deflates a Sharpe ratio cannot be reset by a label.

Each test builds a real store, records runs the way a researcher gaming the gate would (a new
family label, a search split over runs, the same trials recorded again with other null-test
settings, bars of another interval) and reads the deflated Sharpe evidence a promotion stores.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from qrp_jupyter.data import from_dataframe, synthetic
from qrp_jupyter.governance import create_candidate, promote
from qrp_jupyter.governance.registry import trial_registry
from qrp_jupyter.runs import execute_run, register_dataset
from qrp_jupyter.runs.datasets import load_dataset
from qrp_jupyter.store import Store

BARS = 2000


def _config(family: str, lookbacks: list[int], *, dataset: str = "mkt", reps: int = 99,
            thresholds: tuple[float, ...] = (0.0,)) -> str:
    return f"""\
family = "{family}"
[data]
dataset = "{dataset}"
[strategy]
kind = "ts_momentum"
[strategy.grid]
lookback = {lookbacks}
threshold = {list(thresholds)}
[costs]
fee_bps = 1.0
slippage_bps = 0.5
[walk_forward]
enabled = false
[nulls.reality_check]
reps = {reps}
[nulls.spa_stepm]
reps = 99
[nulls.pbo]
enabled = false
"""


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "registry.sqlite")
    register_dataset(s, synthetic(n_bars=BARS, seed=3, edge=0.1), name="mkt")
    yield s
    s.close()


def _evidence(store: Store, run, trial: int | None = None) -> dict:
    """The sharpe_evidence document a promotion of ``run``'s trial stores."""
    cand = create_candidate(store, run.run_instance_id, trial)
    report = promote(store, cand["candidate_id"], "candidate").report
    aid = next(r["artifact_id"] for r in report["rules"] if r["metric"] == "deflated_sharpe")
    return json.loads(store.get_artifact(aid))


def _best_of(store: Store, runs) -> tuple[object, int]:
    """(run, trial index) of the largest per-period Sharpe over several runs."""
    best = None
    for run in runs:
        for t in store.all("trials.table", (run.run_key,)):
            if t["sharpe"] is not None and (best is None or t["sharpe"] > best[0]):
                best = (t["sharpe"], run, t["trial_index"])
    return best[1], best[2]


def test_a_new_label_deflates_as_much_as_the_old_one(store):
    execute_run(store, _config("audit-mom", [1, 2, 3, 4, 6, 8, 12, 16]))  # the earlier search
    grid = [24, 48]
    old = _evidence(store, execute_run(store, _config("audit-mom", grid)))
    new = _evidence(store, execute_run(store, _config("audit-mom-v2", grid)))
    assert old["n_trials_family"] == new["n_trials_family"] == 10
    for key in ("sr_variance", "expected_max_sr", "deflated_sharpe"):
        assert new[key] == old[key], key
    assert new["registry"]["families"] == ["audit-mom", "audit-mom-v2"]
    assert [r["n_new_trials"] for r in new["registry"]["runs"]] == [8, 2, 0]


def test_a_search_split_over_five_labels_deflates_as_one(tmp_path):
    lookbacks = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64, 80, 96, 120, 168]
    one = Store(tmp_path / "one.sqlite")
    split = Store(tmp_path / "split.sqlite")
    try:
        for s in (one, split):
            register_dataset(s, synthetic(n_bars=BARS, seed=3, edge=0.1), name="mkt")
        whole = execute_run(one, _config("one-search", lookbacks))
        parts = [execute_run(split, _config(f"label-{i}", lookbacks[i::5])) for i in range(5)]
        run, trial = _best_of(split, parts)
        a = _evidence(one, whole, _best_of(one, [whole])[1])
        b = _evidence(split, run, trial)
    finally:
        one.close()
        split.close()
    assert a["sr"] == b["sr"]
    assert a["n_trials_family"] == b["n_trials_family"] == 20
    for key in ("sr_variance", "expected_max_sr", "deflated_sharpe"):
        assert b[key] == a[key], key
    assert a["registry"]["digest"] == b["registry"]["digest"]
    assert len(b["registry"]["runs"]) == 5 and len(b["registry"]["families"]) == 5


def test_the_same_trials_with_other_null_settings_count_once(store):
    runs = [execute_run(store, _config("reps", [1, 2, 4, 8], reps=r)) for r in (199, 299, 399)]
    assert len({r.run_key for r in runs}) == 3
    reg = trial_registry(store, runs[-1].run_key)
    assert (reg.n_trials, reg.n_recorded) == (4, 12)
    assert [r["n_new_trials"] for r in reg.to_dict()["runs"]] == [4, 0, 0]


def test_other_bar_intervals_are_never_pooled(store):
    register_dataset(store, synthetic(n_bars=BARS, seed=3, edge=0.1, interval="1d"),
                     name="daily")
    hourly = execute_run(store, _config("mixed", [1, 2, 4, 8]))
    daily = execute_run(store, _config("mixed", [1, 2, 4, 8, 16, 32], dataset="daily"))
    h, d = trial_registry(store, hourly.run_key), trial_registry(store, daily.run_key)
    assert (h.n_trials, d.n_trials) == (4, 6)
    assert h.interval_ns == 3600 * 10**9 and d.interval_ns == 86400 * 10**9
    assert [r["run_key"] for r in h.to_dict()["runs"]] == [hourly.run_key]


def test_same_asset_over_overlapping_data_is_one_search_and_disjoint_data_is_not(store):
    # Another sample of the same asset and interval whose span overlaps "mkt" (it starts half
    # way through): one search, whatever the label. One that starts after "mkt" ends: not.
    register_dataset(store, synthetic(n_bars=BARS, seed=4, edge=0.0,
                                      start="2021-02-11T00:00:00Z"), name="overlap")
    register_dataset(store, synthetic(n_bars=BARS, seed=4, edge=0.0,
                                      start="2022-01-01T00:00:00Z"), name="later")
    base = execute_run(store, _config("a", [1, 2, 4]))
    execute_run(store, _config("b", [1, 2, 4, 8], dataset="overlap"))
    later = execute_run(store, _config("c", [1, 2, 4, 8, 16], dataset="later"))
    assert trial_registry(store, base.run_key).n_trials == 3 + 4
    assert trial_registry(store, later.run_key).n_trials == 5


def test_the_report_lists_every_contributing_run(store):
    a = execute_run(store, _config("x", [1, 2]))
    b = execute_run(store, _config("y", [4, 8]))
    ev = _evidence(store, b)
    assert [(r["run_key"], r["family"], r["n_trials"]) for r in ev["registry"]["runs"]] == [
        (a.run_key, "x", 2), (b.run_key, "y", 2)]
    assert ev["registry"]["assets"] == ["SYN"] and ev["registry"]["n_distinct_trials"] == 4


def test_renaming_or_inverting_the_asset_does_not_open_a_fresh_registry(store):
    mkt = load_dataset(store, "mkt")
    ts = pd.to_datetime(mkt.timestamps("SYN"), utc=True)
    close = np.asarray(mkt.close("SYN"))
    for name, prices in (("BTC", close), ("XBT", 1.0 / close)):
        frame = pd.DataFrame({"timestamp": ts, "open": prices, "high": prices, "low": prices,
                              "close": prices, "volume": 1.0})
        register_dataset(store, from_dataframe(frame, asset=name), name=f"copy-{name}")
    execute_run(store, _config("first", [1, 2, 4, 8]))
    copy = execute_run(store, _config("fresh-start", [16, 32], dataset="copy-BTC"))
    mirror = execute_run(store, _config("mirror", [48], dataset="copy-XBT"))
    assert trial_registry(store, copy.run_key).n_trials == 4 + 2 + 1
    assert trial_registry(store, mirror.run_key).n_trials == 4 + 2 + 1


def test_an_unrelated_market_under_another_name_is_not_pooled(store):
    register_dataset(store, synthetic(n_bars=BARS, seed=8, edge=0.0, assets=("ETH",)),
                     name="other")
    execute_run(store, _config("first", [1, 2, 4, 8]))
    other = execute_run(store, _config("other", [16, 32], dataset="other"))
    assert trial_registry(store, other.run_key).n_trials == 2
