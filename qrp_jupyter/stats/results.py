"""Result objects of the statistical tests: computed once, then read and rendered.

A result holds the number a promotion rule reads (``pvalue``; for StepM the ``superior`` set),
everything needed to say how it was obtained (block size and why, replicates, studentization,
the seed record) and the bootstrap null distribution itself. ``to_dict`` is the JSON-ready
artifact (plain types, without the big arrays; an infinite statistic, which only a studentized
test of a constant differential produces, is written as the string ``"inf"`` or ``"-inf"``);
``summary`` and ``_repr_html_`` render it for people.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

__all__ = ["RealityCheckResult", "SPAPValues", "SPAResult", "StepMResult", "StepMStep"]

_NULL_QUANTILES = (0.9, 0.95, 0.99)


def _plain_label(label: Any) -> Any:
    if isinstance(label, (np.integer,)):
        return int(label)
    if isinstance(label, (str, int)):
        return label
    return str(label)


def _bootstrap_rows(res: Any) -> list[tuple[str, str]]:
    """The summary rows every bootstrap-based result shares (benchmark, resampling, seed)."""
    return [
        ("benchmark", res.benchmark + (" returns" if res.benchmark == "zero" else "")),
        ("bootstrap", f"{res.bootstrap}, {res.reps} replicates, re-centred"),
        ("mean block length", _block_text(res.block_size, res.block_size_method,
                                          res.block_size_estimate)),
        ("studentized", _studentized_text(res.studentized, res.studentization)),
        ("seed", _seed_text(res.seed_record)),
    ]


def _bootstrap_fields(res: Any) -> dict[str, Any]:
    """The JSON fields every bootstrap-based result shares: how it resampled, and on what."""
    return {
        "block_size": int(res.block_size),
        "block_size_method": res.block_size_method,
        "block_size_estimate": (None if res.block_size_estimate is None
                                else float(res.block_size_estimate)),
        "benchmark": res.benchmark,
        "bootstrap": res.bootstrap,
        "draw_protocol": int(res.draw_protocol),
        "reps": int(res.reps),
        "n_obs": int(res.n_obs),
        "n_models": int(res.n_models),
    }


def _json_float(value: float) -> float | str:
    """A finite float as is; +-inf as the strings "inf" / "-inf" (JSON has no infinity)."""
    value = float(value)
    if math.isfinite(value):
        return value
    if math.isnan(value):
        raise ValueError("a result holds NaN; this is a bug in the statistics code")
    return "inf" if value > 0 else "-inf"


def _frozen(values: Any) -> np.ndarray:
    out = np.array(values, dtype=np.float64)
    out.flags.writeable = False
    return out


def _block_text(block_size: int, method: str, estimate: float | None) -> str:
    text = f"{block_size} ({method}"
    if estimate is not None:
        text += f", estimate {estimate:.3g}"
    return text + ")"


def _studentized_text(studentized: bool, studentization: str) -> str:
    return f"yes ({studentization})" if studentized else "no"


def _render_text(title: str, rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows)
    return "\n".join([title] + [f"  {name:<{width}}  {value}" for name, value in rows])


def _render_html(caption: str, rows: list[tuple[str, str]]) -> str:
    cells = "".join(
        f"<tr><th style='text-align:left'>{html.escape(name)}</th>"
        f"<td style='text-align:left'>{html.escape(value)}</td></tr>"
        for name, value in rows)
    return f"<table class='qrp-result'><caption>{html.escape(caption)}</caption>{cells}</table>"


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
    studentized, studentization
        Whether the statistic divides each model's mean by ``omega_k``, the closed-form
        stationary-bootstrap standard deviation of ``sqrt(T) mean(d_k)``, and each bootstrap
        statistic by its replicate's own one (a block bootstrap-t), and the name of that scheme
        (``"none"`` when not).
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
    studentization: str = "none"

    def __post_init__(self) -> None:
        object.__setattr__(self, "null_distribution", _frozen(self.null_distribution))

    def null_quantiles(self) -> dict[str, float]:
        """Quantiles 0.90, 0.95, 0.99 of the null distribution (critical values of V)."""
        values = np.quantile(self.null_distribution, _NULL_QUANTILES)
        return {f"{q:.2f}": float(v) for q, v in zip(_NULL_QUANTILES, values)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain types; the null distribution is summarised by its quantiles."""
        return {
            "test": self.test,
            "pvalue": float(self.pvalue),
            "statistic": _json_float(self.statistic),
            "studentized": bool(self.studentized),
            "studentization": self.studentization,
            **_bootstrap_fields(self),
            "best_model": int(self.best_model),
            "best_model_label": _plain_label(self.best_model_label),
            "null_quantiles": self.null_quantiles(),
            "seed_record": self.seed_record,
        }

    def _rows(self) -> list[tuple[str, str]]:
        block = _block_text(self.block_size, self.block_size_method, self.block_size_estimate)
        statistic = "max sqrt(T) mean(d)" + (" / omega" if self.studentized else "")
        return [
            ("p-value", f"{self.pvalue:.4f}"),
            (f"statistic {statistic}", f"{self.statistic:.4g}"),
            ("best model", f"{self.best_model} ({self.best_model_label!r})"),
            ("models x periods", f"{self.n_models} x {self.n_obs}"),
            ("benchmark", self.benchmark + (" returns" if self.benchmark == "zero" else "")),
            ("bootstrap", f"{self.bootstrap}, {self.reps} replicates, re-centred"),
            ("mean block length", block),
            ("studentized", _studentized_text(self.studentized, self.studentization)),
            ("95% critical value", f"{self.null_quantiles()['0.95']:.4g}"),
            ("seed", _seed_text(self.seed_record)),
        ]

    def summary(self) -> str:
        """Plain-text summary, one fact per line."""
        return _render_text("White's Reality Check (White 2000)", self._rows())

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return _render_html("White's Reality Check", self._rows())


# ----------------------------------------------------------------------------- SPA
SPA_KINDS = ("lower", "consistent", "upper")


@dataclass(frozen=True, eq=False)
class SPAPValues(Mapping):
    """Hansen's three SPA p-values; read as attributes (``p.consistent``) or keys
    (``p["consistent"]``, ``dict(p)``). ``lower <= consistent <= upper`` by construction."""

    lower: float
    consistent: float
    upper: float

    def __getitem__(self, key: str) -> float:
        if key not in SPA_KINDS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(SPA_KINDS)

    def __len__(self) -> int:
        return len(SPA_KINDS)

    def __repr__(self) -> str:
        return ("SPAPValues(" + ", ".join(f"{k}={self[k]!r}" for k in SPA_KINDS) + ")")


@dataclass(frozen=True, eq=False)
class SPAResult:
    """Hansen's (2005) test of Superior Predictive Ability: does any of k strategies beat the
    benchmark?

    Attributes
    ----------
    pvalues
        :class:`SPAPValues` ``lower``, ``consistent``, ``upper``:
        ``(1 + #{T*_b >= T}) / (1 + B)`` under the three re-centring rules (see
        :func:`~qrp_jupyter.stats.spa`). ``pvalue`` is the consistent one, Hansen's test.
    statistic
        ``T = max(0, max_k t_k)``.
    model_statistics
        (k,) ``t_k = sqrt(T) mean(d_k) / omega_k`` (studentized) or ``sqrt(T) mean(d_k)``.
    null_distribution
        (B, 3) bootstrap ``T*_b``, columns lower, consistent, upper (read-only).
    n_recentred
        How many models each rule re-centres: ``{"lower": .., "consistent": .., "upper": k}``.
    consistent_threshold
        ``sqrt(2 log log T)``: the consistent rule re-centres model k when
        ``sqrt(T) mean(d_k) / omega_k >= -consistent_threshold``.
    block_size, block_size_method, block_size_estimate, reps, n_obs, n_models
        As for :class:`RealityCheckResult`.
    best_model, best_model_label
        Column index (and label) of the largest ``t_k``.
    studentized, studentization
        Whether ``t_k`` divides by ``omega_k`` and the name of that estimate.
    benchmark, bootstrap, draw_protocol, seed_record
        What the differentials were taken against and how the replicates were drawn.
    """

    pvalues: SPAPValues
    statistic: float
    model_statistics: np.ndarray = field(repr=False)
    null_distribution: np.ndarray = field(repr=False)
    n_recentred: dict
    consistent_threshold: float
    block_size: int
    block_size_method: str
    reps: int
    n_obs: int
    n_models: int
    best_model: int
    studentized: bool
    studentization: str
    seed_record: dict
    best_model_label: Any = None
    block_size_estimate: float | None = None
    benchmark: str = "zero"
    bootstrap: str = "stationary"
    draw_protocol: int = 1
    test: str = "spa"

    def __post_init__(self) -> None:
        object.__setattr__(self, "null_distribution", _frozen(self.null_distribution))
        object.__setattr__(self, "model_statistics", _frozen(self.model_statistics))

    @property
    def pvalue(self) -> float:
        """The consistent p-value: Hansen's SPA test."""
        return self.pvalues.consistent

    def null_quantiles(self) -> dict[str, dict[str, float]]:
        """Quantiles 0.90, 0.95, 0.99 of each null distribution (critical values of T)."""
        values = np.quantile(self.null_distribution, _NULL_QUANTILES, axis=0)
        return {kind: {f"{q:.2f}": float(v) for q, v in zip(_NULL_QUANTILES, values[:, i])}
                for i, kind in enumerate(SPA_KINDS)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain types; the null distributions are summarised by their quantiles."""
        return {
            "test": self.test,
            "pvalues": {kind: float(self.pvalues[kind]) for kind in SPA_KINDS},
            "pvalue": float(self.pvalue),
            "statistic": _json_float(self.statistic),
            "studentized": bool(self.studentized),
            "studentization": self.studentization,
            "n_recentred": {kind: int(self.n_recentred[kind]) for kind in SPA_KINDS},
            "consistent_threshold": float(self.consistent_threshold),
            **_bootstrap_fields(self),
            "best_model": int(self.best_model),
            "best_model_label": _plain_label(self.best_model_label),
            "null_quantiles": self.null_quantiles(),
            "seed_record": self.seed_record,
        }

    def _rows(self) -> list[tuple[str, str]]:
        statistic = "max(0, max sqrt(T) mean(d)" + (" / omega)" if self.studentized else ")")
        recentred = ", ".join(f"{kind} {self.n_recentred[kind]}" for kind in SPA_KINDS)
        return [
            ("p-value consistent", f"{self.pvalues.consistent:.4f}"),
            ("p-value lower, upper", f"{self.pvalues.lower:.4f}, {self.pvalues.upper:.4f}"),
            (f"statistic {statistic}", f"{self.statistic:.4g}"),
            ("best model", f"{self.best_model} ({self.best_model_label!r})"),
            ("models x periods", f"{self.n_models} x {self.n_obs}"),
            ("models re-centred", recentred),
            *_bootstrap_rows(self),
        ]

    def summary(self) -> str:
        """Plain-text summary, one fact per line."""
        return _render_text("Hansen's SPA test (Hansen 2005)", self._rows())

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return _render_html("Hansen's SPA test", self._rows())


# ----------------------------------------------------------------------------- StepM
class StepMStep(NamedTuple):
    """One step of StepM: the models still in play, the step's critical value (the bootstrap
    maximum over them at the test's size) and the column indices rejected in this step."""

    step: int
    n_active: int
    critical_value: float
    rejected: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"step": int(self.step), "n_active": int(self.n_active),
                "critical_value": _json_float(self.critical_value),
                "rejected": [int(j) for j in self.rejected]}


@dataclass(frozen=True, eq=False)
class StepMResult:
    """Romano and Wolf's (2005) StepM: which of k strategies beat the benchmark, with the
    familywise error rate held at ``size``.

    Attributes
    ----------
    superior
        Sorted column indices of the models found to beat the benchmark (labels in
        ``superior_labels``).
    size
        The familywise error rate.
    steps
        :class:`StepMStep` per step, the last one being the step that rejected nothing (unless
        every model was rejected).
    model_statistics
        (k,) ``t_k`` as for :class:`SPAResult`.
    adjusted_pvalues
        (k,) Romano-Wolf step-down adjusted p-values: ``superior`` is exactly the models with
        ``adjusted_pvalues <= size`` and ``t_k > 0``, for any ``size``.
    null_distributions
        (steps, B) bootstrap maxima of each step (read-only).
    block_size, block_size_method, block_size_estimate, reps, n_obs, n_models, studentized,
    studentization, benchmark, bootstrap, draw_protocol, seed_record
        As for :class:`SPAResult`.
    """

    superior: tuple[int, ...]
    size: float
    steps: tuple[StepMStep, ...]
    model_statistics: np.ndarray = field(repr=False)
    adjusted_pvalues: np.ndarray = field(repr=False)
    null_distributions: np.ndarray = field(repr=False)
    block_size: int
    block_size_method: str
    reps: int
    n_obs: int
    n_models: int
    studentized: bool
    studentization: str
    seed_record: dict
    superior_labels: tuple = ()
    block_size_estimate: float | None = None
    benchmark: str = "zero"
    bootstrap: str = "stationary"
    draw_protocol: int = 1
    test: str = "stepm"

    def __post_init__(self) -> None:
        for name in ("model_statistics", "adjusted_pvalues", "null_distributions"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain types; the null distributions are left out, every model's
        adjusted p-value is kept (the trial-level evidence of a promotion)."""
        return {
            "test": self.test,
            "superior": [int(j) for j in self.superior],
            "superior_labels": [_plain_label(label) for label in self.superior_labels],
            "superior_adjusted_pvalues": [float(self.adjusted_pvalues[j])
                                          for j in self.superior],
            "adjusted_pvalues": [float(p) for p in self.adjusted_pvalues],
            "size": float(self.size),
            "steps": [s.to_dict() for s in self.steps],
            "studentized": bool(self.studentized),
            "studentization": self.studentization,
            **_bootstrap_fields(self),
            "seed_record": self.seed_record,
        }

    def _rows(self) -> list[tuple[str, str]]:
        shown = ", ".join(f"{j} ({label!r})" for j, label in
                          zip(self.superior[:10], self.superior_labels[:10]))
        if len(self.superior) > 10:
            shown += f", ... ({len(self.superior) - 10} more)"
        steps = "; ".join(f"{s.n_active} in play, c = {s.critical_value:.4g}, "
                          f"{len(s.rejected)} rejected" for s in self.steps)
        return [
            ("superior models", f"{len(self.superior)} of {self.n_models}"
                                + (f": {shown}" if shown else "")),
            ("familywise error rate", f"{self.size:g}"),
            ("steps", steps),
            ("models x periods", f"{self.n_models} x {self.n_obs}"),
            *_bootstrap_rows(self),
        ]

    def summary(self) -> str:
        """Plain-text summary, one fact per line."""
        return _render_text("Romano-Wolf StepM (Romano and Wolf 2005)", self._rows())

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return _render_html("Romano-Wolf StepM", self._rows())
