"""Result objects of the statistical tests: computed once, then read and rendered.

A result holds the number a promotion rule reads (``pvalue``), everything needed to say how it
was obtained (block size and why, replicates, studentization, the seed record) and the bootstrap
null distribution itself. ``to_dict`` is the JSON-ready artifact (plain types, without the big
array); ``summary`` and ``_repr_html_`` render it for people.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["RealityCheckResult"]

_NULL_QUANTILES = (0.9, 0.95, 0.99)


def _plain_label(label: Any) -> Any:
    if isinstance(label, (np.integer,)):
        return int(label)
    if isinstance(label, (str, int)):
        return label
    return str(label)


def _seed_text(record: dict) -> str:
    kind = str(record.get("kind", "?"))
    if "root" in record:
        return f"{kind} {str(record['root'])[:16]}"
    if "entropy" in record:
        return f"{kind} {record['entropy']}"
    return kind


@dataclass(frozen=True, eq=False)
class RealityCheckResult:
    """White's (2000) Reality Check: is the best of k strategies better than the benchmark?

    Attributes
    ----------
    pvalue
        ``(1 + #{V*_b >= V}) / (1 + B)``.
    statistic
        ``V = max_k sqrt(T) * mean(d_k)`` for the differentials ``d = returns - benchmark``.
    null_distribution
        The B re-centred bootstrap maxima ``V*_b`` (read-only array).
    block_size, block_size_method
        The mean block length used, and ``"given"`` or
        ``"politis-white(median over k columns)"``; ``block_size_estimate`` holds the unrounded
        median of the Politis-White stationary lengths (None when it was given or undefined).
    reps, n_obs, n_models
        B, T and k.
    best_model, best_model_label
        Column index (and label) of the model with the largest mean differential.
    studentized
        Always False here: the statistic uses raw mean differentials.
    benchmark
        ``"zero"`` (the default, zero returns) or ``"given"``.
    seed_record
        The JSON-ready record of the randomness used (see ``qrp_jupyter.identity.resolve_seed``).
    """

    pvalue: float
    statistic: float
    null_distribution: np.ndarray = field(repr=False)
    block_size: int
    block_size_method: str
    reps: int
    n_obs: int
    n_models: int
    best_model: int
    studentized: bool
    seed_record: dict
    best_model_label: Any = None
    block_size_estimate: float | None = None
    benchmark: str = "zero"
    bootstrap: str = "stationary"
    draw_protocol: int = 1
    test: str = "reality_check"

    def __post_init__(self) -> None:
        null = np.array(self.null_distribution, dtype=np.float64)
        null.flags.writeable = False
        object.__setattr__(self, "null_distribution", null)

    def null_quantiles(self) -> dict[str, float]:
        """Quantiles 0.90, 0.95, 0.99 of the null distribution (critical values of V)."""
        values = np.quantile(self.null_distribution, _NULL_QUANTILES)
        return {f"{q:.2f}": float(v) for q, v in zip(_NULL_QUANTILES, values)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain types; the null distribution is summarised by its quantiles."""
        return {
            "test": self.test,
            "pvalue": float(self.pvalue),
            "statistic": float(self.statistic),
            "studentized": bool(self.studentized),
            "block_size": int(self.block_size),
            "block_size_method": self.block_size_method,
            "block_size_estimate": (None if self.block_size_estimate is None
                                    else float(self.block_size_estimate)),
            "benchmark": self.benchmark,
            "bootstrap": self.bootstrap,
            "draw_protocol": int(self.draw_protocol),
            "reps": int(self.reps),
            "n_obs": int(self.n_obs),
            "n_models": int(self.n_models),
            "best_model": int(self.best_model),
            "best_model_label": _plain_label(self.best_model_label),
            "null_quantiles": self.null_quantiles(),
            "seed_record": self.seed_record,
        }

    def _rows(self) -> list[tuple[str, str]]:
        block = f"{self.block_size} ({self.block_size_method}"
        if self.block_size_estimate is not None:
            block += f", estimate {self.block_size_estimate:.3g}"
        block += ")"
        return [
            ("p-value", f"{self.pvalue:.4f}"),
            ("statistic max sqrt(T) mean(d)", f"{self.statistic:.4g}"),
            ("best model", f"{self.best_model} ({self.best_model_label!r})"),
            ("models x periods", f"{self.n_models} x {self.n_obs}"),
            ("benchmark", self.benchmark + (" returns" if self.benchmark == "zero" else "")),
            ("bootstrap", f"{self.bootstrap}, {self.reps} replicates, re-centred"),
            ("mean block length", block),
            ("studentized", "yes" if self.studentized else "no"),
            ("95% critical value", f"{self.null_quantiles()['0.95']:.4g}"),
            ("seed", _seed_text(self.seed_record)),
        ]

    def summary(self) -> str:
        """Plain-text summary, one fact per line."""
        rows = self._rows()
        width = max(len(name) for name, _ in rows)
        lines = ["White's Reality Check (White 2000)"]
        lines += [f"  {name:<{width}}  {value}" for name, value in rows]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><th style='text-align:left'>{html.escape(name)}</th>"
            f"<td style='text-align:left'>{html.escape(value)}</td></tr>"
            for name, value in self._rows())
        return ("<table class='qrp-result'><caption>White's Reality Check</caption>"
                f"{cells}</table>")
