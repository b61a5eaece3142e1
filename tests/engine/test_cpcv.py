"""Combinatorial purged cross-validation: splits, paths, one-book paths, the attestation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qrp_jupyter import _detmath
from qrp_jupyter.engine import cpcv, make_cpcv, select_best, strategy_returns, train_scores
from qrp_jupyter.errors import ConfigError

from .conftest import engine_settings
from .test_one_book import TOL, market, naive_book


def naive_paths(N, k):
    """Path p, group g -> the p-th split (in lexicographic order) that tests g."""
    combos = list(itertools.combinations(range(N), k))
    per_group = [[s for s, c in enumerate(combos) if g in c] for g in range(N)]
    return [[per_group[g][p] for g in range(N)] for p in range(math.comb(N - 1, k - 1))]


@engine_settings
@given(n=st.integers(2, 300), N=st.integers(2, 8), k=st.integers(1, 7),
       purge=st.integers(0, 12), embargo=st.integers(0, 12))
def test_plan_invariants(n, N, k, purge, embargo):
    try:
        plan = make_cpcv(n, n_groups=N, test_groups=k, purge=purge, embargo=embargo)
    except ConfigError as err:
        assert err.where.startswith("walk_forward.") and err.fix
        return
    sizes = [b - a for a, b in plan.groups]
    assert plan.groups[0][0] == 0 and plan.groups[-1][1] == n and max(sizes) - min(sizes) <= 1
    assert len(plan.splits) == math.comb(N, k)
    assert plan.paths.tolist() == naive_paths(N, k)
    assert plan.n_paths == k * math.comb(N, k) // N
    for s in plan.splits:
        test = set(s.test_rows().tolist())
        train = set(s.train_rows().tolist())
        assert not train & test and train
        # Every row neither tested nor within purge before / embargo after a test block trains.
        for i in range(n):
            near = any(a - purge <= i < b + embargo for a, b in s.test)
            assert (i in train) == (not near)
    for p in range(plan.n_paths):  # each path covers every row exactly once
        rows = np.concatenate([np.arange(*plan.groups[g]) for g in range(N)])
        assert rows.tolist() == list(range(n))
        for g in range(N):
            assert g in plan.splits[plan.paths[p, g]].groups


def test_purge_and_embargo_bite_in_training_after_the_test_block():
    plan = make_cpcv(100, n_groups=5, test_groups=1, purge=3, embargo=4)
    s = plan.splits[1]  # tests group 1, rows [20, 40); trains before and after it
    assert s.test == ((20, 40),)
    assert s.train == ((0, 17), (44, 100))
    none = make_cpcv(100, n_groups=5, test_groups=1)
    assert none.splits[1].train == ((0, 20), (40, 100))
    # Adjacent test groups form one block: no purge or embargo between them.
    plan2 = make_cpcv(100, n_groups=5, test_groups=2, purge=3, embargo=4)
    s = next(x for x in plan2.splits if x.groups == (1, 2))
    assert s.train == ((0, 17), (64, 100))


@pytest.mark.parametrize("kwargs, where, fragment", [
    ({"n_groups": 1}, "walk_forward.n_folds", "must be an int >= 2"),
    ({"n_groups": 4, "test_groups": 4}, "walk_forward.test_groups", "must be below"),
    ({"n_groups": 4, "test_groups": 0}, "walk_forward.test_groups", "must be an int >= 1"),
    ({"n_groups": 16, "test_groups": 8}, "walk_forward.n_folds", "12870 splits, more than"),
    ({"n_groups": 200, "test_groups": 1}, "walk_forward.n_folds", "do not fit in n=100"),
    ({"n_groups": 4, "purge": 60}, "walk_forward.n_folds", "keeps 0 train rows"),
    ({"n_groups": 4, "min_train": 60}, "walk_forward.n_folds", "fewer than walk_forward.min"),
    ({"n_groups": 4, "embargo": -1}, "walk_forward.embargo", "embargo=-1"),
])
def test_make_cpcv_errors_name_the_key(kwargs, where, fragment):
    with pytest.raises(ConfigError) as err:
        make_cpcv(100, **kwargs)
    assert err.value.where == where and fragment in str(err.value) and err.value.fix


def naive_cpcv(R, plan, objective="sharpe"):
    chosen = []
    for s in plan.splits:
        chosen.append(select_best(train_scores(R[s.train_rows()], objective)))
    return np.array(chosen)


@pytest.mark.parametrize("funding", [None, 0.5])
def test_cpcv_paths_are_one_book_and_match_the_twin(funding):
    close, pos = market(n_bars=241, k=4, seed=11)
    R = strategy_returns(pos, close, cost_bps=25, funding_bps_per_period=funding)
    plan = make_cpcv(len(R), n_groups=6, test_groups=2, purge=5, embargo=5)
    res = cpcv(R, plan, positions=pos, close=close, cost_bps=25,
               funding_bps_per_period=funding)
    assert res.pricing == "one_book" and res.oos_returns.shape == (240, 5)
    np.testing.assert_array_equal(res.chosen, naive_cpcv(R, plan))
    np.testing.assert_array_equal(res.path_chosen, res.chosen[plan.paths])
    assert res.attestation["valid"] and res.attestation["n_folds"] == 15
    sizes = [b - a for a, b in plan.groups]
    for p in range(plan.n_paths):
        trials = np.repeat(res.path_chosen[p], sizes)
        want, _ = naive_book(pos, close, np.arange(240), trials, 25, funding)
        np.testing.assert_allclose(res.oos_returns[:, p], want, rtol=0, atol=TOL)
        col = res.oos_returns[:, p]
        np.testing.assert_allclose(res.path_sharpe[p], col.mean() / col.std(ddof=1), rtol=1e-12)
    assert res.oos_sharpe == _detmath.mean(res.path_sharpe)
    stitched = cpcv(R, plan)
    assert stitched.pricing == "stitched"
    for p in range(plan.n_paths):
        np.testing.assert_array_equal(stitched.oos_returns[:, p],
                                      R[np.arange(240), np.repeat(res.path_chosen[p], sizes)])
    again = cpcv(R, plan, positions=pos, close=close, cost_bps=25,
                 funding_bps_per_period=funding)
    np.testing.assert_array_equal(again.oos_returns, res.oos_returns)
    assert again.attestation == res.attestation


def test_cpcv_attestation_catches_reads_in_the_embargo_and_purge():
    close, pos = market(n_bars=121, k=3)
    R = strategy_returns(pos, close, cost_bps=5)
    plan = make_cpcv(120, n_groups=4, test_groups=1, purge=2, embargo=3)

    def sloppy(view, train_rows):
        # "Train on everything outside the test groups", forgetting the gaps.
        split = next(s for s in plan.splits if np.array_equal(s.train_rows(), train_rows))
        test = split.test_rows()
        keep = np.setdiff1d(np.arange(120), test)
        return int(np.argmax(view[keep].sum(axis=0)))

    att = cpcv(R, plan, selector=sloppy).attestation
    assert not att["valid"]
    failed = {c["rule"]: c["failed_folds"] for c in att["checks"]}
    assert failed["embargo"] == [0, 1, 2]     # group 3 ends the sample: nothing after it
    assert failed["purge_gap"] == [1, 2, 3]   # group 0 starts it: nothing before it
    assert failed["train_test_disjoint"] == []
    e = att["folds"][1]
    assert e["test_blocks"] == [[30, 59]] and e["train_ranges"] == [[0, 28], [63, 120]]
    assert "fold 1 read train row(s) 60, 61, 62 within the 3-row embargo after test rows " \
        "[30, 59] (train rows after them must be >= 63)" in e["reason"]
    honest = cpcv(R, plan).attestation
    assert honest["valid"] and honest["version"] == 2
    assert [f["n_rows_read"] for f in honest["folds"]] == [
        s.train_rows().shape[0] for s in plan.splits]


def test_cpcv_input_errors():
    R = np.zeros((50, 2))
    with pytest.raises(ConfigError, match="CPCVPlan over the 50 rows"):
        cpcv(R, make_cpcv(40, n_groups=4))
    with pytest.raises(ConfigError, match="returned 7 for split 0"):
        cpcv(R, make_cpcv(50, n_groups=4), selector=lambda v, rows: 7)
