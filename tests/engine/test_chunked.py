"""Column chunks bound memory and change nothing: the same run_key and artifact bytes whatever
the chunk size, across families, walk-forward modes and bootstrap paths."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from qrp_jupyter import limits, stats
from qrp_jupyter.data import synthetic
from qrp_jupyter.engine.walkforward import TrackedReturns
from qrp_jupyter.runs import compute_run, prepare_run, register_dataset
from qrp_jupyter.stats.bootstrap import column_spans
from qrp_jupyter.store import Store

BARS = 700


@pytest.fixture(scope="module")
def chunk_store(tmp_path_factory):
    s = Store(tmp_path_factory.mktemp("chunked") / "c.sqlite")
    register_dataset(s, synthetic(n_bars=BARS, seed=4, edge=0.1), name="one")
    register_dataset(s, synthetic(n_bars=BARS, seed=9, assets=("AAA", "BBB", "CCC")),
                     name="panel")
    yield s
    s.close()


def _toml(kind, grid, *, ds="one", wf="n_folds = 3", nulls=""):
    function = 'function = "_sig"' if kind == "user" else ""
    return (f'family = "t-chunk"\n[data]\ndataset = "{ds}"\n[strategy]\nkind = "{kind}"\n'
            f"{function}\n[strategy.grid]\n{grid}\n[costs]\nfee_bps = 1.0\n"
            f"[walk_forward]\n{wf}\n{nulls}")


def _sig(close, lookback, flip):
    out = np.zeros_like(close)
    out[lookback:] = flip * np.sign(close[lookback:] - close[:-lookback])
    return out


NULLS_AUTO = ("[nulls.reality_check]\nreps = 40\n[nulls.spa_stepm]\nreps = 40\n"
              "[nulls.pbo]\nn_blocks = 4\n")
NULLS_SHORT_BLOCKS = ("[nulls.reality_check]\nreps = 30\nblock_size = 2\nstudentize = true\n"
                      "[nulls.spa_stepm]\nreps = 30\nblock_size = 7\n[nulls.pbo]\nn_blocks = 6\n")

CASES = {
    "ma_crossover": _toml("ma_crossover", "fast = [2, 3, 5, 8]\nslow = [10, 20, 40]",
                          nulls=NULLS_AUTO),
    "ts_momentum/cpcv": _toml("ts_momentum", "lookback = [1, 2, 4, 8, 16, 32, 64]",
                              wf='mode = "cpcv"\nn_folds = 5\ntest_groups = 2\npurge = 3\n'
                                 "embargo = 2",
                              nulls=NULLS_SHORT_BLOCKS),
    "zscore_reversion": _toml("zscore_reversion",
                              "lookback = [10, 30]\nentry = [1.0, 2.0]\nexit = [0.0, 0.5]",
                              wf='mode = "rolling"\nn_folds = 3\nmin_train = 200',
                              nulls=NULLS_AUTO),
    "donchian_breakout": _toml("donchian_breakout", "lookback = [5, 10, 20, 40, 80]",
                               nulls=NULLS_SHORT_BLOCKS),
    "xs_momentum": _toml("xs_momentum", "lookback = [6, 12, 24, 48]\ntop_k = [1]", ds="panel",
                         nulls=NULLS_AUTO),
    "user": _toml("user", "lookback = [1, 3, 9]\nflip = [1.0, -1.0]", nulls=NULLS_SHORT_BLOCKS),
}


def _fingerprint(store, text):
    prep = prepare_run(store, text, namespace={"_sig": _sig})
    computed = compute_run(prep)
    return prep.run_key, computed.artifact_ids(), computed.summary


@pytest.mark.parametrize("case", sorted(CASES))
def test_many_chunks_give_the_same_run_key_and_artifact_bytes(chunk_store, monkeypatch, case):
    monkeypatch.delenv(limits.ENV_CHUNK_BYTES, raising=False)
    monkeypatch.delenv(limits.ENV_CHUNK_COLUMNS, raising=False)
    whole = _fingerprint(chunk_store, CASES[case])
    for cols in ("1", "2", "5"):
        monkeypatch.setenv(limits.ENV_CHUNK_COLUMNS, cols)
        assert _fingerprint(chunk_store, CASES[case]) == whole, (case, cols)
    monkeypatch.delenv(limits.ENV_CHUNK_COLUMNS)
    monkeypatch.setenv(limits.ENV_CHUNK_BYTES, "9KiB")  # 1 column of 700 rows per chunk
    assert limits.chunk_columns(BARS - 1) == 1
    assert _fingerprint(chunk_store, CASES[case]) == whole
    # the nulls really were there to be chunked
    assert {"null_distribution", "spa_null_distribution", "pbo_logits",
            "returns_matrix"} <= set(whole[1])


# ------------------------------------------------------------------ the chunked building blocks

def _panel(T=400, k=9, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, k)).cumsum(axis=0) * 0.01 + rng.standard_normal((T, k))
    x[:, 3] = 0.25  # a constant column
    x[5, 4] = -0.0
    return x


@pytest.mark.parametrize("block_size", [1, 3, 5, 12])
def test_bootstrap_means_and_moments_are_bit_identical_in_chunks(monkeypatch, block_size):
    x = _panel()
    monkeypatch.delenv(limits.ENV_CHUNK_COLUMNS, raising=False)
    rng = np.random.default_rng(11)
    whole = stats.stationary_bootstrap_means(x, block_size=block_size, reps=57, rng=rng)
    after_whole = rng.bit_generator.state
    rng2 = np.random.default_rng(11)
    m_whole, v_whole = stats.stationary_bootstrap_moments(x, block_size=block_size, reps=57,
                                                          rng=rng2)
    var_whole = stats.stationary_bootstrap_variance(x, block_size=block_size)
    pw_whole = stats.optimal_block_length(x)
    for cols in ("1", "4"):
        monkeypatch.setenv(limits.ENV_CHUNK_COLUMNS, cols)
        assert len(column_spans(x.shape[1], x.shape[0])) > 1
        rng = np.random.default_rng(11)
        np.testing.assert_array_equal(
            stats.stationary_bootstrap_means(x, block_size=block_size, reps=57, rng=rng), whole)
        assert rng.bit_generator.state == after_whole  # the generator ends where it did
        rng2 = np.random.default_rng(11)
        m, v = stats.stationary_bootstrap_moments(x, block_size=block_size, reps=57, rng=rng2)
        np.testing.assert_array_equal(m, m_whole)
        np.testing.assert_array_equal(v, v_whole)
        np.testing.assert_array_equal(
            stats.stationary_bootstrap_variance(x, block_size=block_size), var_whole)
        np.testing.assert_array_equal(stats.optimal_block_length(x).to_numpy(),
                                      pw_whole.to_numpy())


def test_column_spans_cover_every_column_once(monkeypatch):
    monkeypatch.setenv(limits.ENV_CHUNK_COLUMNS, "4")
    assert column_spans(10, 5) == [(0, 4), (4, 8), (8, 10)]
    assert column_spans(3, 5) == [(0, 3)]
    monkeypatch.setenv(limits.ENV_CHUNK_COLUMNS, "1")
    assert column_spans(2, 5) == [(0, 1), (1, 2)]


def test_tracked_returns_still_copy_and_record_the_rows():
    data = np.arange(20.0).reshape(5, 4)
    view = TrackedReturns(data)
    sliced = view[1:3]
    sliced[0, 0] = 99.0  # a copy: the matrix is untouched
    fancy = view[np.array([0, 4]), 1:3]
    fancy[0, 0] = -1.0
    assert data[1, 0] == 4.0 and data[0, 1] == 1.0
    np.testing.assert_array_equal(view.rows_read(), [0, 1, 2, 4])
    np.testing.assert_array_equal(copy.deepcopy(fancy), [[-1.0, 2.0], [17.0, 18.0]])
