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
from ..data.validate import iso
from ..runs import resolve_instance
from ..runs.datasets import load_dataset
from ..store import Store, decode_array, decode_json

__all__ = ["run_payload", "sample_rows", "EQUITY_DEFINITION", "HISTOGRAM_BINS", "PBO_BINS",
           "TIMESTAMP_DEFINITION", "row_timestamps"]

EQUITY_DEFINITION = ("cumulative compounded return after each row: prod(1 + r[0..i]) - 1, "
                     "to 8 significant digits")
#: Bins of every null-distribution histogram.
HISTOGRAM_BINS = 40
#: Bins of the PBO logit histogram.
PBO_BINS = 30
TIMESTAMP_DEFINITION = ("open time (ISO-8601 UTC) of the bar over which each sampled row's "
                        "return is earned: row i is bar i + 1 of the dataset")
#: Column of SPA's consistent statistic in its stored (B, 3) null distribution.
#: Most trials a run payload's ``grid`` (the two-parameter heatmap) carries; past it the field
#: is left out and the heatmap shows the best trials only.
GRID_MAX_TRIALS = 2500
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


def row_timestamps(store: Store, dataset_id_v2: str, asset: str | None,
                   n_obs: int) -> np.ndarray | None:
    """Nanosecond time of every row of a returns matrix of ``n_obs`` rows, or None.

    Row ``i`` of the returns matrix is earned over bar ``i + 1`` (a position decided at bar
    ``i`` is held over bar ``i + 1``), so its time is that bar's open time. A panel's assets
    share their timestamps, so any of them serves. None when the dataset's bars do not match
    the matrix (``n_obs + 1`` bars are expected).
    """
    ds = load_dataset(store, dataset_id_v2, where="dataset_id_v2")
    ts = ds.timestamps(asset if asset in ds.assets else ds.assets[0])
    return ts[1:] if len(ts) == n_obs + 1 else None


def _iso(stamps: np.ndarray, row: int) -> str:
    # Integer nanoseconds to text: no float on the way, so the same bytes on every machine.
    return iso(int(stamps[row]))


def _pbo(store: Store, artifacts: dict[str, str]) -> dict[str, Any] | None:
    doc = _doc(store, artifacts, "pbo")
    if doc is None:
        return None
    out = {"pbo": float(doc["pbo"]), "n_blocks": int(doc["n_blocks"]),
           "n_splits": int(doc["n_splits"]), "artifact_id": artifacts["pbo"]}
    if "pbo_logits" in artifacts:
        logits = decode_array(store.get_artifact(artifacts["pbo_logits"]))
        logits = logits[np.isfinite(logits)]
        # The range spans 0, so the bar at logit 0 (where PBO counts) is always drawn.
        lo = min(float(logits.min()), 0.0) if logits.size else -1.0
        hi = max(float(logits.max()), 0.0) if logits.size else 1.0
        counts, edges = np.histogram(logits, bins=PBO_BINS,
                                     range=(lo, hi if hi > lo else lo + 1.0))
        out.update({"bins": [float(e) for e in edges], "counts": [int(c) for c in counts],
                    "logits_artifact_id": artifacts["pbo_logits"]})
    return out


def _boundaries(wf: dict[str, Any], n_obs: int) -> list[dict[str, Any]]:
    """Where each walk-forward test fold (or CPCV group) starts, as a returns-matrix row."""
    if wf.get("mode") == "cpcv":
        starts = [(f"group {k + 1}", int(g[0])) for k, g in enumerate(wf.get("groups", []))]
    else:
        starts = [(f"fold {int(f['index']) + 1} test", int(f["test_start"]))
                  for f in wf["folds"]]
    return [{"label": label, "row": row} for label, row in starts if 0 <= row < n_obs]


def _walk_forward(store: Store, artifacts: dict[str, str], n_obs: int,
                  stamps: np.ndarray | None) -> dict[str, Any] | None:
    wf = _doc(store, artifacts, "walk_forward")
    if wf is None or "fold_causality" not in artifacts:
        return None
    att = _doc(store, artifacts, "fold_causality")
    bounds = _boundaries(wf, n_obs)
    if stamps is not None:
        for b in bounds:
            b["timestamp"] = _iso(stamps, b["row"])
    return {"oos_sharpe_annual": _finite(wf.get("oos_sharpe_annual")),
            "fold_causality_valid": bool(att.get("valid")), "n_folds": len(wf["folds"]),
            "chosen": [int(c) for c in wf["chosen"]], "artifact_id": artifacts["walk_forward"],
            "attestation_id": artifacts["fold_causality"], "boundaries": bounds}


def _axis_order(value: Any) -> tuple:
    """Sort key of a grid value: numbers by value before anything else, the rest by their
    canonical JSON text (code points: the same order on every machine and locale)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, json.dumps(value, sort_keys=True))


def _grid(store: Store, run_key: str, n_trials: int) -> dict[str, Any] | None:
    """Every trial's annualized Sharpe on the two parameters the grid varies, or None when it
    varies another number of them or has more than GRID_MAX_TRIALS trials."""
    if n_trials > GRID_MAX_TRIALS:
        return None
    rows = [(r["trial_index"], json.loads(r["params_json"]), _finite(r["sharpe_annual"]))
            for r in store.all("trials.grid", (run_key,))]
    seen: dict[str, dict[str, Any]] = {}
    for _, params, _ in rows:
        for name, value in params.items():
            seen.setdefault(name, {}).setdefault(json.dumps(value, sort_keys=True), value)
    varying = [name for name, values in seen.items() if len(values) > 1]
    if len(varying) != 2:
        return None
    x_name, y_name = varying
    xs = sorted(seen[x_name].values(), key=_axis_order)
    ys = sorted(seen[y_name].values(), key=_axis_order)
    col = {json.dumps(v, sort_keys=True): i for i, v in enumerate(xs)}
    row = {json.dumps(v, sort_keys=True): i for i, v in enumerate(ys)}
    sharpe: list[list[float | None]] = [[None] * len(xs) for _ in ys]
    trial: list[list[int | None]] = [[None] * len(xs) for _ in ys]
    for index, params, value in rows:
        if x_name not in params or y_name not in params:
            continue
        i = row[json.dumps(params[y_name], sort_keys=True)]
        j = col[json.dumps(params[x_name], sort_keys=True)]
        if trial[i][j] is None:  # the lowest trial index of a repeated point
            sharpe[i][j], trial[i][j] = value, index
    return {"x": {"name": x_name, "values": xs}, "y": {"name": y_name, "values": ys},
            "sharpe_annual": sharpe, "trial_index": trial}


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
    stepm = _doc(store, artifacts, "stepm")
    n_trials = store.one("trials.count", (run["run_key"],))["n"]
    config = json.loads(run["config_json"])
    stamps = row_timestamps(store, run["dataset_id_v2"], config.get("data", {}).get("asset"),
                            int(R.shape[0]))
    grid = _grid(store, run["run_key"], n_trials)
    equity = {"definition": EQUITY_DEFINITION, "n_obs": int(R.shape[0]),
              "index": [int(i) for i in index], "curves": curves}
    if stamps is not None:
        equity.update({"timestamps": [_iso(stamps, int(i)) for i in index],
                       "timestamp_definition": TIMESTAMP_DEFINITION})
    return {
        "qrp_mime_version": MIME_VERSION, "mime": MIME_RUN,
        "run_key": run["run_key"], "run_instance_id": instance_id,
        "dataset_id_v2": run["dataset_id_v2"],
        "run": {"name": run["name"], "family": run["family"],
                "engine_version": run["engine_version"], "code_hash": run["code_hash"],
                "seq": inst["seq"], "purpose": inst["purpose"], "replay_of": inst["replay_of"],
                "started_at": inst["started_at"], "actor": inst["actor"]},
        "artifacts": dict(sorted(artifacts.items())),
        "config": config,
        "summary": result.get("summary", {}),
        "n_trials": n_trials,
        "trials": trials,
        "equity": equity,
        "nulls": _nulls(store, artifacts),
        "pbo": _pbo(store, artifacts),
        "stepm": None if stepm is None else {"superior": [int(j) for j in stepm["superior"]],
                                             "size": float(stepm["size"]),
                                             "artifact_id": artifacts["stepm"]},
        "walk_forward": _walk_forward(store, artifacts, int(R.shape[0]), stamps),
        "eligibility": preview_eligibility(store, instance_id, level="candidate"),
        **({} if grid is None else {"grid": grid}),
    }
