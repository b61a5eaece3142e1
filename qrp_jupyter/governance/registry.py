"""The trial registry: every distinct trial a deflated Sharpe ratio must count.

The deflated Sharpe ratio (Bailey and Lopez de Prado 2014) corrects a trial's Sharpe for the
number of trials N tried before it and for the variance of their Sharpes. Which trials count is
the whole question, and a label cannot answer it: research split over runs and renamed families
is still one search. So the registry of a candidate trial is every trial recorded in the store
that

- trades the same market (for a panel strategy: the same set of markets): the same asset name,
  or, whatever the name, a series whose returns on the common bars move with the candidate's
  (absolute correlation at least :data:`SAME_MARKET_CORRELATION` over at least
  :data:`MIN_COMMON_BARS` common bars), so renaming an asset, rescaling or inverting its prices
  does not open a fresh registry either,
- on bars of the same interval (per-period Sharpes of 1h and 1d bars are not comparable and
  are never pooled),
- over data whose span overlaps the candidate's (a search on the same history),

whatever family label, run name, walk-forward or null-test settings it was recorded under. Two
trials are the same trial when the strategy (built-in kind, or the hash of the user's code), its
parameters, the data (``dataset_id_v2``), the costs, the long-only flag, the overlay and the
bars per year agree: the same trial recorded again (say with more bootstrap replicates) counts
once. The family label is kept for people: the report lists the runs and the labels that
contributed.

What it does not see: a market moved to other timestamps (no common bars) or a series made up
to resemble none of the recorded ones; the datasets and their provenance are in the store for a
reviewer to question.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _detmath as D
from .._detmath import variance
from ..identity import hash_payload
from ..store import Store

__all__ = ["TrialRegistry", "trial_registry", "trial_identity", "registry_scope",
           "same_market", "SAME_MARKET_CORRELATION", "MIN_COMMON_BARS"]

#: Two series of differently named assets are one market when their returns on common bars
#: have at least this absolute correlation (BTC and ETH hourly: about 0.8, so not pooled).
SAME_MARKET_CORRELATION = 0.95
#: ... over at least this many common bars.
MIN_COMMON_BARS = 100


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


def same_market(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> bool:
    """Whether two (timestamps, closes) series are one market under another name: their simple
    returns between consecutive common bars have absolute correlation of at least
    :data:`SAME_MARKET_CORRELATION` over at least :data:`MIN_COMMON_BARS` bars (sums in a fixed
    order, so the answer is the same on every CPU)."""
    common, ia, ib = np.intersect1d(a[0], b[0], assume_unique=True, return_indices=True)
    if common.shape[0] < MIN_COMMON_BARS + 1:
        return False
    ca, cb = a[1][ia], b[1][ib]
    ra, rb = ca[1:] / ca[:-1] - 1.0, cb[1:] / cb[:-1] - 1.0
    da, db = ra - D.mean(ra), rb - D.mean(rb)
    vaa, vbb = D.dot(da, da), D.dot(db, db)
    if not (vaa > 0.0 and vbb > 0.0):
        return False
    return abs(D.dot(da, db)) >= SAME_MARKET_CORRELATION * math.sqrt(vaa * vbb)


class _Markets:
    """Series of the datasets in a store, loaded once each, for :func:`same_market`."""

    def __init__(self, store: Store):
        self._store = store
        self._cache: dict[str, Any] = {}

    def series(self, dataset_id: str, asset: str) -> tuple[np.ndarray, np.ndarray]:
        from ..runs.datasets import load_dataset
        if dataset_id not in self._cache:
            self._cache[dataset_id] = load_dataset(self._store, dataset_id)
        ds = self._cache[dataset_id]
        return ds.timestamps(asset), ds.close(asset)

    def match(self, a: tuple[str, tuple[str, ...]], b: tuple[str, tuple[str, ...]]) -> bool:
        """Whether the assets ``a[1]`` of dataset ``a[0]`` are, one for one, the markets
        ``b[1]`` of dataset ``b[0]`` (by name, else by :func:`same_market`)."""
        if len(a[1]) != len(b[1]) or None in a[1] or None in b[1]:
            return a[1] == b[1]
        left = list(b[1])
        for name in a[1]:
            hit = next((x for x in left if x == name), None)
            if hit is None:
                mine = self.series(a[0], name)
                hit = next((x for x in left if same_market(mine, self.series(b[0], x))), None)
            if hit is None:
                return False
            left.remove(hit)
        return True


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
    home = next(r["dataset_id_v2"] for r in rows if r["run_key"] == run_key)
    markets = _Markets(store)
    same: dict[tuple[str, tuple[str, ...]], bool] = {}
    seen: dict[str, float | None] = {}
    per_run: dict[str, dict[str, Any]] = {}
    n_recorded = 0
    for r in rows:
        cfg, (r_assets, r_interval, r_first, r_last) = configs[r["run_key"]]
        if r_interval != interval or not _overlaps(first, last, r_first, r_last):
            continue
        if r_assets != assets:
            key = (r["dataset_id_v2"], r_assets)
            if key not in same:
                same[key] = markets.match((home, assets), key)
            if not same[key]:
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
