"""The ``application/vnd.qrp.run+json`` payload: one run instance's results, ready to draw.

Everything is read from the store: the trial rows, the returns matrix (equity curves), the
stored null distributions (histograms), the PBO/StepM/walk-forward artifacts, and a read-only
eligibility preview of the best trial. Nothing is written.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..governance import preview_eligibility
from ..lineage import MIME_RUN, MIME_VERSION
from ..runs import resolve_instance
from ..store import Store, decode_array, decode_json

__all__ = ["run_payload", "sample_rows", "EQUITY_DEFINITION", "HISTOGRAM_BINS"]

EQUITY_DEFINITION = ("cumulative compounded return after each row: prod(1 + r[0..i]) - 1, "
                     "to 8 significant digits")
#: Bins of every null-distribution histogram.
HISTOGRAM_BINS = 40
#: Column of SPA's consistent statistic in its stored (B, 3) null distribution.
_SPA_CONSISTENT = 1
_NULL_TESTS = (("reality_check", "null_distribution"), ("spa", "spa_null_distribution"))


def _finite(v: Any) -> float | None:
    return float(v) if v is not None and math.isfinite(float(v)) else None


def _round(v: Any) -> float | None:
    """8 significant digits: plenty for a chart, and a third of the JSON of a full float."""
    v = _finite(v)
    return None if v is None else float(f"{v:.8g}")


def _positive_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}",
                          where=name, fix=f"pass {name}={max(minimum, 10)} or more")
    return value


def sample_rows(n: int, max_points: int) -> np.ndarray:
    """At most ``max_points`` ascending row numbers of ``range(n)``, first and last included."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, max_points)).astype(np.int64))


def _doc(store: Store, artifacts: dict[str, str], kind: str) -> dict[str, Any] | None:
    return decode_json(store.get_artifact(artifacts[kind])) if kind in artifacts else None


def _nulls(store: Store, artifacts: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for test, null_kind in _NULL_TESTS:
        doc = _doc(store, artifacts, test)
        if doc is None or null_kind not in artifacts:
            continue
        null = decode_array(store.get_artifact(artifacts[null_kind]))
        if null.ndim == 2:  # SPA keeps (B, 3) columns lower, consistent, upper: p is consistent
            null = null[:, _SPA_CONSISTENT]
        null = null[np.isfinite(null)]
        stat = _finite(doc.get("statistic"))
        span = np.concatenate([null, [stat]]) if stat is not None else null
        lo, hi = (float(span.min()), float(span.max())) if span.size else (0.0, 1.0)
        counts, edges = np.histogram(null, bins=HISTOGRAM_BINS,
                                     range=(lo, hi if hi > lo else lo + 1.0))
        out.append({"test": test, "statistic": stat, "pvalue": float(doc["pvalue"]),
                    "studentized": bool(doc.get("studentized")), "reps": int(doc["reps"]),
                    "block_size": _finite(doc.get("block_size")),
                    "bins": [float(e) for e in edges], "counts": [int(c) for c in counts],
                    "artifact_id": artifacts[test], "null_artifact_id": artifacts[null_kind]})
    return out


def _walk_forward(store: Store, artifacts: dict[str, str]) -> dict[str, Any] | None:
    wf = _doc(store, artifacts, "walk_forward")
    if wf is None or "fold_causality" not in artifacts:
        return None
    att = _doc(store, artifacts, "fold_causality")
    return {"oos_sharpe_annual": _finite(wf.get("oos_sharpe_annual")),
            "fold_causality_valid": bool(att.get("valid")), "n_folds": len(wf["folds"]),
            "chosen": [int(c) for c in wf["chosen"]], "artifact_id": artifacts["walk_forward"],
            "attestation_id": artifacts["fold_causality"]}


def run_payload(store: Store, ref: str, *, max_trials: int = 10,
                max_points: int = 400) -> dict[str, Any]:
    """JSON for ``application/vnd.qrp.run+json``: one run instance, ready to render.

    Parameters
    ----------
    store
        An open QRP store; nothing is written.
    ref
        A run_key (its latest original instance), a run_instance_id, or a unique prefix.
    max_trials
        How many trials to show, best per-period Sharpe first (ties: lower index).
    max_points
        Most points per equity curve; rows are sampled evenly, first and last kept.

    Returns
    -------
    dict
        ``qrp_mime_version``, ``mime``, ``run_key``, ``run_instance_id``, ``dataset_id_v2``,
        ``run``, ``artifacts`` (kind -> id), ``config``, ``summary``, ``n_trials``,
        ``trials``, ``equity``, ``nulls``, ``pbo``, ``stepm``, ``walk_forward`` and
        ``eligibility`` (a preview of the best trial at level ``candidate``). Every field is
        listed in ``docs/mime-types.md``.

    Raises
    ------
    NotFoundError
        For an unknown or ambiguous reference.
    ConfigError
        For ``max_trials < 1`` or ``max_points < 2``.
    """
    max_trials = _positive_int(max_trials, "max_trials", 1)
    max_points = _positive_int(max_points, "max_points", 2)
    instance_id = resolve_instance(store, ref)
    inst = store.one("run_instances.get", (instance_id,))
    run = store.one("runs.get", (inst["run_key"],))
    result = json.loads(inst["result_json"])
    artifacts = {r["kind"]: r["artifact_id"]
                 for r in store.all("artifact_lineage.of_instance", (instance_id,))}
    rows = store.all("trials.best", (run["run_key"], max_trials))
    trials = []
    for r in rows:
        metrics = json.loads(r["metrics_json"])
        for k in ("params", "trial_index"):
            metrics.pop(k, None)
        trials.append({"trial_index": r["trial_index"], "params": json.loads(r["params_json"]),
                       "sharpe_annual": _finite(r["sharpe_annual"]), "metrics": metrics})
    R = decode_array(store.get_artifact(artifacts["returns_matrix"]))
    index = sample_rows(R.shape[0], max_points)
    curves = []
    for t in trials:
        with np.errstate(invalid="ignore", over="ignore"):
            cum = np.cumprod(1.0 + R[:, t["trial_index"]]) - 1.0
        curves.append({"trial_index": t["trial_index"],
                       "values": [_round(v) for v in cum[index]]})
    pbo, stepm = _doc(store, artifacts, "pbo"), _doc(store, artifacts, "stepm")
    return {
        "qrp_mime_version": MIME_VERSION, "mime": MIME_RUN,
        "run_key": run["run_key"], "run_instance_id": instance_id,
        "dataset_id_v2": run["dataset_id_v2"],
        "run": {"name": run["name"], "family": run["family"],
                "engine_version": run["engine_version"], "code_hash": run["code_hash"],
                "seq": inst["seq"], "purpose": inst["purpose"], "replay_of": inst["replay_of"],
                "started_at": inst["started_at"], "actor": inst["actor"]},
        "artifacts": dict(sorted(artifacts.items())),
        "config": json.loads(run["config_json"]),
        "summary": result.get("summary", {}),
        "n_trials": store.one("trials.count", (run["run_key"],))["n"],
        "trials": trials,
        "equity": {"definition": EQUITY_DEFINITION, "n_obs": int(R.shape[0]),
                   "index": [int(i) for i in index], "curves": curves},
        "nulls": _nulls(store, artifacts),
        "pbo": None if pbo is None else {"pbo": float(pbo["pbo"]),
                                         "n_blocks": int(pbo["n_blocks"]),
                                         "n_splits": int(pbo["n_splits"]),
                                         "artifact_id": artifacts["pbo"]},
        "stepm": None if stepm is None else {"superior": [int(j) for j in stepm["superior"]],
                                             "size": float(stepm["size"]),
                                             "artifact_id": artifacts["stepm"]},
        "walk_forward": _walk_forward(store, artifacts),
        "eligibility": preview_eligibility(store, instance_id, level="candidate"),
    }
