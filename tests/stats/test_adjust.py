"""Holm / Benjamini-Hochberg / Benjamini-Yekutieli adjusted p-values.

Against statsmodels' ``multipletests`` (atol 1e-12: the same formulas with the division written
differently), against the O(m^2) textbook definitions in ``naive_pbo.adjust_pvalues``, and
against the rejection procedures themselves.
"""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qrp_jupyter.errors import ConfigError, DataError
from qrp_jupyter.stats import adjust as adjust_module
from qrp_jupyter.stats.adjust import adjust_pvalues

from . import naive_pbo

multitest = pytest.importorskip("statsmodels.stats.multitest")

SM_NAME = {"holm": "holm", "bh": "fdr_bh", "by": "fdr_by"}
METHODS = tuple(SM_NAME)

# p-values with many ties, exact 0 and 1, and values near the usual thresholds
_p = st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 1.0, 0.01, 0.04, 0.05, 0.5, 1e-12]))
p_vectors = st.lists(_p, min_size=1, max_size=60)


# statsmodels' multipletests runs gc.collect() on every call (~0.1 s here): few examples
@settings(max_examples=60, deadline=None)
@given(p=p_vectors, method=st.sampled_from(METHODS))
def test_matches_statsmodels(p, method):
    got = adjust_pvalues(p, method=method)
    sm = multitest.multipletests(p, method=SM_NAME[method])[1]
    np.testing.assert_allclose(got, sm, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_matches_statsmodels_on_large_random_vectors(method):
    rng = np.random.default_rng(len(method))
    p = np.concatenate([rng.uniform(size=400), rng.uniform(size=100) ** 8, np.ones(20),
                        np.zeros(5), np.full(30, 0.01)])   # many ties, both ends
    rng.shuffle(p)
    sm = multitest.multipletests(p, method=SM_NAME[method])[1]
    np.testing.assert_allclose(adjust_pvalues(p, method=method), sm, rtol=1e-12, atol=1e-12)


@settings(max_examples=300, deadline=None)
@given(p=p_vectors, method=st.sampled_from(METHODS))
def test_matches_textbook_definition(p, method):
    got = adjust_pvalues(p, method=method)
    np.testing.assert_allclose(got, naive_pbo.adjust_pvalues(p, method), rtol=1e-12, atol=1e-15)


@settings(max_examples=300, deadline=None)
@given(p=p_vectors, method=st.sampled_from(METHODS), seed=st.integers(0, 2**32 - 1))
def test_monotone_bounded_and_order_free(p, method, seed):
    p = np.array(p)
    adj = adjust_pvalues(p, method=method)
    assert adj.dtype == np.float64 and adj.shape == p.shape
    assert np.all(adj >= p) and np.all(adj <= 1.0)
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(adj[order]) >= 0.0)       # larger p, never smaller adjusted p
    i, j = np.nonzero(p[:, None] == p[None, :])
    np.testing.assert_array_equal(adj[i], adj[j])    # equal p, equal adjusted p
    perm = np.random.default_rng(seed).permutation(p.shape[0])
    np.testing.assert_array_equal(adjust_pvalues(p[perm], method=method), adj[perm])


@settings(max_examples=300, deadline=None)
@given(p=p_vectors, alpha=st.sampled_from([0.01, 0.05, 0.1, 0.2]))
def test_bh_rejects_exactly_the_step_up_set(p, alpha):
    """adj <= alpha reproduces the BH procedure: reject the k smallest, k = max{i: p_(i) <= i
    alpha / m}. (A BH that is stricter than this, as the legacy system's was, fails here.)"""
    ps = np.sort(p)
    ratio = ps * len(ps) / np.arange(1, len(ps) + 1)
    # at exact equality p_(i) m / i = alpha the two ways of writing the test round differently
    assume(not np.isclose(ratio, alpha, rtol=1e-12, atol=0).any())
    want = naive_pbo.bh_rejections(p, alpha)
    np.testing.assert_array_equal(adjust_pvalues(p, method="bh") <= alpha, want)


@settings(max_examples=200, deadline=None)
@given(p=p_vectors)
def test_orderings_between_methods(p):
    holm = adjust_pvalues(p, method="holm")
    bh = adjust_pvalues(p, method="bh")
    by = adjust_pvalues(p, method="by")
    assert np.all(bh <= holm + 1e-15)   # FDR control is never stricter than FWER control
    assert np.all(bh <= by + 1e-15)     # BY pays sum 1/k for arbitrary dependence


def test_bh_is_not_stricter_than_the_textbook():
    """p = (0.01, 0.04, 0.045, 0.05), alpha = 0.05: the textbook BH rejects all four.

    m p_(i) / i = (0.04, 0.08, 0.06, 0.05). Without the running minimum from the largest
    ("raw" BH) only the 1st and 4th are rejected -- a non-monotone result; a step-down BH that
    stops at the first failure rejects only the 1st. The step-up takes the largest i with
    p_(i) <= i alpha / m, here i = 4, and rejects everything below it.
    """
    p = np.array([0.01, 0.04, 0.045, 0.05])
    adj = adjust_pvalues(p, method="bh")
    np.testing.assert_allclose(adj, [0.04, 0.05, 0.05, 0.05], rtol=1e-15)
    assert np.all(adj <= 0.05)
    raw = np.minimum(1.0, p * 4 / np.arange(1, 5))
    assert np.all(adj <= raw) and (adj < raw).any()
    assert (raw <= 0.05).tolist() == [True, False, False, True]   # the buggy variant
    assert naive_pbo.bh_rejections(p, 0.05).all()
    # input order does not matter
    np.testing.assert_allclose(adjust_pvalues(p[::-1], method="bh"), adj[::-1], rtol=1e-15)


def test_textbook_examples():
    p = [0.01, 0.04, 0.03, 0.005]
    # Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> cummax
    np.testing.assert_allclose(adjust_pvalues(p, method="holm"), [0.03, 0.06, 0.06, 0.02],
                               rtol=1e-14)
    # BH: 0.005*4/1, 0.01*4/2, 0.03*4/3, 0.04*4/4 = 0.02, 0.02, 0.04, 0.04 -> cummin from top
    np.testing.assert_allclose(adjust_pvalues(p, method="bh"), [0.02, 0.04, 0.04, 0.02],
                               rtol=1e-14)
    c4 = 1 + 1 / 2 + 1 / 3 + 1 / 4
    np.testing.assert_allclose(adjust_pvalues(p, method="by"),
                               np.minimum(1, np.array([0.02, 0.04, 0.04, 0.02]) * c4),
                               rtol=1e-14)
    assert adjust_pvalues([0.3], method="holm").tolist() == [0.3]
    np.testing.assert_array_equal(adjust_pvalues([1.0, 1.0, 0.0], method="by"), [1, 1, 0])


def test_inputs_and_errors():
    assert adjust_pvalues([], method="bh").shape == (0,)
    s = pd.Series([0.01, 0.2, 0.03], index=list("abc"))
    np.testing.assert_array_equal(adjust_pvalues(s), adjust_pvalues(s.to_numpy()))
    with pytest.raises(DataError, match=r"NaN at position 1"):
        adjust_pvalues([0.1, np.nan, 0.2])
    with pytest.raises(DataError, match="not a probability"):
        adjust_pvalues([0.1, 1.5])
    with pytest.raises(DataError, match="not a probability"):
        adjust_pvalues([-0.01])
    with pytest.raises(DataError, match="shape"):
        adjust_pvalues([[0.1, 0.2]])
    with pytest.raises(DataError, match="shape"):
        adjust_pvalues(0.1)
    with pytest.raises(DataError, match="floating"):
        adjust_pvalues(["a"])
    with pytest.raises(ConfigError, match="method"):
        adjust_pvalues([0.1], method="fdr_bh")


def test_docstring_examples_run():
    result = doctest.testmod(adjust_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
