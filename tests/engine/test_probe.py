"""The causality probe: look-ahead in a signal is caught, causal signals pass, cuts are
deterministic, and a run stores the attestation (issue 10, part 1)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qrp_jupyter.data import synthetic
from qrp_jupyter.engine import (DEFAULT_RANDOM_CUTS, backtest_grid, causality_probe,
                                fold_boundary_bars, make_folds, miss_bound, probe_cut_points,
                                random_cut_count)
from qrp_jupyter.engine.probe import MAX_USER_CALLS, MIN_RANDOM_CUTS, PROBE_SALT
from qrp_jupyter.errors import ConfigError
from qrp_jupyter.identity import SeedRecord, canonical_json

from .conftest import SINGLE_FAMILIES

KEY_A, KEY_B = "a" * 64, "b" * 64
N_BARS = 3000


@pytest.fixture(scope="module")
def close() -> np.ndarray:
    """A martingale (no edge): synthetic candles with regimes and jumps."""
    ds = synthetic(n_bars=N_BARS, seed=11, edge=0.0)
    return ds.close(ds.assets[0])


@pytest.fixture(scope="module")
def cuts():
    return probe_cut_points(N_BARS, run_key=KEY_A, fold_boundaries=[999, 1000, 2000])


# ---------------------------------------------------------------------------------------------
# strategies, peeking and honest (module level: the end-to-end runs hash their source)
# ---------------------------------------------------------------------------------------------

def peek_next(close):
    p = np.zeros_like(close)
    p[:-1] = np.sign(np.diff(close))
    return p


def peek_with_fallback(close):
    """Reads the next bar where there is one; at the last bar falls back to the causal sign."""
    p = np.zeros_like(close)
    p[:-1] = np.sign(np.diff(close))
    if len(close) > 1:
        p[-1] = np.sign(close[-1] - close[-2])
    return p


def peek_sometimes(close):
    """Causal momentum, except at ~10% of bars (a fixed hash of the bar index), where it reads
    the next bar when there is one (flat when there is none)."""
    n = len(close)
    p = np.zeros(n)
    p[1:] = np.sign(np.diff(close))
    t = np.arange(n - 1)
    peek = (t * 2654435761) % 1000 < 100
    p[:-1][peek] = np.sign(close[1:] - close[:-1])[peek]
    p[-1] = 0.0 if (n - 1) * 2654435761 % 1000 < 100 else p[-1]
    return p


def full_sample_zscore(close, entry):
    z = (close - close.mean()) / close.std()
    return -np.sign(z) * (np.abs(z) > entry)


def momentum(close, lookback):
    p = np.zeros_like(close)
    p[lookback:] = np.sign(close[lookback:] - close[:-lookback])
    return p


def needs_history(close, lookback):
    """Causal, but indexes close[-lookback] and so raises on prefixes shorter than that."""
    p = np.zeros_like(close)
    ref = close[-lookback]  # IndexError when len(close) < lookback
    p[lookback:] = np.sign(close[lookback:] - close[:-lookback])
    return p + 0.0 * ref


def raises_when_short(close):
    """Trades from bar 1 but refuses series shorter than 1500 bars: cannot be attested."""
    if len(close) < 1500:
        raise ValueError("need at least 1500 bars")
    p = np.zeros_like(close)
    p[1:] = np.sign(np.diff(close))
    return p


def wrong_shape_on_prefix(close):
    p = np.zeros_like(close)
    p[1:] = np.sign(np.diff(close))
    return p if len(close) == N_BARS else p[:-1]


# ---------------------------------------------------------------------------------------------
# look-ahead is caught
# ---------------------------------------------------------------------------------------------

def test_next_bar_peek_is_caught_at_every_cut(close, cuts):
    # The premise: on a martingale the peek has an absurd Sharpe that a gate would pass.
    sr = backtest_grid(close, peek_next, [{}], fee_bps=0, slippage_bps=0).metrics(
        periods_per_year=8760)["sharpe_annual"][0]
    assert sr > 50
    res = causality_probe(close, peek_next, [{}], cuts=cuts)
    assert not res.valid and res.mismatched_trials == [0]
    t = res.trials[0]
    assert t.n_mismatched_cuts == len(cuts.cuts) and t.error is None
    c = cuts.cuts[0]
    assert t.first_mismatch == {"cut": c, "bar": c, "prefix": 0.0,
                                "full": float(np.sign(close[c + 1] - close[c]))}


def test_peek_with_a_causal_fallback_at_the_last_bar_is_caught(close, cuts):
    res = causality_probe(close, peek_with_fallback, [{}], cuts=cuts)
    t = res.trials[0]
    assert not res.valid and res.mismatched_trials == [0]
    # The fallback agrees with the peek about half the time: about half the cuts catch it.
    assert 0.25 * len(cuts.cuts) < t.n_mismatched_cuts < 0.75 * len(cuts.cuts)
    m = t.first_mismatch
    assert m["bar"] == m["cut"] and m["prefix"] == -m["full"]


def test_peek_at_a_tenth_of_the_bars_is_caught(close, cuts):
    res = causality_probe(close, peek_sometimes, [{}], cuts=cuts)
    t = res.trials[0]
    assert not res.valid and t.n_mismatched_cuts >= 1
    c = t.first_mismatch["cut"]
    assert (c * 2654435761) % 1000 < 100  # caught exactly at a peeking bar
    assert t.first_mismatch["bar"] == c


def test_full_sample_normalisation_is_caught(close, cuts):
    pts = [{"entry": 0.5}, {"entry": 1.0}]
    res = causality_probe(close, full_sample_zscore, pts, cuts=cuts)
    assert not res.valid and res.mismatched_trials == [0, 1]
    # The whole sample's mean moves with every cut: most cuts see different positions.
    assert all(t.n_mismatched_cuts > len(cuts.cuts) // 2 for t in res.trials)


# ---------------------------------------------------------------------------------------------
# causal signals pass
# ---------------------------------------------------------------------------------------------

FAMILY_GRIDS = {
    "ma_crossover": [{"fast": 2, "slow": 24}, {"fast": 12, "slow": 240},
                     {"fast": 5, "slow": 5000}],
    "ts_momentum": [{"lookback": 1}, {"lookback": 24, "threshold": 0.01}, {"lookback": 720}],
    "zscore_reversion": [{"lookback": 24, "entry": 1.0, "exit": 0.25},
                         {"lookback": 168, "entry": 2.0}, {"lookback": 2, "entry": 0.0}],
    "donchian_breakout": [{"lookback": 1}, {"lookback": 48}, {"lookback": 2999}],
}


@pytest.mark.parametrize("long_only", [False, True])
@pytest.mark.parametrize("family", SINGLE_FAMILIES)
def test_every_single_asset_family_passes(close, cuts, family, long_only):
    res = causality_probe(close, family, FAMILY_GRIDS[family], cuts=cuts, long_only=long_only)
    assert res.valid, res.to_dict()["trials"]
    assert [t.n_mismatched_cuts for t in res.trials] == [0, 0, 0]


@pytest.mark.parametrize("long_only", [False, True])
def test_the_panel_family_passes_on_weights(long_only):
    ds = synthetic(n_bars=1500, assets=("AAA", "BBB", "CCC", "DDD", "EEE"), seed=5, edge=0.1)
    closes = np.column_stack([ds.close(a) for a in ds.assets])
    pc = probe_cut_points(1500, run_key=KEY_A, fold_boundaries=[700])
    pts = [{"lookback": 1, "top_k": 1}, {"lookback": 48, "top_k": 2},
           {"lookback": 2000, "top_k": 1}]
    res = causality_probe(closes, "xs_momentum", pts, cuts=pc, long_only=long_only)
    assert res.valid and len(res.trials) == 3


def test_an_honest_user_function_passes(close, cuts):
    res = causality_probe(close, momentum, [{"lookback": 1}, {"lookback": 24}], cuts=cuts,
                          long_only=True)
    assert res.valid and res.mismatched_trials == []


def test_results_do_not_depend_on_the_point_chunking(close, cuts, monkeypatch):
    """Large grids are probed in chunks of points; one point per chunk gives the same doc."""
    from qrp_jupyter.engine import probe as P
    user_pts = [{"entry": 0.5}, {"entry": 1.0}, {"entry": 1.5}]
    fam_pts = FAMILY_GRIDS["zscore_reversion"]
    whole = [causality_probe(close, full_sample_zscore, user_pts, cuts=cuts).to_dict(),
             causality_probe(close, "zscore_reversion", fam_pts, cuts=cuts).to_dict()]
    monkeypatch.setattr(P, "_CHUNK_CELLS", N_BARS)
    chunked = [causality_probe(close, full_sample_zscore, user_pts, cuts=cuts).to_dict(),
               causality_probe(close, "zscore_reversion", fam_pts, cuts=cuts).to_dict()]
    assert chunked == whole
    assert [t["trial_index"] for t in chunked[0]["trials"]] == [0, 1, 2]


def test_bad_points_are_named_by_grid_index(close, cuts):
    with pytest.raises(ConfigError, match=r"strategy\.grid\[1\]"):
        causality_probe(close, "ma_crossover", [{"fast": 2, "slow": 5}, {"fast": 9, "slow": 5}],
                        cuts=cuts)


# ---------------------------------------------------------------------------------------------
# user functions that fail on prefixes
# ---------------------------------------------------------------------------------------------

def test_raising_on_short_prefixes_is_a_per_trial_error_not_an_exception(close, cuts):
    res = causality_probe(close, raises_when_short, [{}], cuts=cuts)
    t = res.trials[0]
    short = [c for c in cuts.cuts if c + 1 < 1500]
    assert not res.valid and res.mismatched_trials == [0]
    assert t.n_error_cuts == len(short) and t.n_mismatched_cuts == 0 and t.n_skipped_cuts == 0
    assert t.error.startswith(f"cut {short[0]} (prefix of {short[0] + 1} bars): the strategy "
                              "function raised ValueError: need at least 1500 bars")
    assert res.to_dict()["trials"][0]["error"] == t.error


def test_a_wrong_shape_on_a_prefix_is_a_per_trial_error(close, cuts):
    res = causality_probe(close, wrong_shape_on_prefix, [{}], cuts=cuts)
    t = res.trials[0]
    assert not res.valid and t.n_error_cuts == len(cuts.cuts)
    assert "returned shape" in t.error


def test_errors_inside_the_warm_up_are_skipped_not_failed(close, cuts):
    pts = [{"lookback": 200}, {"lookback": 2500}]
    res = causality_probe(close, needs_history, pts, cuts=cuts)
    assert res.valid
    for t, lb in zip(res.trials, (200, 2500)):
        # close[-lookback] fails on prefixes of fewer than lookback bars, all in the warm-up
        assert t.n_skipped_cuts == sum(1 for c in cuts.cuts if c + 1 < lb)
    assert res.trials[1].n_skipped_cuts > 0


def test_the_full_series_must_work():
    with pytest.raises(ConfigError, match="raised"):
        causality_probe(np.linspace(100, 110, 100), raises_when_short, [{}], cuts=[5])


# ---------------------------------------------------------------------------------------------
# cut points
# ---------------------------------------------------------------------------------------------

def test_cut_points_are_deterministic_include_boundaries_and_depend_on_the_run_key():
    bounds = [10, 500, 501, 2998]
    a = probe_cut_points(N_BARS, run_key=KEY_A, fold_boundaries=bounds)
    assert a == probe_cut_points(N_BARS, run_key=KEY_A, fold_boundaries=list(reversed(bounds)))
    b = probe_cut_points(N_BARS, run_key=KEY_B, fold_boundaries=bounds)
    assert a.cuts != b.cuts
    for pc in (a, b):
        assert set(bounds) <= set(pc.cuts) and pc.fold_boundaries == tuple(bounds)
        assert list(pc.cuts) == sorted(set(pc.cuts))
        assert len(pc.cuts) == DEFAULT_RANDOM_CUTS + len(bounds) == pc.n_random + len(bounds)
        assert 1 <= pc.cuts[0] and pc.cuts[-1] <= N_BARS - 2
    rec = SeedRecord(KEY_A, PROBE_SALT, {"n_bars": N_BARS, "n_random": 64,
                                         "fold_boundaries": bounds, "version": 1})
    assert a.seed_record == rec
    # The draws spread over the series (not bunched at one end).
    randoms = sorted(set(a.cuts) - set(bounds))
    assert randoms[0] < N_BARS // 4 and randoms[-1] > 3 * N_BARS // 4


def test_cut_points_pinned():
    """Integer draws only: the same cuts on every CPU and numpy build (pinned here)."""
    pc = probe_cut_points(1000, run_key=KEY_A, fold_boundaries=[500], n_random=6)
    assert pc.cuts == PINNED_CUTS


PINNED_CUTS = (120, 390, 428, 500, 621, 822, 869)


def test_short_series_cut_every_bar_and_boundaries_are_checked():
    assert probe_cut_points(10, run_key=KEY_A, fold_boundaries=[4]).cuts == tuple(range(1, 9))
    assert probe_cut_points(2, run_key=KEY_A).cuts == ()
    assert probe_cut_points(100, run_key=KEY_A, n_random=0, fold_boundaries=[7]).cuts == (7,)
    for bad in (0, 99, -1, 5.0, True):
        with pytest.raises(ConfigError, match="fold boundary") as info:
            probe_cut_points(100, run_key=KEY_A, fold_boundaries=[5, bad])
        assert "fold_boundaries[1]" in str(info.value) and info.value.fix
    with pytest.raises(ConfigError, match="n_random"):
        probe_cut_points(100, run_key=KEY_A, n_random=-1)
    with pytest.raises(ConfigError, match=r"\[1, 98\]"):
        causality_probe(np.linspace(100, 110, 100), momentum, [{"lookback": 1}], cuts=[99])
    with pytest.raises(ConfigError, match="drawn for 50 bars"):
        causality_probe(np.linspace(100, 110, 100), momentum, [{"lookback": 1}],
                        cuts=probe_cut_points(50, run_key=KEY_A))


def test_fold_boundaries_in_bars():
    folds = make_folds(100, n_folds=2, test_size=20, purge=2)
    # rows [0, 58) train, [60, 80) test: the last train row ends at bar 58, the first test
    # row is earned by the position decided at bar 60.
    assert fold_boundary_bars(folds) == [58, 60, 78, 80]
    assert fold_boundary_bars(make_folds(100, n_folds=1, test_size=30)) == [70]


def test_random_cut_count_caps_user_grids():
    assert random_cut_count(10_000, user_function=False) == DEFAULT_RANDOM_CUTS
    assert random_cut_count(48, user_function=True, n_fold_boundaries=8) == DEFAULT_RANDOM_CUTS
    assert random_cut_count(500, user_function=True) == MAX_USER_CALLS // 500
    assert random_cut_count(5_000, user_function=True) == MIN_RANDOM_CUTS
    assert miss_bound(64) == 2.0 ** -64 and miss_bound(0) == 1.0


# ---------------------------------------------------------------------------------------------
# the attestation document
# ---------------------------------------------------------------------------------------------

def test_the_document_is_plain_json_with_the_agreed_fields(close, cuts):
    res = causality_probe(close, peek_with_fallback, [{}], cuts=cuts)
    doc = res.to_dict()
    assert json.loads(canonical_json(doc)) == doc
    assert {"kind", "version", "valid", "n_bars", "cuts", "n_cuts", "fold_boundaries",
            "seed_record", "mismatched_trials", "trials", "limitations"} <= set(doc)
    assert doc["kind"] == "causality_probe" and doc["version"] == 1 and doc["valid"] is False
    assert doc["n_cuts"] == len(doc["cuts"]) == len(cuts.cuts) and doc["n_bars"] == N_BARS
    assert doc["fold_boundaries"] == [999, 1000, 2000]
    assert doc["seed_record"] == cuts.seed_record.to_dict()
    assert doc["mismatched_trials"] == [0]
    tr = doc["trials"][0]
    assert set(tr) >= {"trial_index", "ok", "n_mismatched_cuts", "first_mismatch", "error"}
    assert set(tr["first_mismatch"]) == {"cut", "bar", "full", "prefix"}
    assert doc["limitations"].count(".") == 1
    ok = causality_probe(close, "ts_momentum", [{"lookback": 3}], cuts=cuts).to_dict()
    assert ok["trials"] == [{"trial_index": 0, "ok": True, "n_mismatched_cuts": 0,
                             "n_error_cuts": 0, "n_skipped_cuts": 0, "first_mismatch": None,
                             "error": None}]


# ---------------------------------------------------------------------------------------------
# end to end: a run stores the probe and summarises it
# ---------------------------------------------------------------------------------------------

RUN_TOML = """\
family = "t-probe"
[data]
dataset = "probe-noise"
[strategy]
kind = "{kind}"
{function}
[strategy.grid]
{grid}
[walk_forward]
n_folds = 2
purge = 5
[nulls.reality_check]
reps = 49
[nulls.spa_stepm]
enabled = false
[nulls.pbo]
enabled = false
"""


def test_runs_store_the_probe_and_the_peek_run_is_flagged(store):
    from qrp_jupyter.runs import execute_run, register_dataset, replay_run
    from qrp_jupyter.store import decode_json

    import insider

    register_dataset(store, synthetic(n_bars=1200, seed=3, edge=0.0), name="probe-noise")
    peek = execute_run(store, RUN_TOML.format(kind="user", function='function = "_peek_scaled"',
                                              grid="scale = [0.5, 1.0]"),
                       namespace={"_peek_scaled": _peek_scaled})
    fam = execute_run(store, RUN_TOML.format(kind="ma_crossover", function="",
                                             grid="fast = [2, 8]\nslow = [24, 96]"))
    assert peek.summary["causality_probe_valid"] is False
    assert fam.summary["causality_probe_valid"] is True
    # The gate's premise: the peek looks wonderful.
    assert peek.summary["best_sharpe_annual"] > 20

    doc = decode_json(store.get_artifact(peek.artifacts["causality_probe"]))
    assert doc["kind"] == "causality_probe" and doc["mismatched_trials"] == [0, 1]
    folds = make_folds(1199, n_folds=2, purge=5)
    assert doc["fold_boundaries"] == fold_boundary_bars(folds)
    assert set(doc["fold_boundaries"]) <= set(doc["cuts"])
    assert doc["n_random"] == DEFAULT_RANDOM_CUTS
    assert doc["seed_record"]["run_key"] == peek.run_key
    seeds = decode_json(store.get_artifact(peek.artifacts["seed_records"]))["records"]
    assert doc["seed_record"] in seeds

    fdoc = decode_json(store.get_artifact(fam.artifacts["causality_probe"]))
    assert fdoc["valid"] is True and fdoc["mismatched_trials"] == []
    assert fdoc["strategy"] == "ma_crossover"

    for out in (peek, fam):
        aid = out.artifacts["causality_probe"]
        role = insider.row(store, "SELECT role FROM artifact_lineage WHERE artifact_id = ? AND "
                                  "run_instance_id = ?", (aid, out.run_instance_id))["role"]
        assert role == "output"
        parents = {(r["parent_id"], r["relation"]) for r in insider.rows(
            store, "SELECT parent_id, relation FROM artifact_edges WHERE child_id = ?", (aid,))}
        a = out.artifacts
        assert (a["returns_matrix"], "attests") in parents
        assert (a["seed_records"], "seeded_by") in parents
        assert ((a.get("code"), "derived_from") in parents) == (out is peek)
    # Replay recomputes the probe bit for bit.
    att = replay_run(store, fam.run_key).extra["attestation"]
    assert att["match"] is True and att["compared"]["causality_probe"]["match"] is True


def _peek_scaled(close, scale):
    """Reads the next bar; ``scale`` only makes a second trial."""
    p = np.zeros_like(close)
    p[:-1] = np.sign(np.diff(close))
    return scale * p


def test_cpcv_boundaries_are_every_inner_edge_of_its_train_and_test_ranges():
    from qrp_jupyter.engine import make_cpcv
    plan = make_cpcv(120, n_groups=4, test_groups=2, purge=3, embargo=2)
    bounds = fold_boundary_bars(plan)
    # Group edges at 30, 60, 90, and the purge/embargo edges around every test block.
    assert {30, 60, 90} <= set(bounds) and {27, 32, 57, 62, 87, 92} <= set(bounds)
    assert all(0 < b < 120 for b in bounds) and bounds == sorted(set(bounds))
