"""Synthetic candles with known properties: the embedded default for the demo and the tests.

Draw protocol (version :data:`GENERATOR_VERSION`)
-------------------------------------------------
The candles are the same bits on every machine: numpy's distribution samplers
(``standard_normal``, ``standard_t``, ``poisson``, ...) call libm and numpy's ``exp``/``log``
dispatch on the CPU's SIMD features, so neither is used. Only the raw streams of the
``Generator`` are (``random`` and ``integers``: integer and bit operations, exact), and every
transform is a numba kernel built on QRP's own ``exp``/``log`` (:mod:`qrp_jupyter._detmath`).

Per asset, one ``numpy.random.default_rng`` on child *k* of ``SeedSequence(seed).spawn(n)``
(assets in sorted order) draws, in this order, for ``n`` bars:

1. ``rng.random(n)``: regime switches (leave the state when ``u >= stay``, with the per-bar
   persistence ``stay = exp(h log p)`` for bars of ``h`` hours);
2. ``n`` normals for the innovations ``e_t``;
3. ``rng.random(n)``: jump counts, Poisson by inversion of the CDF;
4. ``4 n`` normals, read as ``n`` rows of 4: Student-t(3) jump sizes
   ``z0 / sqrt((z1^2 + z2^2 + z3^2) / 3)``;
5. ``n`` normals each for the high excursion, the low excursion and the volume.

"Normals" are ``ndtri((k + 1/2) 2**-52)`` with ``k = rng.integers(0, 2**52, m)``: an exact
uniform on the open interval (0, 1), mapped by Wichura's AS 241 inverse normal CDF. Version 1
(before QRP 0.3) used numpy's samplers; its data differed between CPUs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._detmath import pow_pos
from ..errors import BudgetExceeded, DataError
from ..limits import format_bytes, resolve_budget
from . import _synthetic_kernels as K
from .dataset import Dataset, build
from .validate import Origin, parse_interval

__all__ = ["GENERATOR_VERSION", "synthetic"]

#: Version of the draw protocol above; recorded in every synthetic dataset's ``source``.
GENERATOR_VERSION = 2

_HOUR_NS = 3_600 * 10**9
# Hourly parameters; other intervals are scaled from these (volatility by sqrt(time), switching
# and jump probabilities by the number of hours in a bar).
_VOL_CALM, _VOL_STORM = 0.004, 0.012        # per-hour volatility in the two regimes
_STAY_CALM, _STAY_STORM = 0.995, 0.98       # per-hour persistence: ~200 h calm, ~50 h storm
_JUMP_RATE = 1 / 500                        # jumps per hour (~17 a year)
_JUMP_SCALE, _JUMP_DF = 0.015, 3            # Student-t(3) jump sizes, scale 1.5%
_START_PRICE = 100.0
_BASE_VOLUME = 1_000.0


def _normals(rng: np.random.Generator, m: int) -> np.ndarray:
    return K.normals(rng.integers(0, 2**K.OPEN_UNIFORM_BITS, m, dtype=np.int64))


def _path(rng: np.random.Generator, n: int, hours: float, edge: float
          ) -> tuple[np.ndarray, np.ndarray]:
    """Log returns and the per-bar volatility of one asset (steps 1-4 of the protocol)."""
    stay_calm, stay_storm = pow_pos(_STAY_CALM, hours), pow_pos(_STAY_STORM, hours)
    vol = np.array([_VOL_CALM, _VOL_STORM]) * np.sqrt(hours)
    sigma = vol[K.regimes(rng.random(n), stay_calm, stay_storm)]
    # AR(1) on the *standardised* innovations keeps each bar's variance at sigma^2 whatever the
    # edge, so edge changes predictability and nothing else.
    e = _normals(rng, n)
    counts = K.poisson(rng.random(n), _JUMP_RATE * hours)
    sizes = K.student_t(_normals(rng, (_JUMP_DF + 1) * n).reshape(n, _JUMP_DF + 1))
    jumps = counts * sizes * _JUMP_SCALE
    # Drift -sigma^2/2 makes the price a martingale, so edge=0 has no trend to find either.
    return K.log_returns(sigma, e, edge, jumps), sigma


def _candles(rng: np.random.Generator, r: np.ndarray, sigma: np.ndarray
             ) -> dict[str, np.ndarray]:
    """Step 5: candles around the compounded closes."""
    z_high, z_low, z_volume = _normals(rng, r.size), _normals(rng, r.size), _normals(rng, r.size)
    o, h, lo, c, v = K.candles(r, sigma, z_high, z_low, z_volume, _START_PRICE, _BASE_VOLUME)
    return {"open": o, "high": h, "low": lo, "close": c, "volume": v}


#: Peak bytes per candle of generating a dataset and registering it (the draws, the candles,
#: the validated frame and its canonical encoding; measured: 120 for synthetic(), 272 with
#: register_dataset, at 10^6 bars), rounded up.
_BYTES_PER_BAR = 320


def _check_size(n_bars: int, n_assets: int) -> None:
    """Refuse, before allocating anything, a dataset that cannot fit the memory budget."""
    need = n_bars * n_assets * _BYTES_PER_BAR
    budget, source = resolve_budget(None)
    if budget is not None and need > budget:
        fit = max(2, budget // (n_assets * _BYTES_PER_BAR))
        raise BudgetExceeded(
            f"{n_bars:,} synthetic bars x {n_assets} asset(s) need an estimated "
            f"{format_bytes(need)} of memory ({_BYTES_PER_BAR} bytes per bar to generate and "
            f"register) but the memory budget is {format_bytes(budget)} (from {source})",
            where="synthetic(n_bars=)",
            fix=f"ask for at most {fit:,} bars, or raise QRP_MEMORY_BUDGET if the machine has "
                "the memory", budget=budget)


def synthetic(*, n_bars: int = 17520, interval: str = "1h", assets: Sequence[str] = ("SYN",),
              seed: int = 0, edge: float = 0.0, start: str = "2021-01-01T00:00:00Z",
              name: str | None = None) -> Dataset:
    """Deterministic synthetic candles with volatility regimes, jumps and an optional edge.

    Parameters
    ----------
    n_bars
        Candles per asset (default: two years of hourly bars).
    interval
        Bar interval such as ``"5m"``, ``"1h"``, ``"1d"``.
    assets
        Asset names. Each gets its own independent stream: ``SeedSequence(seed)`` is spawned
        once per asset, child *k* going to the *k*-th asset in sorted order.
    seed
        Non-negative integer; the same seed gives the same ``dataset_id_v2``.
    edge
        AR(1) coefficient of the standardised return innovations, in (-1, 1). With ``edge=0``
        returns are serially uncorrelated (a martingale price: no strategy has an edge); with
        ``edge`` around 0.05-0.15 returns are positively autocorrelated, so trend-following and
        momentum rules have a real edge that the statistics should detect.
    start
        Open time of the first candle (ISO-8601; naive means UTC).
    name
        Optional display name.

    Notes
    -----
    Per bar of ``h`` hours, the log return is ``r_t = -sigma_t^2/2 + sigma_t z_t + J_t``:

    * ``sigma_t`` follows a two-state Markov chain: hourly volatility 0.4% (calm, stays with
      probability 0.995 an hour) or 1.2% (turbulent, stays with probability 0.98), scaled by
      ``sqrt(h)``, persistence by ``p**h``. This gives volatility clustering and fat tails.
    * ``z_t = edge * z_{t-1} + sqrt(1 - edge^2) e_t`` with ``e_t`` iid standard normal, so
      ``z_t`` has unit variance and lag-1 autocorrelation ``edge``.
    * ``J_t`` are rare jumps: Poisson with 1/500 per hour, sizes Student-t(3) x 1.5%.

    The lag-1 autocorrelation of ``r_t`` is therefore ``edge`` shrunk by the jump variance and by
    the regime changes (measured: about ``0.93 * edge``). Candles: ``open`` is the previous close
    (100.0 for the first bar), ``high``/``low`` lie above/below ``max``/``min(open, close)`` by
    a half-normal excursion of half a bar's volatility, ``volume`` is lognormal, scaled up in
    the turbulent regime. The result passes the same validation as real data. The draws follow
    the module's draw protocol (version :data:`GENERATOR_VERSION`, recorded in ``source``):
    the same seed gives the same bits on every CPU.

    Examples
    --------
    >>> ds = synthetic(n_bars=100, seed=7, edge=0.1)
    >>> ds.dataset_id_v2 == synthetic(n_bars=100, seed=7, edge=0.1).dataset_id_v2
    True
    >>> ds.source
    'synthetic(seed=7, edge=0.1, n_bars=100, interval=1h, generator=2)'
    """
    if isinstance(n_bars, bool) or not isinstance(n_bars, (int, np.integer)) or n_bars < 2:
        raise DataError(f"n_bars={n_bars!r} must be an integer >= 2", where="synthetic(n_bars=)",
                        fix="ask for at least two candles")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataError(f"seed={seed!r} must be a non-negative integer",
                        where="synthetic(seed=)", fix="pass e.g. seed=0")
    if not isinstance(edge, (int, float)) or not -1.0 < float(edge) < 1.0:
        raise DataError(f"edge={edge!r} must be a number in (-1, 1)", where="synthetic(edge=)",
                        fix="use 0 for no edge, 0.05-0.15 for a detectable one")
    if isinstance(assets, str) or not assets or \
            any(not isinstance(a, str) or not a for a in assets) or len(set(assets)) != len(assets):
        raise DataError(f"assets={assets!r} must be distinct non-empty names",
                        where="synthetic(assets=)", fix="pass e.g. assets=('BTC', 'ETH')")
    _check_size(int(n_bars), len(assets))
    step = parse_interval(interval)
    try:
        first = pd.Timestamp(start)
    except (TypeError, ValueError):
        raise DataError(f"start={start!r} is not a timestamp", where="synthetic(start=)",
                        fix="use ISO-8601 such as 2021-01-01T00:00:00Z") from None
    first = first.tz_localize("UTC") if first.tz is None else first.tz_convert("UTC")
    ts = first.as_unit("ns").value + step * np.arange(int(n_bars), dtype=np.int64)
    hours = step / _HOUR_NS
    names = sorted(assets)
    arrays = {}
    for asset, child in zip(names, np.random.SeedSequence(int(seed)).spawn(len(names))):
        rng = np.random.default_rng(child)
        r, sigma = _path(rng, int(n_bars), hours, float(edge))
        arrays[asset] = (ts, _candles(rng, r, sigma), Origin(asset, label="synthetic row {}"))
    source = (f"synthetic(seed={seed}, edge={edge}, n_bars={n_bars}, interval={interval}, "
              f"generator={GENERATOR_VERSION})")
    return build(arrays, name=name, source=source)
