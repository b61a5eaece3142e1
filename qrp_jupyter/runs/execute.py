"""Executing a run config: validate, compute, then record everything in one transaction.

The three stages are separate on purpose. :func:`prepare_run` resolves and validates every input
(config, dataset, user code, grid) and computes the ``run_key`` without writing anything;
:func:`compute_run` is pure computation from those inputs (it is also what replay calls, from
the database alone); :func:`record_run` writes the run, its trials, artifacts, lineage rows and
edges inside one ``BEGIN IMMEDIATE`` transaction, so a failure or a kill leaves no partial run.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .. import engine, stats
from ..config import RunConfig, parse_config
from ..data import Dataset
from ..errors import ConfigError
from ..identity import (SeedRecord, canonical_bytes, canonical_json, current_actor, now_iso,
                        run_instance_id, run_key_payload, sha256_hex, to_plain)
from ..store import (MEDIA_ARRAY, MEDIA_JSON, MEDIA_TEXT, Store, encode_array, encode_json,
                     research)
from ..limits import resolve_budget
from ..store.codec import encode_array_buffer
from .budget import check_run_budget, count_grid_points
from .datasets import load_dataset
from .usercode import UserCode, function_from_source, user_code

__all__ = ["PreparedRun", "ComputedRun", "RunOutcome", "UserCode", "prepare_run", "compute_run",
           "record_run", "execute_run", "function_from_source", "OUTPUT_KINDS"]

#: Output artifact kinds of every run instance; replay compares exactly these.
OUTPUT_KINDS = ("returns_matrix", "metrics_table", "causality_probe", "walk_forward",
                "oos_returns", "fold_causality", "null_distribution", "reality_check", "spa",
                "spa_null_distribution", "stepm", "pbo", "pbo_logits", "permutation",
                "permutation_null_distribution", "seed_records")


@dataclass
class PreparedRun:
    """Everything a run needs, validated; nothing written yet."""

    config: RunConfig
    dataset: Dataset
    asset: str | None
    periods_per_year: float
    points: list[dict[str, Any]]
    code: UserCode | None
    identity: dict[str, Any]
    run_key: str
    #: Grid combinations the family's constraint removed (e.g. fast >= slow); reported.
    n_dropped: int = 0
    #: The universe of a panel (cross-sectional) strategy, in the config's order.
    assets: list[str] | None = None
    overlay: dict[str, Any] | None = None

    def closes(self) -> np.ndarray:
        """(T,) closes of the traded asset, or (T, n) closes of a panel's assets."""
        if self.assets is None:
            return self.dataset.close(self.asset)
        return np.column_stack([self.dataset.close(a) for a in self.assets])

    @property
    def run_key_payload(self) -> dict[str, Any]:
        return run_key_payload(self.identity, dataset_id_v2=self.dataset.dataset_id_v2,
                               code_hash=self.code.code_hash if self.code else None,
                               engine_version=engine.ENGINE_VERSION)


@dataclass
class ComputedRun:
    """The results of a run as canonical artifact bytes, plus the rows derived from them."""

    artifacts: dict[str, tuple[bytes, str]]          # kind -> (bytes, media type)
    edges: list[tuple[str, str, str]]                # (child kind, parent kind, relation)
    trials: list[dict[str, Any]]
    summary: dict[str, Any]

    def artifact_ids(self) -> dict[str, str]:
        return {k: sha256_hex(b) for k, (b, _) in self.artifacts.items()}


@dataclass
class RunOutcome:
    run_key: str
    run_instance_id: str
    seq: int
    purpose: str
    dataset_id_v2: str
    artifacts: dict[str, str]
    summary: dict[str, Any]
    new_run: bool
    replay_of: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"run_key": self.run_key, "run_instance_id": self.run_instance_id,
                "seq": self.seq, "purpose": self.purpose, "dataset_id_v2": self.dataset_id_v2,
                "artifacts": self.artifacts, "summary": self.summary, "new_run": self.new_run,
                "replay_of": self.replay_of, **self.extra}


# ---------------------------------------------------------------------------------------------
# prepare
# ---------------------------------------------------------------------------------------------

def _expand_user_grid(grid: dict[str, list[Any]], *, where: str) -> list[dict[str, Any]]:
    """Cartesian product for a user function's grid: keys in sorted order, values as given.

    A user function declares no parameter types, so values keep the type written in the
    config (``5`` stays an int, ``5.0`` a float) and reach the function unchanged.
    """
    keys = sorted(grid)
    for k in keys:
        seen = [canonical_json(v) for v in grid[k]]
        if len(set(seen)) != len(seen):
            raise ConfigError(f"grid list strategy.grid.{k} repeats a value: {grid[k]!r}",
                              where=where, fix="list each value once")
    return [dict(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]


def _pick_panel(cfg: RunConfig, dataset: Dataset) -> list[str]:
    """A panel strategy's universe: every asset, or the config's list; timestamps must agree."""
    if cfg.values["data"]["asset"] is not None:
        raise ConfigError(f"strategy kind {cfg.values['strategy']['kind']!r} trades a panel, "
                          "not one asset", where=cfg.where("data.asset"),
                          fix="replace `asset` with `assets = [...]`, or drop it to use all")
    assets = cfg.values["data"]["assets"] or list(dataset.assets)
    missing = [a for a in assets if a not in dataset.assets]
    if missing:
        raise ConfigError(f"assets {missing} are not in the dataset", where=cfg.where(
            "data.assets"), fix=f"use names from: {', '.join(dataset.assets)}")
    if len(assets) < 2:
        raise ConfigError(f"a panel strategy needs at least 2 assets, got {assets}",
                          where=cfg.where("data.assets"),
                          fix="register a multi-asset dataset or list more assets")
    first = dataset.timestamps(assets[0])
    for a in assets[1:]:
        ts = dataset.timestamps(a)
        if len(ts) != len(first) or not np.array_equal(ts, first):
            raise ConfigError(f"panel assets {assets[0]!r} and {a!r} do not share timestamps",
                              where=cfg.where("data.assets"),
                              fix="align the panel first (same bars for every asset)")
    return list(assets)


def _pick_asset(cfg: RunConfig, dataset: Dataset) -> str:
    asset = cfg.values["data"]["asset"]
    if asset is None:
        if len(dataset.assets) != 1:
            raise ConfigError(
                f"dataset has {len(dataset.assets)} assets ({', '.join(dataset.assets)}) and the "
                "config does not say which to trade", where=cfg.where("data.asset"),
                fix=f"add `asset = \"{dataset.assets[0]}\"` under [data]")
        return dataset.assets[0]
    if asset not in dataset.assets:
        raise ConfigError(f"asset {asset!r} is not in the dataset", where=cfg.where("data.asset"),
                          fix=f"use one of: {', '.join(dataset.assets)}")
    return asset


def prepare_run(store: Store, config: RunConfig | str, *, source: str = "<config>",
                namespace: dict[str, Any] | None = None, base_dir: Path | None = None,
                line_offset: int = 0, dataset: Dataset | None = None,
                code: UserCode | None = None, memory_budget: Any = None) -> PreparedRun:
    """Validate every input and compute the ``run_key``. Writes nothing.

    Before the grid is expanded, the run's peak memory is estimated from the config and the
    data's shape and checked against ``memory_budget`` (see :mod:`qrp_jupyter.limits`):
    :class:`~qrp_jupyter.errors.BudgetExceeded` when it cannot fit.
    """
    cfg = config if isinstance(config, RunConfig) else parse_config(
        config, source=source, line_offset=line_offset)
    resolve_budget(memory_budget)  # a bad budget (argument or QRP_MEMORY_BUDGET) fails first
    # Everything the config alone decides is checked before the data is read.
    s = cfg.values["strategy"]
    try:
        overlay = engine.validate_overlay(s["overlay"], where="strategy.overlay")
    except ConfigError as exc:
        raise ConfigError(exc.what, where=cfg.where(exc.where or "strategy.overlay"),
                          fix=exc.fix) from None
    if s["kind"] == "user":
        code = code or user_code(cfg, namespace, base_dir)
    else:  # every grid value is checked here; only their product waits for the budget
        try:
            engine.grid_axes(s["kind"], s["grid"], where="strategy.grid")
        except ConfigError as exc:
            raise ConfigError(exc.what, where=cfg.where(exc.where or "strategy.grid"),
                              fix=exc.fix) from None
    # The grid is counted without expanding it; a grid that cannot be counted is malformed
    # and its expansion names the key, still before the data is read.
    n_points = count_grid_points(s["kind"], s["grid"])
    expanded = None if n_points is not None else _expand(cfg, s)
    if dataset is None:
        dataset = load_dataset(store, cfg.dataset_ref, where=cfg.where("data.dataset"))
    panel = s["kind"] != "user" and engine.get_family(s["kind"]).panel
    asset, assets = (None, _pick_panel(cfg, dataset)) if panel else (_pick_asset(cfg, dataset),
                                                                     None)
    ppy = cfg.values["data"]["periods_per_year"] or dataset.periods_per_year
    if n_points is not None:  # the budget is checked before the grid is expanded
        n_bars = len(dataset.timestamps(assets[0] if assets else asset))
        check_run_budget(cfg.values, n_bars=n_bars, n_points=n_points,
                         n_assets=len(assets) if assets else 1, memory_budget=memory_budget,
                         where=cfg.where("strategy.grid"))
    points, n_dropped = expanded if expanded is not None else _expand(cfg, s)
    identity = cfg.identity(asset=asset, assets=assets, periods_per_year=ppy,
                            grid_points=points, overlay=overlay)
    prep = PreparedRun(config=cfg, dataset=dataset, asset=asset, periods_per_year=float(ppy),
                       points=points, code=code, identity=identity, run_key="",
                       n_dropped=n_dropped, assets=assets, overlay=overlay)
    prep.run_key = sha256_hex(canonical_bytes(prep.run_key_payload))
    _check_walk_forward(prep)
    _check_permutation(prep)
    _check_nulls_fit(prep)
    return prep


def _expand(cfg: RunConfig, s: dict[str, Any]) -> tuple[list[Any], int]:
    """The grid's points and how many the family's constraints dropped."""
    if s["kind"] == "user":
        return _expand_user_grid(s["grid"], where=cfg.where("strategy.grid")), 0
    try:
        expansion = engine.expand_grid(s["kind"], s["grid"], where="strategy.grid")
    except ConfigError as exc:  # the engine names the key; the config knows its line
        raise ConfigError(exc.what, where=cfg.where(exc.where or "strategy.grid"),
                          fix=exc.fix) from None
    return list(expansion.points), expansion.n_dropped


def _check_nulls_fit(prep: PreparedRun) -> None:
    """The constraints of the null tests that need the data's length, checked right after it
    is loaded and before any backtest: bootstrap block sizes and PBO's blocks must fit the
    returns (the tests would refuse them only after the whole grid had run)."""
    n_obs = len(prep.closes()) - 1  # rows of the returns matrix every null test reads
    nulls = prep.identity["nulls"]
    for name in ("reality_check", "spa_stepm"):
        sec = nulls[name]
        if not sec["enabled"]:
            continue
        if n_obs < 2:
            raise ConfigError(f"nulls.{name} needs at least 2 returns, the data has {n_obs}",
                              where=prep.config.where(f"nulls.{name}.enabled"),
                              fix=f"use more bars, or set enabled = false under [nulls.{name}]")
        bs = sec["block_size"]
        if isinstance(bs, int) and bs >= n_obs:  # stats.multiple_testing: block_size < n_obs
            raise ConfigError(f"nulls.{name}.block_size = {bs} is not shorter than the {n_obs} "
                              "returns of the data", where=prep.config.where(
                                  f"nulls.{name}.block_size"),
                              fix="use blocks much shorter than the sample, or \"auto\"")
    pbo = nulls["pbo"]
    if pbo["enabled"]:
        nb = pbo["n_blocks"]
        rows = n_obs // nb
        if rows < 1 or rows * (nb // 2) < 2:
            raise ConfigError(f"nulls.pbo.n_blocks = {nb} CSCV blocks do not fit the {n_obs} "
                              "returns of the data (each half needs at least 2 rows)",
                              where=prep.config.where("nulls.pbo.n_blocks"),
                              fix="use fewer blocks or more bars, or set enabled = false "
                                  "under [nulls.pbo]")


def _folds(prep: PreparedRun, n_rows: int) -> Any:
    """The walk-forward folds (a list of Fold), or the CPCV plan in mode ``"cpcv"``."""
    wf = prep.identity["walk_forward"]
    if wf["mode"] == "cpcv":
        return engine.make_cpcv(n_rows, n_groups=wf["n_folds"], test_groups=wf["test_groups"],
                                purge=wf["purge"], embargo=wf["embargo"],
                                min_train=wf["min_train"])
    return engine.make_folds(n_rows, n_folds=wf["n_folds"], test_size=wf["test_size"],
                             min_train=wf["min_train"], purge=wf["purge"],
                             embargo=wf["embargo"], mode=wf["mode"])


def _check_walk_forward(prep: PreparedRun) -> None:
    """Fail before computing anything when the folds (or CPCV splits) cannot fit the data."""
    if prep.identity["walk_forward"]["enabled"]:
        n = len(prep.closes()) - 1
        try:
            _folds(prep, n)
        except ConfigError as exc:
            key = exc.where if (exc.where or "").startswith("walk_forward.") else "walk_forward"
            raise ConfigError(exc.what, where=prep.config.where(key), fix=exc.fix) from None


def _position_source(prep: PreparedRun, grid: Any, strategy: Any,
                     close: np.ndarray) -> Any:
    """Positions of the trials for one-book pricing of the out-of-sample rows.

    A user strategy's positions are already in memory. A built-in family or a panel builds
    only the trials asked for (the chosen ones): the same kernels on the same inputs, so the
    columns are bit-identical to those the grid's returns came from, without holding the
    (bars x trials) matrix, or (bars x assets x trials) weights, of the whole grid.
    """
    s = prep.identity["strategy"]
    opts = dict(long_only=s["long_only"], overlay=prep.overlay,
                periods_per_year=prep.periods_per_year)

    def pick(trials: np.ndarray) -> list[dict[str, Any]]:
        return [prep.points[int(j)] for j in trials]

    if prep.assets is not None:
        return lambda trials: engine.panel_weights(strategy, close, pick(trials), **opts)
    if prep.code is not None:
        return grid.positions
    return lambda trials: engine.grid_positions(strategy, close, pick(trials), **opts)


def _check_permutation(prep: PreparedRun) -> None:
    """The permutation test shuffles one price path: single-asset strategies only."""
    perm = prep.identity["nulls"].get("permutation")
    if perm is None:
        return
    if prep.assets is not None:
        raise ConfigError("the permutation test shuffles one asset's returns; a panel strategy "
                          "has several", where=prep.config.where("nulls.permutation.enabled"),
                          fix="disable [nulls.permutation] for panel strategies (their nulls "
                              "are the bootstrap tests and PBO)")
    n_returns = len(prep.closes()) - 1
    if perm["block_size"] >= n_returns:
        raise ConfigError(f"block_size = {perm['block_size']} is not below the {n_returns} "
                          "returns of the data", where=prep.config.where(
                              "nulls.permutation.block_size"),
                          fix="use blocks much shorter than the sample, e.g. 1 or 24 bars")


# ---------------------------------------------------------------------------------------------
# compute
# ---------------------------------------------------------------------------------------------

#: Signature of a progress callback: ``progress(stage, done, total)``; ``done`` counts finished
#: stages out of ``total``, ``stage`` names the one that just finished (or ``"start"``).
ProgressCallback = Callable[[str, int, int], None]


def _stages(ident: dict[str, Any]) -> list[str]:
    """The stages :func:`compute_run` goes through for this config, in order."""
    out = ["backtest", "causality_probe"]
    if ident["walk_forward"]["enabled"]:
        out.append("walk_forward")
    out += [k for k in ("reality_check", "spa_stepm", "pbo") if ident["nulls"][k]["enabled"]]
    if "permutation" in ident["nulls"]:  # present only when enabled
        out.append("permutation")
    return out


def compute_run(prep: PreparedRun, *, progress: ProgressCallback | None = None) -> ComputedRun:
    """Pure computation of every output artifact from the prepared inputs.

    ``progress``, when given, is called as ``progress(stage, done, total)`` once before the
    first stage (``"start"``, 0) and after each finished stage; it must not raise.
    """
    ident = prep.identity
    stages = _stages(ident)

    def tick(stage: str) -> None:
        if progress is not None:
            progress(stage, stages.index(stage) + 1, len(stages))

    if progress is not None:
        progress("start", 0, len(stages))
    close = prep.closes()
    if prep.code is not None:
        strategy: Any = function_from_source(prep.code.source, prep.code.entry_point,
                                             where="strategy.function")
    else:
        strategy = ident["strategy"]["kind"]
    costs = ident["costs"]
    # No funding is "no funding term", not a zero term: results stay bit-identical.
    funding = costs["funding_bps_per_period"] or None
    run_grid = engine.backtest_panel if prep.assets is not None else engine.backtest_grid
    grid = run_grid(close, strategy, prep.points, fee_bps=costs["fee_bps"],
                    slippage_bps=costs["slippage_bps"], long_only=ident["strategy"]["long_only"],
                    overlay=prep.overlay, periods_per_year=prep.periods_per_year,
                    funding_bps_per_period=funding)
    R = grid.returns
    metrics = grid.metrics(periods_per_year=prep.periods_per_year)
    tick("backtest")
    n_obs = int(R.shape[0])
    trials = []
    for i, point in enumerate(prep.points):
        row = {k: to_plain(v[i]) for k, v in metrics.items()}
        trials.append({"trial_index": i, "params": point, "n_obs": n_obs, **row})
    metrics_doc = {"kind": "metrics_table", "version": 1, "asset": prep.asset,
                   "assets": prep.assets,
                   "periods_per_year": prep.periods_per_year, "n_obs": n_obs, "trials": trials}

    # The returns matrix is encoded last (see the end): until then only one copy is alive.
    arts: dict[str, tuple[bytes, str]] = {
        "returns_matrix": (b"", MEDIA_ARRAY),
        "metrics_table": (encode_json(metrics_doc), MEDIA_JSON),
    }
    edges = [("returns_matrix", "dataset", "derived_from"),
             ("returns_matrix", "run_key_payload", "derived_from"),
             ("metrics_table", "returns_matrix", "derived_from")]
    if prep.code is not None:
        edges.append(("returns_matrix", "code", "derived_from"))

    probe, probe_record = _causality_probe(prep, close, strategy, n_obs)
    arts["causality_probe"] = (encode_json(probe.to_dict()), MEDIA_JSON)
    edges += [("causality_probe", "returns_matrix", "attests"),
              ("causality_probe", "dataset", "derived_from"),
              ("causality_probe", "seed_records", "seeded_by")]
    if prep.code is not None:
        edges.append(("causality_probe", "code", "derived_from"))
    tick("causality_probe")

    wf_cfg = ident["walk_forward"]
    if wf_cfg["enabled"]:
        # Out-of-sample rows are priced as one book from the chosen trials' positions (entry,
        # a trade at every change of trial, exit), never copied from the trials' own returns.
        cost_bps = costs["fee_bps"] + costs["slippage_bps"]
        positions = _position_source(prep, grid, strategy, close)
        plan = _folds(prep, n_obs)
        priced = dict(objective=wf_cfg["objective"], positions=positions, close=close,
                      cost_bps=cost_bps, funding_bps_per_period=funding)
        wf_doc: dict[str, Any] = {"kind": "walk_forward", "version": 2, "mode": wf_cfg["mode"],
                                  "objective": wf_cfg["objective"], "pricing": "one_book"}
        if wf_cfg["mode"] == "cpcv":
            wfr: Any = engine.cpcv(R, plan, **priced)
            path_sr = [float(x) for x in wfr.path_sharpe]
            wf_doc.update({
                "groups": [list(g) for g in plan.groups], "n_groups": len(plan.groups),
                "test_groups": plan.test_groups, "n_paths": plan.n_paths,
                "splits": [{"split": sp.index, "test_groups": list(sp.groups),
                            "test": [list(r) for r in sp.test],
                            "train": [list(r) for r in sp.train], "chosen": int(c)}
                           for sp, c in zip(plan.splits, wfr.chosen)],
                "paths": [{"path": p, "splits": [int(x) for x in plan.paths[p]],
                           "chosen": [int(x) for x in wfr.path_chosen[p]],
                           "oos_sharpe": sr if math.isfinite(sr) else None}
                          for p, sr in enumerate(path_sr)],
                "oos_sharpe_definition": "mean over the paths of each path's per-period Sharpe",
            })
        else:
            wfr = engine.walk_forward(R, plan, **priced)
            wf_doc["oos_sharpe_definition"] = "per-period Sharpe of the out-of-sample series"
        oos_bytes = encode_array(wfr.oos_returns)
        oos_sr = float(wfr.oos_sharpe)
        wf_doc.update({
            "chosen": [int(c) for c in wfr.chosen],
            "folds": [to_plain(f.__dict__) for f in wfr.folds],
            "oos_rows": int(wfr.oos_returns.shape[0]),
            "oos_sharpe": oos_sr if math.isfinite(oos_sr) else None,
            "oos_sharpe_annual": (oos_sr * math.sqrt(prep.periods_per_year)
                                  if math.isfinite(oos_sr) else None),
            "oos_returns": sha256_hex(oos_bytes),
        })
        arts["oos_returns"] = (oos_bytes, MEDIA_ARRAY)
        arts["walk_forward"] = (encode_json(wf_doc), MEDIA_JSON)
        arts["fold_causality"] = (encode_json(wfr.attestation), MEDIA_JSON)
        edges += [("oos_returns", "returns_matrix", "derived_from"),
                  ("walk_forward", "oos_returns", "summarizes"),
                  ("fold_causality", "walk_forward", "attests")]
        tick("walk_forward")

    seeds = []
    nulls = ident["nulls"]
    rc_cfg = nulls["reality_check"]
    if rc_cfg["enabled"]:
        record = SeedRecord(prep.run_key, "reality_check",
                            {"reps": rc_cfg["reps"], "block_size": rc_cfg["block_size"],
                             "studentize": rc_cfg["studentize"]})
        seeds.append(record.to_dict())
        rc = stats.reality_check(R, reps=rc_cfg["reps"], block_size=_block(rc_cfg),
                                 studentize=rc_cfg["studentize"], seed=record)
        null_bytes = encode_array(rc.null_distribution)
        arts["null_distribution"] = (null_bytes, MEDIA_ARRAY)
        arts["reality_check"] = (encode_json({**rc.to_dict(),
                                              "null_distribution": sha256_hex(null_bytes)}),
                                 MEDIA_JSON)
        edges += [("null_distribution", "returns_matrix", "derived_from"),
                  ("null_distribution", "seed_records", "seeded_by"),
                  ("reality_check", "null_distribution", "summarizes")]
        tick("reality_check")
    sp_cfg = nulls["spa_stepm"]
    if sp_cfg["enabled"]:
        record = SeedRecord(prep.run_key, "spa_stepm",
                            {k: sp_cfg[k] for k in ("reps", "block_size", "studentize", "size")})
        seeds.append(record.to_dict())
        spa_res, stepm_res = stats.spa_stepm(R, size=sp_cfg["size"], reps=sp_cfg["reps"],
                                             block_size=_block(sp_cfg),
                                             studentize=sp_cfg["studentize"], seed=record)
        spa_null = encode_array(spa_res.null_distribution)
        arts["spa_null_distribution"] = (spa_null, MEDIA_ARRAY)
        arts["spa"] = (encode_json({**spa_res.to_dict(),
                                    "null_distribution": sha256_hex(spa_null)}), MEDIA_JSON)
        arts["stepm"] = (encode_json(stepm_res.to_dict()), MEDIA_JSON)
        edges += [("spa_null_distribution", "returns_matrix", "derived_from"),
                  ("spa_null_distribution", "seed_records", "seeded_by"),
                  ("spa", "spa_null_distribution", "summarizes"),
                  ("stepm", "returns_matrix", "derived_from"),
                  ("stepm", "seed_records", "seeded_by")]
        tick("spa_stepm")
    pbo_cfg = nulls["pbo"]
    if pbo_cfg["enabled"]:
        pbo_res = stats.pbo_cscv(R, n_blocks=pbo_cfg["n_blocks"])
        logits = encode_array(pbo_res.logits)
        arts["pbo_logits"] = (logits, MEDIA_ARRAY)
        arts["pbo"] = (encode_json({**pbo_res.to_dict(), "logits": sha256_hex(logits)}),
                       MEDIA_JSON)
        edges += [("pbo_logits", "returns_matrix", "derived_from"),
                  ("pbo", "pbo_logits", "summarizes")]
        tick("pbo")
    perm_cfg = nulls.get("permutation")  # present only when enabled
    if perm_cfg is not None:
        params = {k: perm_cfg[k] for k in ("reps", "block_size", "statistic")}
        record = SeedRecord(prep.run_key, "permutation", params)
        seeds.append(record.to_dict())
        perm = stats.permutation_test(
            close, strategy, prep.points, fee_bps=costs["fee_bps"],
            slippage_bps=costs["slippage_bps"], long_only=ident["strategy"]["long_only"],
            overlay=prep.overlay, periods_per_year=prep.periods_per_year,
            funding_bps_per_period=funding, seed=record, **params)
        perm_null = encode_array(perm.null_distribution)
        arts["permutation_null_distribution"] = (perm_null, MEDIA_ARRAY)
        arts["permutation"] = (encode_json({**perm.to_dict(),
                                            "null_distribution": sha256_hex(perm_null)}),
                               MEDIA_JSON)
        edges += [("permutation_null_distribution", "dataset", "derived_from"),
                  ("permutation_null_distribution", "run_key_payload", "derived_from"),
                  ("permutation_null_distribution", "seed_records", "seeded_by"),
                  ("permutation", "permutation_null_distribution", "summarizes")]
        if prep.code is not None:
            edges.append(("permutation_null_distribution", "code", "derived_from"))
        tick("permutation")
    # Encode the returns matrix into its buffer, drop every reference to the matrix, then take
    # the bytes: two copies at most, never the matrix, its canonical copy and the bytes at once.
    buf = encode_array_buffer(R)
    del R, grid
    if wf_cfg["enabled"]:
        del positions, priced
    arts["returns_matrix"] = (bytes(buf), MEDIA_ARRAY)
    del buf
    seeds.append(probe_record.to_dict())  # last: the nulls' records keep their places
    arts["seed_records"] = (encode_json({"kind": "seed_records", "records": seeds}), MEDIA_JSON)

    sharpe = np.asarray(metrics["sharpe"], dtype=float)
    best = int(np.nanargmax(sharpe)) if np.isfinite(sharpe).any() else 0
    wf_doc_summary = (
        {"oos_sharpe_annual": _json_of(arts["walk_forward"][0])["oos_sharpe_annual"],
         "fold_causality_valid": bool(_json_of(arts["fold_causality"][0])["valid"])}
        if "walk_forward" in arts else {})
    summary = {
        "n_trials": len(prep.points), "n_dropped": prep.n_dropped, "n_obs": n_obs,
        "best_trial": best,
        "best_params": prep.points[best],
        "best_sharpe_annual": to_plain(metrics["sharpe_annual"][best]),
        "reality_check_pvalue": (_json_of(arts["reality_check"][0])["pvalue"]
                                 if "reality_check" in arts else None),
        "spa_pvalue": _json_of(arts["spa"][0])["pvalue"] if "spa" in arts else None,
        "stepm_superior": _json_of(arts["stepm"][0])["superior"] if "stepm" in arts else None,
        "pbo": _json_of(arts["pbo"][0])["pbo"] if "pbo" in arts else None,
        **({"permutation_pvalue": _json_of(arts["permutation"][0])["pvalue"]}
           if "permutation" in arts else {}),
        "causality_probe_valid": probe.valid,
        **wf_doc_summary,
    }
    return ComputedRun(artifacts=arts, edges=edges, trials=trials, summary=summary)


def _causality_probe(prep: PreparedRun, close: np.ndarray, strategy: Any, n_obs: int
                     ) -> tuple[engine.CausalityProbe, SeedRecord]:
    """The causality probe of every trial, cut at the walk-forward boundaries (when folds are
    enabled: ``fold_boundary_bars`` turns their return rows into bars of ``close``) and at
    random bars drawn from the run_key."""
    folds = _folds(prep, n_obs) if prep.identity["walk_forward"]["enabled"] else []
    bounds = engine.fold_boundary_bars(folds)
    n_random = engine.random_cut_count(len(prep.points), user_function=prep.code is not None,
                                       n_fold_boundaries=len(bounds))
    cuts = engine.probe_cut_points(len(close), run_key=prep.run_key, fold_boundaries=bounds,
                                   n_random=n_random)
    probe = engine.causality_probe(close, strategy, prep.points, cuts=cuts,
                                   long_only=prep.identity["strategy"]["long_only"])
    assert cuts.seed_record is not None
    return probe, cuts.seed_record


def _block(section: dict[str, Any]) -> int | None:
    """A config's block size: ``None`` asks for the Politis-White choice."""
    return None if section["block_size"] == "auto" else int(section["block_size"])


def _json_of(b: bytes) -> Any:
    return json.loads(b)


# ---------------------------------------------------------------------------------------------
# record
# ---------------------------------------------------------------------------------------------

def _input_artifacts(store: Store, prep: PreparedRun) -> dict[str, str]:
    ids = {"dataset": prep.dataset.dataset_id_v2,
           "run_key_payload": store.put_artifact(canonical_bytes(prep.run_key_payload),
                                                 MEDIA_JSON)}
    if prep.code is not None:
        ids["code"] = store.put_artifact(prep.code.source.encode("utf-8"), MEDIA_TEXT)
    return ids


def record_run(store: Store, prep: PreparedRun, computed: ComputedRun, *,
               purpose: str = "run", replay_of: str | None = None,
               extra_outputs: dict[str, tuple[bytes, str]] | None = None,
               extra_edges: list[tuple[str, str, str]] | None = None,
               actor: str | None = None) -> RunOutcome:
    """Write one run instance (and the run and trials, the first time) atomically."""
    actor = actor or current_actor()
    outputs = dict(computed.artifacts)
    outputs.update(extra_outputs or {})
    started = now_iso()
    with store.transaction():
        if not store.exists("datasets", "dataset_id_v2", prep.dataset.dataset_id_v2):
            raise ConfigError("the run's dataset is not registered in this store",
                              where=prep.config.where("data.dataset"),
                              fix="register it first (qrp data add / register_dataset)")
        inputs = _input_artifacts(store, prep)
        ids = {kind: store.put_artifact(b, media) for kind, (b, media) in outputs.items()}
        assert inputs["run_key_payload"] == prep.run_key
        new_run = not store.exists("runs", "run_key", prep.run_key)
        if new_run:
            research.insert_run(
                store,
                (prep.run_key, prep.config.name, prep.identity["family"],
                 prep.dataset.dataset_id_v2, canonical_json(prep.identity),
                 prep.code.code_hash if prep.code else None,
                 prep.code.source if prep.code else None,
                 prep.code.entry_point if prep.code else None, engine.ENGINE_VERSION,
                 prep.run_key_payload["identity_schema_version"], started),
                [(prep.run_key, t["trial_index"], canonical_json(t["params"]), t.get("sharpe"),
                  t.get("sharpe_annual"), t.get("total_return"), t.get("max_drawdown"),
                  t.get("turnover"), t.get("n_trades"), t["n_obs"], canonical_json(t))
                 for t in computed.trials])
        seq = research.next_instance_seq(store, prep.run_key)
        inst = run_instance_id(prep.run_key, started_at=started, seq=seq)
        result = {"artifacts": ids, "summary": computed.summary}
        research.insert_instance(
            store,
            (inst, prep.run_key, seq, purpose, replay_of, started, now_iso(), actor,
             canonical_json(to_plain(result))))
        rows = [(aid, inst, "input", kind, started) for kind, aid in inputs.items()]
        rows += [(aid, inst, "output", kind, started) for kind, aid in ids.items()]
        research.add_instance_lineage(store, rows)
        every = {**inputs, **ids}
        research.add_edges(store, [(every[ch], every[pa], rel, started)
                                   for ch, pa, rel in computed.edges + (extra_edges or [])
                                   if ch in every and pa in every and every[ch] != every[pa]])
    return RunOutcome(run_key=prep.run_key, run_instance_id=inst, seq=seq, purpose=purpose,
                      dataset_id_v2=prep.dataset.dataset_id_v2, artifacts={**inputs, **ids},
                      summary=computed.summary, new_run=new_run, replay_of=replay_of)


def execute_run(store: Store, config: RunConfig | str, *, source: str = "<config>",
                namespace: dict[str, Any] | None = None, base_dir: Path | None = None,
                line_offset: int = 0, progress: ProgressCallback | None = None,
                memory_budget: Any = None) -> RunOutcome:
    """Validate, compute and record one run instance of ``config``.

    ``progress`` is passed to :func:`compute_run`; ``memory_budget`` to :func:`prepare_run`.
    """
    prep = prepare_run(store, config, source=source, namespace=namespace, base_dir=base_dir,
                       line_offset=line_offset, memory_budget=memory_budget)
    return record_run(store, prep, compute_run(prep, progress=progress))
