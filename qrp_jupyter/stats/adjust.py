"""Multiple-testing adjusted p-values: Holm, Benjamini-Hochberg, Benjamini-Yekutieli.

DESIGN section 5: monotone as the textbooks define them. Reject hypothesis i at level alpha
when ``adjusted[i] <= alpha``; that reproduces each step-down / step-up procedure exactly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError

__all__ = ["ADJUST_METHODS", "adjust_pvalues"]

ADJUST_METHODS = ("holm", "bh", "by")


def _pvalues(p: Any) -> np.ndarray:
    try:
        arr = np.array(p, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"p cannot be read as floating-point numbers ({exc})", where="p",
                        fix="pass a 1-D array of p-values") from None
    if arr.ndim != 1:
        raise DataError(f"p must be one vector of p-values; got shape {arr.shape}", where="p",
                        fix="pass a 1-D array (flatten a table of p-values first and reshape "
                            "the result)")
    nan = np.isnan(arr)
    if nan.any():
        i = int(np.flatnonzero(nan)[0])
        raise DataError(f"p has a NaN at position {i} ({int(nan.sum())} NaN in all)",
                        where=f"p[{i}]",
                        fix="drop the hypotheses without a p-value before adjusting (a missing "
                            "test is not a p-value of 1 unless you mean it)")
    bad = (arr < 0.0) | (arr > 1.0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"p[{i}] = {arr[i]!r} is not a probability in [0, 1]", where=f"p[{i}]",
                        fix="pass p-values, not test statistics or log p-values")
    return arr


def adjust_pvalues(p: Any, *, method: str = "holm") -> np.ndarray:
    """Adjusted p-values controlling the FWER (Holm) or the FDR (BH, BY).

    Parameters
    ----------
    p
        1-D array-like of m p-values in [0, 1]; NaN is an error. m = 0 gives an empty array.
    method
        ``"holm"`` (Holm 1979 step-down, FWER under any dependence), ``"bh"`` (Benjamini and
        Hochberg 1995 step-up, FDR under independence or positive dependence) or ``"by"``
        (Benjamini and Yekutieli 2001, FDR under any dependence).

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the input order, float64, in [0, 1], each >= its raw p-value.

    Notes
    -----
    With the p-values sorted, ``p_(1) <= ... <= p_(m)`` (ties in any order: the result does not
    depend on it):

    - Holm: ``adj_(i) = max_{j <= i} min(1, (m - j + 1) p_(j))``, a running maximum from the
      smallest.
    - BH: ``adj_(i) = min_{j >= i} min(1, m p_(j) / j)``, a running minimum from the largest.
    - BY: BH with ``m`` replaced by ``m c(m)``, ``c(m) = sum_{k=1}^{m} 1 / k``.

    ``adj <= alpha`` then rejects exactly the hypotheses of the procedure at level alpha (for
    BH: the k smallest, k the largest i with ``p_(i) <= i alpha / m``). The adjusted values are
    monotone in the raw ones. They equal statsmodels' ``multipletests`` with ``"holm"``,
    ``"fdr_bh"`` and ``"fdr_by"``.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.045, 0.05], method="bh").tolist()
    [0.04, 0.05, 0.05, 0.05]
    >>> adjust_pvalues([0.01, 0.04, 0.045, 0.05], method="holm").round(6).tolist()
    [0.04, 0.12, 0.12, 0.12]
    """
    if method not in ADJUST_METHODS:
        raise ConfigError(f"method={method!r} is not a known adjustment", where="method",
                          fix='pass "holm", "bh" or "by"')
    arr = _pvalues(p)
    m = arr.shape[0]
    if m == 0:
        return arr
    order = np.argsort(arr, kind="stable")
    ps = arr[order]
    position = np.arange(1, m + 1, dtype=np.float64)
    if method == "holm":
        adjusted = np.maximum.accumulate(np.minimum(1.0, (m - position + 1.0) * ps))
    else:
        factor = float(m)
        if method == "by":
            factor *= math.fsum(1.0 / position)  # exactly rounded: no SIMD order
        # factor / position >= 1 before rounding and so after: adjusted >= p holds in floats too
        adjusted = np.minimum.accumulate(np.minimum(1.0, ps * (factor / position))[::-1])[::-1]
    out = np.empty(m)
    out[order] = adjusted
    return out
