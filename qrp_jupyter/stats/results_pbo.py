"""Result objects of PBO by CSCV and of the Newey-West HAC t-statistic.

Same contract as :mod:`qrp_jupyter.stats.results`: computed once, then read and rendered.
``to_dict`` is the JSON-ready artifact (plain types, no per-split arrays); ``summary`` and
``_repr_html_`` render it for people.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _detmath as D
from .results import _plain_label

__all__ = ["HACResult", "PBOResult"]

_LOGIT_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
_TOP_WINNERS = 5


def _frozen(values: Any, dtype: Any) -> np.ndarray:
    arr = np.array(values, dtype=dtype)
    arr.flags.writeable = False
    return arr


def _table(caption: str, rows: list[tuple[str, str]]) -> str:
    cells = "".join(
        f"<tr><th style='text-align:left'>{html.escape(name)}</th>"
        f"<td style='text-align:left'>{html.escape(value)}</td></tr>"
        for name, value in rows)
    return f"<table class='qrp-result'><caption>{html.escape(caption)}</caption>{cells}</table>"


def _text(title: str, rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows)
    return "\n".join([title] + [f"  {name:<{width}}  {value}" for name, value in rows])


@dataclass(frozen=True, eq=False)
class PBOResult:
    """Probability of Backtest Overfitting by CSCV (Bailey, Borwein, Lopez de Prado, Zhu 2017).

    Attributes
    ----------
    pbo
        Share of the splits whose logit is <= 0: the in-sample best ranked in the lower half
        (or exactly at the median) out of sample.
    logits
        ``log(w / (1 - w))`` for every split, in the order of ``in_sample_blocks``.
    oos_rank
        The relative rank ``w = rank / (N + 1)`` in (0, 1) of the in-sample best among the N
        out-of-sample Sharpe ratios (rank 1 = worst, N = best; ties take their average rank).
    in_sample_best
        Column index of the in-sample best of each split (first column among exact ties).
    is_sharpe, oos_sharpe
        That strategy's per-period Sharpe ratio in sample and out of sample, per split.
    in_sample_blocks
        (n_splits, S/2) block numbers forming each split's in-sample half, lexicographic; the
        complement is out of sample. Block b covers rows ``rows_dropped + b * block_rows`` to
        ``rows_dropped + (b + 1) * block_rows - 1`` of the input.
    n_splits, n_blocks, block_rows, n_obs, rows_dropped, n_strategies
        C(S, S/2), S, L = T // S, T, T mod S (the first, oldest rows) and N.
    labels
        The N column labels.
    metric, rank_convention, trimming
        Plain-words statement of the conventions used.
    """

    pbo: float
    logits: np.ndarray = field(repr=False)
    oos_rank: np.ndarray = field(repr=False)
    in_sample_best: np.ndarray = field(repr=False)
    is_sharpe: np.ndarray = field(repr=False)
    oos_sharpe: np.ndarray = field(repr=False)
    in_sample_blocks: np.ndarray = field(repr=False)
    n_splits: int
    n_blocks: int
    block_rows: int
    n_obs: int
    rows_dropped: int
    n_strategies: int
    labels: list = field(repr=False, default_factory=list)
    metric: str = ("sharpe: per-period mean / std (ddof=1) of each half; a half with one "
                   "repeated value c scores 0 if c == 0, else +-inf")
    rank_convention: str = ("w = rank / (N + 1), rank 1 = worst .. N = best out of sample, "
                            "ties averaged; in-sample best = first column among ties")
    trimming: str = "first T mod S rows (the oldest) dropped"
    test: str = "pbo_cscv"

    def __post_init__(self) -> None:
        for name, dtype in (("logits", np.float64), ("oos_rank", np.float64),
                            ("in_sample_best", np.int64), ("is_sharpe", np.float64),
                            ("oos_sharpe", np.float64), ("in_sample_blocks", np.int64)):
            object.__setattr__(self, name, _frozen(getattr(self, name), dtype))

    @property
    def rows_used(self) -> int:
        return self.n_blocks * self.block_rows

    @property
    def prob_oos_loss(self) -> float:
        """Share of splits whose in-sample best has a negative out-of-sample Sharpe ratio."""
        return float(np.count_nonzero(self.oos_sharpe < 0.0)) / self.n_splits

    def logit_quantiles(self) -> dict[str, float]:
        values = np.quantile(self.logits, _LOGIT_QUANTILES)
        return {f"{q:.2f}": float(v) for q, v in zip(_LOGIT_QUANTILES, values)}

    def top_in_sample_best(self, k: int = _TOP_WINNERS) -> list[dict[str, Any]]:
        """The k columns most often chosen in sample, with how many splits chose each."""
        counts = np.bincount(self.in_sample_best, minlength=self.n_strategies)
        order = np.argsort(-counts, kind="stable")[:k]
        return [{"column": int(j), "label": _plain_label(self._label(int(j))),
                 "splits": int(counts[j])} for j in order if counts[j] > 0]

    def _label(self, j: int) -> Any:
        return self.labels[j] if j < len(self.labels) else j

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain types; the per-split arrays are summarised."""
        return {
            "test": self.test,
            "pbo": float(self.pbo),
            "n_splits": int(self.n_splits),
            "n_blocks": int(self.n_blocks),
            "block_rows": int(self.block_rows),
            "n_obs": int(self.n_obs),
            "rows_used": int(self.rows_used),
            "rows_dropped": int(self.rows_dropped),
            "n_strategies": int(self.n_strategies),
            "metric": self.metric,
            "rank_convention": self.rank_convention,
            "trimming": self.trimming,
            "logit_mean": D.mean(self.logits),
            "logit_quantiles": self.logit_quantiles(),
            "mean_oos_rank": D.mean(self.oos_rank),
            "prob_oos_loss": self.prob_oos_loss,
            "top_in_sample_best": self.top_in_sample_best(),
        }

    def _rows(self) -> list[tuple[str, str]]:
        q = self.logit_quantiles()
        top = self.top_in_sample_best(1)
        winner = (f"{top[0]['label']!r} in {top[0]['splits']} of {self.n_splits} splits"
                  if top else "-")
        return [
            ("PBO", f"{self.pbo:.4f}"),
            ("splits", f"{self.n_splits} = C({self.n_blocks}, {self.n_blocks // 2})"),
            ("strategies x periods", f"{self.n_strategies} x {self.n_obs}"),
            ("blocks", f"{self.n_blocks} of {self.block_rows} rows; "
                       f"{self.rows_dropped} oldest rows dropped"),
            ("metric", "per-period Sharpe ratio (ddof=1)"),
            ("median logit", f"{q['0.50']:.4g}"),
            ("mean OOS relative rank", f"{D.mean(self.oos_rank):.4f}"),
            ("P(OOS Sharpe < 0)", f"{self.prob_oos_loss:.4f}"),
            ("most frequent IS best", winner),
        ]

    def summary(self) -> str:
        """Plain-text summary, one fact per line."""
        return _text("Probability of Backtest Overfitting, CSCV (Bailey et al. 2017)",
                     self._rows())

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return _table("Probability of Backtest Overfitting (CSCV)", self._rows())


@dataclass(frozen=True, eq=False)
class HACResult:
    """Newey-West (1987) HAC t-statistic of a mean: ``t = mean * sqrt(n) / sqrt(lrv)``.

    Attributes
    ----------
    tstat
        ``mean * sqrt(n) / sqrt(long_run_variance)``; ``float(result)`` gives it too.
    mean, n_obs
        The sample mean and n.
    long_run_variance
        ``gamma_0 + 2 sum_{h=1}^{L} (1 - h / (L + 1)) gamma_h`` with the biased autocovariances
        ``gamma_h = sum_{t>=h} (x_t - mean)(x_{t-h} - mean) / n`` (Bartlett kernel), times
        ``n / (n - 1)`` when ``small_sample``.
    std_error
        ``sqrt(long_run_variance / n)``.
    pvalue
        Two-sided, from the standard normal (the asymptotic distribution of t).
    lags, lag_rule
        L, and ``"given"`` or the automatic rule that chose it.
    small_sample
        Whether the ``n / (n - 1)`` correction was applied (statsmodels' ``use_correction``).
    """

    tstat: float
    mean: float
    n_obs: int
    long_run_variance: float
    std_error: float
    pvalue: float
    lags: int
    lag_rule: str
    small_sample: bool = False
    kernel: str = "bartlett"
    test: str = "hac_tstat"

    def __float__(self) -> float:
        return float(self.tstat)

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "tstat": float(self.tstat),
            "pvalue": float(self.pvalue),
            "mean": float(self.mean),
            "n_obs": int(self.n_obs),
            "long_run_variance": float(self.long_run_variance),
            "std_error": float(self.std_error),
            "lags": int(self.lags),
            "lag_rule": self.lag_rule,
            "kernel": self.kernel,
            "small_sample": bool(self.small_sample),
        }

    def _rows(self) -> list[tuple[str, str]]:
        return [
            ("t-statistic", f"{self.tstat:.4f}"),
            ("p-value (two-sided, normal)", f"{self.pvalue:.4g}"),
            ("mean", f"{self.mean:.6g}"),
            ("observations", str(self.n_obs)),
            ("long-run variance", f"{self.long_run_variance:.6g}"),
            ("lags", f"{self.lags} ({self.lag_rule})"),
            ("kernel", self.kernel),
            ("small-sample n/(n-1)", "yes" if self.small_sample else "no"),
        ]

    def summary(self) -> str:
        return _text("Newey-West HAC t-statistic of the mean", self._rows())

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return _table("Newey-West HAC t-statistic", self._rows())
