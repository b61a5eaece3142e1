"""False-acceptance rate of the promotion gate on worlds with no edge, and its power on planted
edges (issue 10, part 6; DESIGN section 4: "the default policy's false-acceptance rate on
worlds with no edge is measured and published with the policy").

Usage::

    python benchmarks/false_acceptance.py --out benchmarks/results/false_acceptance.json \
        [--n N] [--worlds iid,garch] [--jobs 2]
    python benchmarks/false_acceptance.py --table benchmarks/results/false_acceptance.json

Every replicate runs the whole public path in its own fresh SQLite store (a temp dir):
generate candles -> ``register_dataset`` -> ``execute_run`` (grid, walk-forward, Reality Check,
SPA + StepM, PBO) -> ``create_candidate`` of the best in-sample trial -> ``promote`` to
``candidate`` -> if that passed, ``promote`` to ``accepted`` (which replays the run). It records
whether each level passed, the names of the blocking rules and the value of every rule's metric
from the reports. Rules are never named here: they are read from
``qrp_jupyter.policies.DEFAULT_POLICY`` at run time, and the record carries the policy's name,
version and hash and the engine version, so a record made under another policy is recognisable
(``tests/governance/test_false_acceptance.py`` refuses a stale one).

Worlds (T = ``N_BARS`` hourly bars, start 2021-01-01; sigma = ``SIGMA`` = 0.6 % an hour)
----------------------------------------------------------------------------------------
Every stored value is made from the Generator's raw streams (``rng.integers``/``rng.random``/
``rng.permutation``) and QRP's own deterministic math (``_detmath``: ``ndtri`` normals, ``exp``,
``log``; ``math.sqrt`` is correctly rounded), so the candles are the same bits on every CPU.
Log returns ``r_t`` carry the drift ``-s_t^2/2`` so the close is (very nearly) a martingale;
candles are built around the closes by the synthetic generator's own candle kernel.

Null worlds (no strategy has an edge):

- ``iid``: ``r_t = -sigma^2/2 + sigma z_t``, z iid N(0, 1).
- ``fat_tailed``: z Student-t(3) scaled by ``1/sqrt(3)`` to unit variance (infinite fourth
  moment; the ``-sigma^2/2`` drift is the normal one, off by a negligible higher-moment term).
- ``garch``: GARCH(1,1) on the unit-variance scale, ``h_t = 0.05 + 0.10 e_{t-1}^2 + 0.85
  h_{t-1}`` (unconditional variance 1, persistence 0.95), ``s_t = sigma sqrt(h_t)``, 500 bars
  of burn-in; volatility clusters, returns stay unpredictable.
- ``ar1``: ``z_t = 0.05 z_{t-1} + sqrt(1 - 0.05^2) e_t`` (unit variance). phi != 0 *is* a
  predictable edge before costs, so this world trades at realistic taker costs (fee 4 + slippage
  1 = 5 bps of notional, ``AR1_COSTS``) where the edge is economically nil: a momentum rule of
  lookback L earns about ``phi sigma sqrt(2/pi) / sqrt(L)`` = 2.4e-4/sqrt(L) a bar gross, and its
  sign flips with probability ~ ``arccos(1 - 1/L)/pi`` ~ 0.45/sqrt(L) a bar, each flip trading
  2 units: ~4.5e-4/sqrt(L) a bar of costs at 5 bps, more than the gross edge at every lookback.
  The gate's job here is to refuse what would lose money after costs. Measured on this
  world's first 30 seeds (mean annualised Sharpe of each of the 16 lookbacks): at 5 bps every
  lookback loses (-4.2 at L=1 to -0.3 at L=168; iid at 5 bps: -7.7 to -1.0, so the pre-cost
  edge is real), while at the other worlds' 1.5 bps the short lookbacks earn ~+0.5-1.2, which
  would make ``ar1`` a weak planted edge rather than a null.
- ``shuffled_real``: real hourly closes (``../shared/data``, Binance USD-M perpetuals; the asset
  cycles with the seed over ``REAL_ASSETS``, a random window of T + 1 closes), log returns cut
  into consecutive blocks of ``SHUFFLE_BLOCK`` = 72 bars whose order is permuted: volatility
  clustering and fat tails survive inside a block, predictability across blocks does not. The
  returns are demeaned (minus their mean and half their variance), so no long/short bias earns
  the window's trend. Skipped, with a message, when the data folder is absent.
- ``mined_split``: a data-mined search split across runs and labels: one ``synthetic(edge=0)``
  dataset (volatility regimes and jumps, no edge), a 100-point ``ma_crossover`` grid cut into
  5 runs of 20 points, each with its own ``family`` label; the best in-sample trial among all
  five runs is promoted. The trial registry should deflate over all 100 trials.
- ``lookahead``: a user strategy (``kind = "user"``) that reads the next bar on the ``iid``
  world: ``p[:-1] = sign(diff(close))``; a grid ``horizon = [1, 2]`` (1 peeks one bar ahead,
  2 two bars).
- ``lookahead_grid``: the same function over ``horizon = [1, 2, 3, 4, 6, 8, 12, 24]``.

Power worlds (a planted edge; the rate is the gate's acceptance share, which should be high):

- ``edge_0.10``, ``edge_0.15``, ``edge_0.20``: ``qrp_jupyter.data.synthetic(edge=...)``, the
  demo's generator, whose standardised innovations are AR(1) with coefficient ``edge``.

Config of every built-in run (``config_for``): ``ts_momentum`` with ``lookback`` in
``LOOKBACKS`` (16 points) except ``mined_split``; fee 1 + slippage 0.5 bps (the demo's; ``ar1``:
5 bps); walk-forward 4 expanding folds, purge 24; Reality Check and SPA/StepM with
``REPS`` = 199 replicates, automatic block size; PBO with 16 blocks. Seeds: replicate ``i`` of
world ``w`` draws from ``SeedSequence([crc32(w), i])``. ``QRP_DETERMINISTIC_TIME`` is pinned,
so a replicate is the same rows, reports and verdict on every run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))
REPO = BENCH_DIR.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from _common import SHARED_DATA, log, set_numba_threads  # after the sys.path lines above

DETERMINISTIC_TIME = "2026-01-01T00:00:00Z"
N_BARS = 3000
SIGMA = 0.006
START_NS = 1_609_459_200 * 10**9  # 2021-01-01T00:00:00Z
HOUR_NS = 3_600 * 10**9
LOOKBACKS = [1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, 36, 48, 72, 96, 168]
MINED_FAST = [2, 3, 4, 5, 6, 8, 10, 12, 15, 18]
MINED_SLOW = [24, 36, 48, 72, 96, 120, 168, 240, 336, 480]
MINED_RUNS = 5
REPS = 199
COSTS = {"fee_bps": 1.0, "slippage_bps": 0.5}
AR1_COSTS = {"fee_bps": 4.0, "slippage_bps": 1.0}
AR1_PHI = 0.05
GARCH_OMEGA, GARCH_ALPHA, GARCH_BETA = 0.05, 0.10, 0.85
GARCH_BURN_IN = 500
T_DF = 3
SHUFFLE_BLOCK = 72
REAL_ASSETS = ("BTC-USDT", "ETH-USDT", "SOL-USDT", "LINK-USDT", "XRP-USDT", "ADA-USDT")
LOOKAHEAD_HORIZONS = [1, 2]
LOOKAHEAD_GRID_HORIZONS = [1, 2, 3, 4, 6, 8, 12, 24]
EDGES = {"edge_0.10": 0.10, "edge_0.15": 0.15, "edge_0.20": 0.20}

NULL_WORLDS = ("iid", "fat_tailed", "garch", "ar1", "shuffled_real", "mined_split",
               "lookahead", "lookahead_grid")
WORLDS = NULL_WORLDS + tuple(EDGES)
GOAL = {"candidate_max": 0.05, "accepted_max": 0.01}


# ---------------------------------------------------------------------------------------------
# Wilson score interval
# ---------------------------------------------------------------------------------------------

def wilson(k: int, n: int, z: float = 1.959963984540054) -> list[float]:
    """Wilson (1927) score interval for a binomial proportion ``k/n`` (default 95 %).

    ``(p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``; ``[0, 1]`` when ``n == 0``.
    """
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return [0.0, 1.0]
    p = k / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
    return [max(0.0, centre - half), min(1.0, centre + half)]


# ---------------------------------------------------------------------------------------------
# data: deterministic draws
# ---------------------------------------------------------------------------------------------

def _rng(world: str, seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([zlib.crc32(world.encode()), seed]))


def _normals(rng: np.random.Generator, m: int) -> np.ndarray:
    from qrp_jupyter.data import _synthetic_kernels as K
    return K.normals(rng.integers(0, 2**K.OPEN_UNIFORM_BITS, m, dtype=np.int64))


def _garch_scale(z: np.ndarray) -> np.ndarray:
    """Per-bar standard deviation multiplier sqrt(h_t) of a unit-variance GARCH(1,1)."""
    out = np.empty(z.shape[0])
    h = GARCH_OMEGA / (1.0 - GARCH_ALPHA - GARCH_BETA)
    e_prev = 0.0
    for t in range(z.shape[0]):  # index order, correctly rounded sqrt: the same bits everywhere
        h = GARCH_OMEGA + GARCH_ALPHA * e_prev * e_prev + GARCH_BETA * h
        s = math.sqrt(h)
        e_prev = s * z[t]
        out[t] = s
    return out


def _ar1(e: np.ndarray, phi: float) -> np.ndarray:
    out = np.empty(e.shape[0])
    scale = math.sqrt(1.0 - phi * phi)
    z = e[0]
    for t in range(e.shape[0]):
        if t > 0:
            z = phi * z + scale * e[t]
        out[t] = z
    return out


def _dataset(r: np.ndarray, s: np.ndarray, rng: np.random.Generator, source: str):
    """Candles around ``100 exp(cumsum r)`` (the synthetic generator's candle kernel)."""
    from qrp_jupyter.data import _synthetic_kernels as K
    from qrp_jupyter.data.dataset import build
    from qrp_jupyter.data.validate import Origin

    n = r.shape[0]
    z_high, z_low, z_vol = _normals(rng, n), _normals(rng, n), _normals(rng, n)
    o, h, lo, c, v = K.candles(np.ascontiguousarray(r), np.ascontiguousarray(s), z_high, z_low,
                               z_vol, 100.0, 1000.0)
    ts = START_NS + HOUR_NS * np.arange(n, dtype=np.int64)
    cols = {"open": o, "high": h, "low": lo, "close": c, "volume": v}
    return build({"SYN": (ts, cols, Origin("SYN", label="false-acceptance row {}"))},
                 name=None, source=source)


def _noise_returns(world: str, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    if world == "fat_tailed":
        from qrp_jupyter.data import _synthetic_kernels as K
        z = K.student_t(_normals(rng, (T_DF + 1) * n).reshape(n, T_DF + 1)) / math.sqrt(T_DF)
        s = np.full(n, SIGMA)
    elif world == "garch":
        z = _normals(rng, n + GARCH_BURN_IN)
        s = SIGMA * _garch_scale(z)[GARCH_BURN_IN:]
        z = z[GARCH_BURN_IN:]
    elif world == "ar1":
        z = _ar1(_normals(rng, n), AR1_PHI)
        s = np.full(n, SIGMA)
    else:  # iid, and the market under the look-ahead strategies
        z = _normals(rng, n)
        s = np.full(n, SIGMA)
    return -0.5 * s * s + s * z, s


_REAL_CACHE: dict[str, np.ndarray] = {}


def real_data_dir() -> Path | None:
    for cand in (SHARED_DATA, Path.cwd().parent / "shared" / "data"):
        if cand.is_dir() and any(cand.glob("binance-futures_*_1h.csv.gz")):
            return cand
    return None


def _real_closes(asset: str) -> np.ndarray:
    if asset not in _REAL_CACHE:
        from qrp_jupyter.data import read_csv
        base = real_data_dir()
        if base is None:
            raise FileNotFoundError("no ../shared/data folder with hourly candles")
        _REAL_CACHE[asset] = read_csv(base / f"binance-futures_{asset}_1h.csv.gz").close()
    return _REAL_CACHE[asset]


def _shuffled_real(rng: np.random.Generator, seed: int, n: int):
    from qrp_jupyter._detmath import log_array, mean, variance

    asset = REAL_ASSETS[seed % len(REAL_ASSETS)]
    close = _real_closes(asset)
    start = int(rng.integers(0, close.shape[0] - n - 1))
    w = close[start:start + n + 1]
    r = log_array(w[1:] / w[:-1])
    nb = -(-n // SHUFFLE_BLOCK)
    order = rng.permutation(nb)
    r = np.concatenate([r[b * SHUFFLE_BLOCK:(b + 1) * SHUFFLE_BLOCK] for b in order])
    r = r - mean(r) - 0.5 * variance(r)
    s = np.full(n, math.sqrt(variance(r)))
    return _dataset(r, s, rng, f"shuffled_real({asset}, start={start}, block={SHUFFLE_BLOCK}, "
                               f"seed={seed})")


def make_dataset(world: str, seed: int):
    """The replicate's candles (a :class:`qrp_jupyter.data.Dataset`)."""
    from qrp_jupyter.data import synthetic

    if world in EDGES:
        return synthetic(n_bars=N_BARS, seed=zlib.crc32(world.encode()) * 1000 + seed,
                         edge=EDGES[world])
    if world == "mined_split":
        return synthetic(n_bars=N_BARS, seed=zlib.crc32(world.encode()) * 1000 + seed, edge=0.0)
    rng = _rng(world, seed)
    if world == "shuffled_real":
        return _shuffled_real(rng, seed, N_BARS)
    base = "iid" if world.startswith("lookahead") else world
    r, s = _noise_returns(base, rng, N_BARS)
    return _dataset(r, s, rng, f"false_acceptance({base}, seed={seed})")


# ---------------------------------------------------------------------------------------------
# strategies and configs
# ---------------------------------------------------------------------------------------------

def peek_ahead(close, horizon):
    """Look-ahead bug on purpose: the position at bar t uses close[t + horizon]."""
    p = np.zeros_like(close)
    p[:-horizon] = np.sign(close[horizon:] - close[:-horizon])
    return p


def _toml_list(xs: list[Any]) -> str:
    return "[" + ", ".join(str(x) for x in xs) + "]"


def config_for(world: str, *, family: str | None = None, grid: dict[str, list[int]] | None = None,
               kind: str | None = None) -> str:
    costs = AR1_COSTS if world == "ar1" else COSTS
    if world.startswith("lookahead"):
        kind = "user"
        hz = LOOKAHEAD_GRID_HORIZONS if world == "lookahead_grid" else LOOKAHEAD_HORIZONS
        grid = {"horizon": hz}
    kind = kind or "ts_momentum"
    grid = grid or {"lookback": LOOKBACKS}
    grid_toml = "\n".join(f"{k} = {_toml_list(v)}" for k, v in grid.items())
    function = 'function = "peek_ahead"\n' if kind == "user" else ""
    return f"""\
name = "false-acceptance {world}"
family = "{family or 'fa-' + world}"

[data]
dataset = "data"

[strategy]
kind = "{kind}"
{function}[strategy.grid]
{grid_toml}

[costs]
fee_bps = {costs['fee_bps']}
slippage_bps = {costs['slippage_bps']}

[walk_forward]
n_folds = 4
mode = "expanding"
purge = 24

[nulls.reality_check]
reps = {REPS}
block_size = "auto"

[nulls.spa_stepm]
reps = {REPS}
block_size = "auto"

[nulls.pbo]
n_blocks = 16
"""


def mined_slices() -> list[dict[str, list[int]]]:
    """The 100-point MA grid as 5 runs: run j takes fast windows j*2 and j*2+1."""
    per = len(MINED_FAST) // MINED_RUNS
    return [{"fast": MINED_FAST[j * per:(j + 1) * per], "slow": MINED_SLOW}
            for j in range(MINED_RUNS)]


# ---------------------------------------------------------------------------------------------
# one replicate
# ---------------------------------------------------------------------------------------------

def _blocking_rules(report: dict[str, Any]) -> list[str]:
    return [r["rule"] for r in report["rules"]
            if r["severity"] == "blocker" and r["verdict"] != "pass"]


def _values(report: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for r in report["rules"]:
        v = r["value"]
        if isinstance(v, float):
            v = round(v, 6) if math.isfinite(v) else None
        out[r["metric"]] = v
    return out


def _registry_values(store: Any, report: dict[str, Any]) -> dict[str, Any]:
    """The trial-registry figures behind the deflated Sharpe (N, E[max SR]), when the report
    cites a ``sharpe_evidence`` artifact that carries them (else nothing)."""
    from qrp_jupyter.store import decode_json

    aid = report.get("evidence", {}).get("sharpe_evidence")
    if aid is None:
        return {}
    doc = decode_json(store.get_artifact(aid))
    out = {}
    # By pattern, not by a fixed list: the registry's fields are being reworked in parallel.
    for key, v in sorted(doc.items()):
        if not (key.startswith("n_trials") or key in ("expected_max_sr", "sr_variance")
                or (key.startswith("registry") and not key.endswith("digest"))):
            continue
        if isinstance(v, float):
            v = round(v, 6) if math.isfinite(v) else None
        if v is None or isinstance(v, (int, float, str, bool)):
            out[key if key.startswith("registry") else f"registry_{key}"] = v
    return out


def run_replicate(world: str, seed: int) -> dict[str, Any]:
    """The whole path for one replicate in a fresh store; returns its record.

    ``QRP_DETERMINISTIC_TIME`` is pinned for the call (and restored after it).
    """
    saved = {k: os.environ.get(k) for k in ("QRP_DETERMINISTIC_TIME", "QRP_ACTOR")}
    os.environ["QRP_DETERMINISTIC_TIME"] = DETERMINISTIC_TIME
    os.environ.setdefault("QRP_ACTOR", "false-acceptance")
    try:
        return _replicate(world, seed)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _replicate(world: str, seed: int) -> dict[str, Any]:
    from qrp_jupyter.governance import create_candidate, promote
    from qrp_jupyter.policies import DEFAULT_POLICY
    from qrp_jupyter.runs import execute_run, register_dataset
    from qrp_jupyter.store import open_store

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qrp-fa-") as tmp:
        store = open_store(Path(tmp) / "qrp.sqlite")
        try:
            dataset_id = register_dataset(store, make_dataset(world, seed), name="data")
            if world == "mined_split":
                runs = [execute_run(store, config_for(world, family=f"fa-mined-{j}", grid=g,
                                                      kind="ma_crossover"),
                                    source=f"<{world} run {j}>")
                        for j, g in enumerate(mined_slices())]
                best = max(runs, key=lambda r: r.summary["best_sharpe_annual"])
            else:
                ns = {"peek_ahead": peek_ahead} if world.startswith("lookahead") else None
                best = execute_run(store, config_for(world), source=f"<{world}>", namespace=ns)
            s = best.summary
            cand = create_candidate(store, best.run_instance_id)
            rep_c = promote(store, cand["candidate_id"], "candidate", policy=DEFAULT_POLICY)
            rep_a = None
            if rep_c.passed:
                rep_a = promote(store, cand["candidate_id"], "accepted", policy=DEFAULT_POLICY)
            registry = _registry_values(store, rep_c.report)
        finally:
            store.close()
    values = {"best_trial": s["best_trial"], "best_params": s["best_params"],
              "best_sharpe_annual": round(float(s["best_sharpe_annual"]), 6),
              **registry, **_values(rep_c.report)}
    if rep_a is not None:
        values.update({k: v for k, v in _values(rep_a.report).items() if k not in values})
    refused_at = rep_c if not rep_c.passed else rep_a
    return {
        "seed": seed,
        "dataset_id_v2": dataset_id,
        "candidate": bool(rep_c.passed),
        "accepted": bool(rep_a is not None and rep_a.passed),
        "blockers": _blocking_rules(refused_at.report) if not refused_at.passed else [],
        "blockers_candidate": _blocking_rules(rep_c.report),
        "blockers_accepted": _blocking_rules(rep_a.report) if rep_a is not None else None,
        "values": values,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def _job(args: tuple[str, int]) -> tuple[str, dict[str, Any]]:
    world, seed = args
    return world, run_replicate(world, seed)


# ---------------------------------------------------------------------------------------------
# summary, table, CLI
# ---------------------------------------------------------------------------------------------

def summarise(world: str, reps: list[dict[str, Any]]) -> dict[str, Any]:
    reps = sorted(reps, key=lambda r: r["seed"])
    n = len(reps)
    kc = sum(r["candidate"] for r in reps)
    ka = sum(r["accepted"] for r in reps)
    counts: dict[str, int] = {}
    for r in reps:
        for b in r["blockers"]:
            counts[b] = counts.get(b, 0) + 1
    secs = sorted(r["seconds"] for r in reps)
    return {"n": n, "null": world in NULL_WORLDS,
            "accepted_candidate": kc, "accepted_accepted": ka,
            "rate_candidate": kc / n if n else None, "rate_accepted": ka / n if n else None,
            "wilson95_candidate": wilson(kc, n), "wilson95_accepted": wilson(ka, n),
            "blocker_counts": dict(sorted(counts.items())),
            "median_replicate_s": secs[len(secs) // 2] if secs else None,
            "replicates": reps}


def meets_goal(w: dict[str, Any]) -> bool | None:
    """A null world meets the goal when the Wilson upper bounds are within the goal's maxima
    (a planted-edge world has no goal: None)."""
    if not w["null"]:
        return None
    return (w["wilson95_candidate"][1] <= GOAL["candidate_max"]
            and w["wilson95_accepted"][1] <= GOAL["accepted_max"])


def settings() -> dict[str, Any]:
    return {"n_bars": N_BARS, "interval": "1h", "sigma_per_bar": SIGMA,
            "grid": {"kind": "ts_momentum", "lookback": LOOKBACKS},
            "mined_split": {"kind": "ma_crossover", "fast": MINED_FAST, "slow": MINED_SLOW,
                            "runs": MINED_RUNS},
            "lookahead": {"kind": "user", "function": "peek_ahead",
                          "horizon": LOOKAHEAD_HORIZONS},
            "lookahead_grid": {"horizon": LOOKAHEAD_GRID_HORIZONS},
            "reps": REPS, "pbo_n_blocks": 16,
            "walk_forward": {"n_folds": 4, "mode": "expanding", "purge": 24},
            "costs_bps": COSTS, "ar1_costs_bps": AR1_COSTS, "ar1_phi": AR1_PHI,
            "garch": {"omega": GARCH_OMEGA, "alpha": GARCH_ALPHA, "beta": GARCH_BETA},
            "student_t_df": T_DF, "shuffle_block": SHUFFLE_BLOCK, "real_assets": REAL_ASSETS,
            "edges": EDGES, "deterministic_time": DETERMINISTIC_TIME,
            "seed_rule": "replicate i of world w: SeedSequence([crc32(w), i]); synthetic "
                         "worlds: seed crc32(w) * 1000 + i"}


def dump(doc: dict[str, Any]) -> str:
    """The record as JSON: indented, except that each replicate is one compact line."""
    doc = json.loads(json.dumps(doc, allow_nan=False))
    lines: dict[str, str] = {}
    for name, w in doc["worlds"].items():
        for i, r in enumerate(w["replicates"]):
            key = f"@@replicate {name} {i}@@"
            lines[key] = json.dumps(r, sort_keys=True, separators=(",", ":"))
            w["replicates"][i] = key
    text = json.dumps(doc, indent=1)
    for key, line in lines.items():
        text = text.replace(json.dumps(key), line, 1)
    return text + "\n"


def table(doc: dict[str, Any]) -> str:
    def pct(x: float) -> str:
        return f"{100 * x:.1f}%"

    lines = [f"Policy `{doc['policy']['name']}` v{doc['policy']['version']} "
             f"(`{doc['policy']['hash'][:12]}`), engine {doc['engine_version']}",
             "",
             "| world | null? | n | candidate rate [Wilson 95%] | accepted rate [Wilson 95%] "
             "| meets goal |",
             "|---|---|---|---|---|---|"]
    for name, w in doc["worlds"].items():
        lc, hc = w["wilson95_candidate"]
        la, ha = w["wilson95_accepted"]
        goal = doc["meets_goal"].get(name)
        lines.append(f"| {name} | {'yes' if w['null'] else 'no (power)'} | {w['n']} | "
                     f"{pct(w['rate_candidate'])} [{pct(lc)}, {pct(hc)}] | "
                     f"{pct(w['rate_accepted'])} [{pct(la)}, {pct(ha)}] | "
                     f"{'n/a' if goal is None else ('yes' if goal else 'no')} |")
    return "\n".join(lines)


def what_if(doc: dict[str, Any], policy: Any) -> dict[str, dict[str, int]]:
    """Per world, how many replicates ``policy`` would pass at each level, re-evaluated from the
    values the record holds (``qrp_jupyter.policies.evaluate_rules``, the gate's own function).

    A report's verdict is a pure function of its rules' values and thresholds, so this is exact
    for a policy that differs only in thresholds; what the record cannot hold is taken as the
    gate would give it: the replay of a deterministic run matches (``replay_match`` True). The
    candidate trial is the run's best, so grid-level rules apply to it.
    """
    from qrp_jupyter.policies import evaluate_rules

    out: dict[str, dict[str, int]] = {}
    for name, w in doc["worlds"].items():
        kc = ka = 0
        for r in w["replicates"]:
            values = {m: (v, "record") for m, v in r["values"].items()}
            values.setdefault("replay_match", (True, "record"))
            ok_c = evaluate_rules(policy.levels["candidate"], values, trial_index=0,
                                  grid_best=0)["passed"]
            ok_a = ok_c and evaluate_rules(policy.levels["accepted"], values, trial_index=0,
                                           grid_best=0)["passed"]
            kc, ka = kc + ok_c, ka + ok_a
        out[name] = {"n": len(w["replicates"]), "candidate": kc, "accepted": ka}
    return out


def sweep(doc: dict[str, Any], rule: str, candidate: list[float], accepted: list[float]) -> str:
    """A Markdown table of acceptance shares when one rule's thresholds change (the rest of the
    default policy as it is): the measurement the thresholds are picked from."""
    import copy

    from qrp_jupyter.policies import DEFAULT_POLICY, Policy

    worlds = list(doc["worlds"])
    lines = [f"Threshold sweep of `{rule}` (record: policy "
             f"`{doc['policy']['hash'][:12]}`, engine {doc['engine_version']}); each cell: "
             "candidate / accepted share", "",
             "| candidate | accepted | " + " | ".join(worlds) + " |",
             "|---|---|" + "---|" * len(worlds)]
    for tc in candidate:
        for ta in accepted:
            if ta > tc:
                continue
            levels = copy.deepcopy(DEFAULT_POLICY.levels)
            for level, t in (("candidate", tc), ("accepted", ta)):
                for r in levels[level]:
                    if r["rule"] == rule:
                        r["threshold"] = t
            res = what_if(doc, Policy(name="sweep", version=0, levels=levels))
            cells = [f"{100 * res[w]['candidate'] / res[w]['n']:.1f} / "
                     f"{100 * res[w]['accepted'] / res[w]['n']:.1f}" for w in worlds]
            lines.append(f"| {tc:g} | {ta:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="write the JSON record here")
    ap.add_argument("--n", type=int, default=10, help="replicates per world (default 10)")
    ap.add_argument("--worlds", default=",".join(WORLDS),
                    help=f"comma-separated subset of {','.join(WORLDS)}")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--table", type=Path, metavar="JSON",
                    help="print the Markdown table of a record and exit")
    ap.add_argument("--sweep", type=Path, metavar="JSON",
                    help="print acceptance shares of a record when --rule's thresholds change")
    ap.add_argument("--rule", default="overfitting", help="rule to sweep (default overfitting)")
    ap.add_argument("--candidate-thresholds", default="0.5,0.4,0.3,0.2,0.1")
    ap.add_argument("--accepted-thresholds", default="0.5,0.4,0.3,0.2,0.1")
    args = ap.parse_args(argv)
    if args.sweep:
        print(sweep(json.loads(args.sweep.read_text()), args.rule,
                    [float(x) for x in args.candidate_thresholds.split(",")],
                    [float(x) for x in args.accepted_thresholds.split(",")]))
        return 0
    if args.table:
        print(table(json.loads(args.table.read_text())))
        return 0
    if args.n < 1 or args.jobs < 1:
        ap.error("--n and --jobs must be at least 1")
    worlds = [w.strip() for w in args.worlds.split(",") if w.strip()]
    unknown = [w for w in worlds if w not in WORLDS]
    if unknown:
        ap.error(f"unknown world(s) {unknown}; choose from {list(WORLDS)}")
    if "shuffled_real" in worlds and real_data_dir() is None:
        log("shuffled_real skipped: no ../shared/data folder with hourly candles")
        worlds.remove("shuffled_real")
    # One numba thread per worker: the workers already fill the cores (and every verdict is
    # thread-count independent by design).
    threads = set_numba_threads("1" if args.jobs > 1 else "2")
    os.environ["QRP_DETERMINISTIC_TIME"] = DETERMINISTIC_TIME

    from _common import environment
    from qrp_jupyter import __version__ as qrp_version
    from qrp_jupyter.engine import ENGINE_VERSION
    from qrp_jupyter.policies import DEFAULT_POLICY

    tasks = [(w, i) for w in worlds for i in range(args.n)]
    log(f"{len(tasks)} replicates ({args.n} per world x {len(worlds)} worlds), "
        f"{args.jobs} job(s)")
    t0 = time.perf_counter()
    results: dict[str, list[dict[str, Any]]] = {w: [] for w in worlds}
    if args.jobs > 1:
        import multiprocessing as mp
        with mp.get_context("spawn").Pool(args.jobs) as pool:
            for k, (w, rec) in enumerate(pool.imap_unordered(_job, tasks), 1):
                results[w].append(rec)
                log(f"[{k}/{len(tasks)}] {w} seed {rec['seed']}: candidate={rec['candidate']} "
                    f"accepted={rec['accepted']} {rec['seconds']}s {rec['blockers']}")
    else:
        for k, task in enumerate(tasks, 1):
            w, rec = _job(task)
            results[w].append(rec)
            log(f"[{k}/{len(tasks)}] {w} seed {rec['seed']}: candidate={rec['candidate']} "
                f"accepted={rec['accepted']} {rec['seconds']}s {rec['blockers']}")
    elapsed = time.perf_counter() - t0
    summ = {w: summarise(w, results[w]) for w in worlds}
    doc = {
        "kind": "qrp_false_acceptance",
        "policy": {"name": DEFAULT_POLICY.name, "version": DEFAULT_POLICY.version,
                   "hash": DEFAULT_POLICY.policy_hash},
        "engine_version": ENGINE_VERSION,
        "qrp_version": qrp_version,
        "created_by": "benchmarks/false_acceptance.py",
        "settings": {**settings(), "n_per_world": args.n, "jobs": args.jobs},
        "worlds": summ,
        "goal": GOAL,
        "meets_goal": {w: meets_goal(s) for w, s in summ.items()},
        "timing_s": {"total": round(elapsed, 1),
                     "median_replicate_by_world": {w: s["median_replicate_s"]
                                                   for w, s in summ.items()}},
        "environment": environment(threads),
    }
    text = dump(doc)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        log(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    print(table(doc), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
