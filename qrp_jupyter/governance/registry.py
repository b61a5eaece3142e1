"""The trial registry: every distinct trial a deflated Sharpe ratio must count.

The deflated Sharpe ratio (Bailey and Lopez de Prado 2014) corrects a trial's Sharpe for the
number of trials N tried before it and for the variance of their Sharpes. Which trials count is
the whole question, and a label cannot answer it: research split over runs and renamed families
is still one search. So the registry of a candidate trial is every trial recorded in the store
that

- trades the same asset (for a panel strategy: the same set of assets),
- on bars of the same interval (per-period Sharpes of 1h and 1d bars are not comparable and
  are never pooled),
- over data whose span overlaps the candidate's (a search on the same history),

whatever family label, run name, walk-forward or null-test settings it was recorded under. Two
trials are the same trial when the strategy (built-in kind, or the hash of the user's code), its
parameters, the data (``dataset_id_v2``), the costs, the long-only flag, the overlay and the
bars per year agree: the same trial recorded again (say with more bootstrap replicates) counts
once. The family label is kept for people: the report lists the runs and the labels that
contributed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._detmath import variance
from ..identity import hash_payload
from ..store import Store

__all__ = ["TrialRegistry", "trial_registry", "trial_identity", "registry_scope"]


def registry_scope(config: dict[str, Any], dataset_summary: dict[str, Any]
                   ) -> tuple[tuple[str, ...], int | None, str | None, str | None]:
    """(traded assets, bar interval in ns, first bar, last bar) of a run's trials."""
    data = config.get("data", {})
    assets = tuple(sorted(data["assets"])) if data.get("assets") else (data.get("asset"),)
    per_asset = dataset_summary.get("per_asset", {})
    spans = [per_asset[a] for a in assets if a in per_asset]
    first = min((s["first"] for s in spans), default=None)
    last = max((s["last"] for s in spans), default=None)
    return assets, dataset_summary.get("interval_ns"), first, last


def trial_identity(config: dict[str, Any], *, params: Any, dataset_id_v2: str,
                   code_hash: str | None) -> str:
    """The hash that makes two recorded trials the same trial (module docstring)."""
    strategy = config.get("strategy", {})
    data = config.get("data", {})
    return hash_payload({
        "kind": strategy.get("kind"), "code_hash": code_hash, "params": params,
        "long_only": strategy.get("long_only"), "overlay": strategy.get("overlay"),
        "costs": config.get("costs"), "dataset_id_v2": dataset_id_v2,
        "asset": data.get("asset"), "assets": data.get("assets"),
        "periods_per_year": data.get("periods_per_year"),
    })


@dataclass(frozen=True)
class TrialRegistry:
    """The distinct trials that deflate one candidate trial's Sharpe ratio.

    ``sharpes`` are per-period Sharpe ratios in the order of their trial identities (so the
    same set of trials gives the same variance to the last bit, whichever runs recorded it);
    trials whose Sharpe is undefined (flat) are counted in ``n_recorded`` but carry no Sharpe.
    """

    assets: tuple[str, ...]
    interval_ns: int | None
    first: str | None
    last: str | None
    identities: tuple[str, ...]
    sharpes: np.ndarray
    n_recorded: int
    runs: tuple[dict[str, Any], ...]

    @property
    def n_trials(self) -> int:
        return int(self.sharpes.shape[0])

    @property
    def sr_variance(self) -> float:
        return float(variance(self.sharpes, ddof=1)) if self.n_trials > 1 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "assets": list(self.assets), "interval_ns": self.interval_ns,
            "span": [self.first, self.last], "n_distinct_trials": self.n_trials,
            "n_recorded_trials": self.n_recorded,
            "families": sorted({r["family"] for r in self.runs}),
            "runs": list(self.runs),
            "digest": hash_payload(list(self.identities)),
        }


def _overlaps(a_first: str | None, a_last: str | None, b_first: str | None,
              b_last: str | None) -> bool:
    if a_first is None or a_last is None or b_first is None or b_last is None:
        return False
    # ISO-8601 UTC timestamps of one fixed format: string order is time order.
    return a_first <= b_last and b_first <= a_last


def trial_registry(store: Store, run_key: str) -> TrialRegistry:
    """The registry of the trials of run ``run_key`` (the same for each of its trials)."""
    rows = store.all("trials.registry")
    configs: dict[str, tuple[dict[str, Any], tuple[Any, ...]]] = {}
    for r in rows:
        if r["run_key"] not in configs:
            cfg = json.loads(r["config_json"])
            configs[r["run_key"]] = (cfg, registry_scope(cfg, json.loads(r["summary_json"])))
    if run_key not in configs:
        raise KeyError(run_key)
    assets, interval, first, last = configs[run_key][1]
    seen: dict[str, float | None] = {}
    per_run: dict[str, dict[str, Any]] = {}
    n_recorded = 0
    for r in rows:
        cfg, (r_assets, r_interval, r_first, r_last) = configs[r["run_key"]]
        if r_assets != assets or r_interval != interval or \
                not _overlaps(first, last, r_first, r_last):
            continue
        n_recorded += 1
        ident = trial_identity(cfg, params=json.loads(r["params_json"]),
                               dataset_id_v2=r["dataset_id_v2"], code_hash=r["code_hash"])
        run = per_run.setdefault(r["run_key"], {"run_key": r["run_key"], "family": r["family"],
                                                "dataset_id_v2": r["dataset_id_v2"],
                                                "n_trials": 0, "n_new_trials": 0})
        run["n_trials"] += 1
        if ident not in seen:
            seen[ident] = r["sharpe"]
            run["n_new_trials"] += 1
    idents = tuple(sorted(i for i, sr in seen.items() if sr is not None))
    return TrialRegistry(assets=assets, interval_ns=interval, first=first, last=last,
                         identities=idents,
                         sharpes=np.array([seen[i] for i in idents], dtype=np.float64),
                         n_recorded=n_recorded, runs=tuple(per_run.values()))
