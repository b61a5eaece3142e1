"""Walk-forward folds, selection against the twin, and the fold-causality attestation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qrp_jupyter.engine import Fold, fold_causality_attestation, make_folds, walk_forward
from qrp_jupyter.errors import ConfigError
from qrp_jupyter.identity import canonical_json

from . import naive
from .conftest import engine_settings


def spans(folds):
    return [(f.train_start, f.train_stop, f.test_start, f.test_stop) for f in folds]


# --- fold construction ---------------------------------------------------------------------

def test_expanding_layout():
    folds = make_folds(100, n_folds=3, test_size=20, purge=2)
    assert spans(folds) == [(0, 38, 40, 60), (0, 58, 60, 80), (0, 78, 80, 100)]
    assert [f.index for f in folds] == [0, 1, 2] and all(f.purge == 2 for f in folds)


def test_rolling_layout():
    folds = make_folds(100, n_folds=3, test_size=20, min_train=30, purge=5, mode="rolling")
    assert spans(folds) == [(5, 35, 40, 60), (25, 55, 60, 80), (45, 75, 80, 100)]
    default = make_folds(100, n_folds=3, test_size=20, purge=5, mode="rolling")
    assert spans(default) == [(0, 35, 40, 60), (20, 55, 60, 80), (40, 75, 80, 100)]


def test_default_test_size():
    assert spans(make_folds(100, n_folds=4)) == [(0, 20, 20, 40), (0, 40, 40, 60),
                                                 (0, 60, 60, 80), (0, 80, 80, 100)]
    # With min_train the test windows share what is left after it and the purge.
    assert spans(make_folds(100, n_folds=2, min_train=50, purge=4)) == [
        (0, 50, 54, 77), (0, 73, 77, 100)]


@pytest.mark.parametrize("kwargs, where, fragment", [
    ({"n_folds": 5, "test_size": 20}, "walk_forward.n_folds", "need 120 rows, but there are n=100"),
    ({"n_folds": 2, "test_size": 30, "min_train": 41}, "walk_forward.n_folds", "need 101 rows"),
    ({"n_folds": 60, "purge": 50}, "walk_forward.n_folds", "each test window would be empty"),
    ({"n_folds": 0}, "walk_forward.n_folds", "must be an int >= 1"),
    ({"n_folds": 2.0}, "walk_forward.n_folds", "must be an int >= 1"),
    ({"n_folds": 2, "test_size": 0}, "walk_forward.test_size", "test_size=0"),
    ({"n_folds": 2, "min_train": 0}, "walk_forward.min_train", "min_train=0"),
    ({"n_folds": 2, "purge": -1}, "walk_forward.purge", "purge=-1"),
    ({"n_folds": 2, "embargo": True}, "walk_forward.embargo", "embargo=True"),
    ({"n_folds": 2, "embargo": 3}, "walk_forward.embargo", "has no effect in mode 'expanding'"),
    ({"n_folds": 2, "embargo": 1, "mode": "rolling"}, "walk_forward.embargo",
     "training always precedes testing"),
    ({"n_folds": 2, "mode": "anchored"}, "walk_forward.mode", "'anchored'"),
])
def test_make_folds_errors_name_the_key(kwargs, where, fragment):
    with pytest.raises(ConfigError) as err:
        make_folds(100, **kwargs)
    assert err.value.where == where and fragment in str(err.value) and err.value.fix


@engine_settings
@given(n=st.integers(1, 400), n_folds=st.integers(1, 8),
       test_size=st.one_of(st.none(), st.integers(1, 60)),
       min_train=st.one_of(st.none(), st.integers(1, 100)), purge=st.integers(0, 10),
       mode=st.sampled_from(["expanding", "rolling"]))
def test_fold_invariants(n, n_folds, test_size, min_train, purge, mode):
    try:
        folds = make_folds(n, n_folds=n_folds, test_size=test_size, min_train=min_train,
                           purge=purge, mode=mode)
    except ConfigError as err:
        assert err.where.startswith("walk_forward.")
        return
    size = folds[0].test_stop - folds[0].test_start
    assert len(folds) == n_folds and folds[-1].test_stop == n
    lengths = {f.train_stop - f.train_start for f in folds}
    for prev, f in zip([None] + folds[:-1], folds):
        assert f.test_stop - f.test_start == size
        assert f.train_stop + purge == f.test_start and f.train_start >= 0
        assert f.train_stop - f.train_start >= (min_train or size)
        if prev is not None:
            assert f.test_start == prev.test_stop
    if mode == "rolling":
        assert len(lengths) == 1
    else:
        assert all(f.train_start == 0 for f in folds)
    att = fold_causality_attestation(folds, train_rows_read=[f.train_rows() for f in folds],
                                     test_rows=[f.test_rows() for f in folds], purge=purge,
                                     embargo=0)
    assert att["valid"], att


# --- selection ----------------------------------------------------------------------------

def noisy_returns(n=600, k=8, seed=0):
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0, 0.01, (n, k))
    r[:, 3] += 0.002  # one trial with an edge
    return r


@pytest.mark.parametrize("objective", ["sharpe", "mean_return", "total_return"])
@pytest.mark.parametrize("mode", ["expanding", "rolling"])
def test_walk_forward_matches_twin(objective, mode):
    r = noisy_returns()
    folds = make_folds(len(r), n_folds=5, purge=3, mode=mode)
    res = walk_forward(r, folds, objective=objective)
    chosen, oos, index = naive.walk_forward(r, folds, objective)
    np.testing.assert_array_equal(res.chosen, chosen)
    np.testing.assert_array_equal(res.oos_returns, oos)
    np.testing.assert_array_equal(res.oos_index, index)
    np.testing.assert_allclose(res.oos_sharpe, oos.mean() / oos.std(ddof=1), rtol=1e-12)
    assert res.objective == objective and res.folds == tuple(folds)
    assert res.attestation["valid"]


@engine_settings
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 6), n_folds=st.integers(1, 5),
       purge=st.integers(0, 5), tied=st.booleans())
def test_walk_forward_matches_twin_random(seed, k, n_folds, purge, tied):
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0, 0.01, (120, k))
    if tied:  # identical columns and a constant (NaN-Sharpe) column: ties go to the lowest
        r[:, -1] = r[:, 0]
        r[:, k // 2] = 0.0
    folds = make_folds(120, n_folds=n_folds, purge=purge)
    res = walk_forward(r, folds)
    chosen, oos, _ = naive.walk_forward(r, folds)
    np.testing.assert_array_equal(res.chosen, chosen)
    np.testing.assert_array_equal(res.oos_returns, oos)


def test_walk_forward_deterministic_and_prefers_the_edge():
    r = noisy_returns(n=3000)
    folds = make_folds(len(r), n_folds=4)
    a, b = walk_forward(r, folds), walk_forward(r, folds)
    np.testing.assert_array_equal(a.oos_returns, b.oos_returns)
    assert a.attestation == b.attestation
    assert (a.chosen == 3).all()


def test_walk_forward_input_errors():
    r = noisy_returns(n=50)
    folds = make_folds(50, n_folds=2)
    with pytest.raises(ConfigError, match="walk_forward.objective='calmar'"):
        walk_forward(r, folds, objective="calmar")
    with pytest.raises(ConfigError, match="outside rows"):
        walk_forward(r[:40], folds)
    with pytest.raises(ConfigError, match="starts before the previous one ends") as err:
        walk_forward(r, [Fold(0, 0, 10, 20, 30), Fold(1, 0, 15, 25, 35)])
    assert err.value.where == "walk_forward.folds[1]"
    with pytest.raises(ConfigError, match="non-empty list of Fold"):
        walk_forward(r, [])
    with pytest.raises(ConfigError, match="returned 99 for fold 0"):
        walk_forward(r, folds, selector=lambda view, rows: 99)


# --- attestation --------------------------------------------------------------------------

def test_honest_run_attestation():
    r = noisy_returns()
    folds = make_folds(len(r), n_folds=3, purge=4)
    att = walk_forward(r, folds).attestation
    assert att["kind"] == "fold_causality" and att["version"] == 2
    assert att["valid"] is True and att["purge"] == 4 and att["embargo"] == 0
    for f, entry in zip(folds, att["folds"]):
        assert entry["ok"] and entry["reason"] is None
        # Computed from what was read: the selection read exactly its train window.
        assert entry["rows_read_max"] == f.test_start - 4 - 1 == entry["train_max"]
        assert entry["n_rows_read"] == f.train_stop - f.train_start
        assert entry["train_ranges"] == [[f.train_start, f.train_stop]]
        assert entry["test_blocks"] == [[f.test_start, f.test_stop - 1]]
    assert all(check["ok"] for check in att["checks"])
    # Plain JSON types only: it round-trips through json and canonical JSON.
    assert json.loads(json.dumps(att)) == att
    canonical_json(att)


def peek_one_row_ahead(view, train_rows):
    """An off-by-one slice: reads one row past the train window."""
    block = view[train_rows[0]:train_rows[-1] + 2]
    return int(np.argmax(block.mean(axis=0)))


def test_selector_reading_past_train_is_caught():
    r = noisy_returns()
    folds = make_folds(len(r), n_folds=3, purge=0)
    res = walk_forward(r, folds, selector=peek_one_row_ahead)
    att = res.attestation
    assert att["valid"] is False and res.objective == "custom"
    for f, entry in zip(folds, att["folds"]):
        assert entry["rows_read_max"] == f.test_start  # the first test row
        assert not entry["ok"]
        assert entry["reason"].startswith(
            f"fold {f.index} read row(s) {f.test_start} for training and also tested them")
    failed = {c["rule"]: c["failed_folds"] for c in att["checks"]}
    # With purge 0 the purge rule has no rows to guard; the row read is a test row.
    assert failed["purge_gap"] == [] and failed["train_test_disjoint"] == [0, 1, 2]
    assert failed["reads_within_train"] == [0, 1, 2]


def test_selector_reading_into_the_purge_gap_is_caught():
    r = noisy_returns()
    folds = make_folds(len(r), n_folds=2, purge=5)
    att = walk_forward(r, folds, selector=peek_one_row_ahead).attestation
    # Row test_start - 5 is in the purge gap: not a test row, but closer than the purge allows.
    assert not att["valid"]
    failed = {c["rule"]: c["failed_folds"] for c in att["checks"]}
    assert failed["purge_gap"] == [0, 1] and failed["train_test_disjoint"] == []
    assert failed["reads_within_train"] == [0, 1]
    f = folds[0]
    assert att["folds"][0]["reason"].startswith(
        f"fold 0 read train row(s) {f.test_start - 5} within the 5-row purge before test rows "
        f"[{f.test_start}, {f.test_stop - 1}] (train rows before them must be < "
        f"{f.test_start - 5})")


def test_selector_converting_everything_is_caught():
    r = noisy_returns()
    folds = make_folds(len(r), n_folds=2)
    res = walk_forward(r, folds, selector=lambda v, rows: int(np.argmax(np.asarray(v).sum(0))))
    att = res.attestation
    assert not att["valid"]
    assert all(e["rows_read_max"] == len(r) - 1 for e in att["folds"])


def test_honest_custom_selector_is_valid():
    def last_rows_best(view, train_rows):
        return int(np.argmax(view[train_rows[-24:], :].mean(axis=0)))
    res = walk_forward(noisy_returns(), make_folds(600, n_folds=3, purge=1),
                       selector=last_rows_best)
    assert res.attestation["valid"]
    assert [e["n_rows_read"] for e in res.attestation["folds"]] == [24, 24, 24]


def test_hand_built_overlapping_fold_is_caught():
    r = noisy_returns(n=100)
    folds = [Fold(0, 0, 40, 40, 60), Fold(1, 0, 70, 60, 80)]  # fold 1 trains on its test rows
    att = walk_forward(r, folds).attestation
    assert not att["valid"] and att["folds"][0]["ok"]
    reason = att["folds"][1]["reason"]
    assert reason.startswith("fold 1 read row(s) 60, 61, 62, ... for training and also "
                             "tested them")


def test_embargo_rule_checks_rows_after_the_folds_own_test_block():
    r = noisy_returns(n=120)
    # A hand-built fold that trains on both sides of its test window [50, 60).
    folds = [Fold(0, 0, 50, 50, 60, embargo=5)]
    both_sides = lambda view, rows: int(np.argmax(view[list(range(0, 45)) + [62, 70]].sum(0)))
    att = walk_forward(r, folds, selector=both_sides).attestation
    assert not att["valid"]
    failed = {c["rule"]: c["failed_folds"] for c in att["checks"]}
    assert failed["embargo"] == [0] and failed["purge_gap"] == []
    assert ("fold 0 read train row(s) 62 within the 5-row embargo after test rows [50, 59] "
            "(train rows after them must be >= 65)") in att["folds"][0]["reason"]


def test_attestation_of_empty_and_mismatched_inputs():
    assert not fold_causality_attestation([], train_rows_read=[], test_rows=[], purge=0,
                                          embargo=0)["valid"]
    att = fold_causality_attestation([Fold(0, 0, 5, 5, 6)], train_rows_read=[[]],
                                     test_rows=[[]], purge=0, embargo=0)
    assert att["folds"][0]["reason"] == "fold 0 has no test rows"
    with pytest.raises(ConfigError, match="got 1 folds but 0 train-row"):
        fold_causality_attestation([Fold(0, 0, 5, 5, 6)], train_rows_read=[], test_rows=[],
                                   purge=0, embargo=0)
