"""Position overlays: transformations applied to every grid point's positions.

An overlay is described by a plain dict (``{"kind": "vol_target", ...}``) so that a run config
can carry it and ``run_key`` can hash it; :func:`validate_overlay` checks it and fills in the
defaults. The one overlay so far is volatility targeting.

Volatility targeting (``kind="vol_target"``)
--------------------------------------------
Every position in an asset is multiplied, at bar t, by

    scale[t] = min(target_vol / vol[t], max_leverage)      (max_leverage when vol[t] = 0)

where ``vol[t]`` is the realised volatility of that asset's simple returns over the last
``vol_lookback`` bars up to and including bar t (sample standard deviation, ddof=1, of the
returns of bars t-vol_lookback+1..t), annualised by ``sqrt(periods_per_year)``. It uses prices up
to bar t only, like the signal it scales, so the overlay adds no look-ahead. During the first
``vol_lookback`` bars there is no estimate and the scale is 0 (flat). The scale is the asset's
own volatility, not the strategy's: it sizes a fully invested position to ``target_vol``, the
convention of time-series momentum (Moskowitz, Ooi and Pedersen 2012), and it is the same for
every grid point, so a grid's points stay comparable. Positions become fractional, and a
changing scale trades (and pays costs) every bar. For a panel each asset is scaled by its own
volatility. A scaled position above ``MAX_ABS_POSITION`` is refused (only possible for user
functions whose positions exceed 1).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ConfigError
from . import _kernels as K
from ._inputs import as_close, as_closes, positive_number
from .families import _MAX_WINDOW, MAX_ABS_POSITION, ParamSpec

__all__ = ["OVERLAYS", "validate_overlay", "overlay_scale"]

#: Overlay kind -> its parameters (same validation as strategy parameters).
OVERLAYS: dict[str, tuple[ParamSpec, ...]] = {
    "vol_target": (
        ParamSpec("target_vol", float, 1e-4, 10.0,
                  "annualised volatility target as a fraction, e.g. 0.2 for 20% a year"),
        ParamSpec("vol_lookback", int, 2, _MAX_WINDOW,
                  "bars of returns in the realised-volatility window"),
        ParamSpec("max_leverage", float, 0.01, MAX_ABS_POSITION,
                  "cap on the scale factor (1: never more than fully invested)", default=1.0),
    ),
}


def validate_overlay(overlay: Any, *, where: str = "strategy.overlay") -> dict[str, Any] | None:
    """Check an overlay spec and return it complete (``kind`` first, then declared order).

    ``None`` means no overlay and is returned as is.

    Raises
    ------
    ConfigError
        Not a dict, unknown ``kind``, unknown or missing parameter, or a value out of range;
        the message names ``where.<key>``.

    Examples
    --------
    >>> validate_overlay({"kind": "vol_target", "target_vol": 0.3, "vol_lookback": 720})
    {'kind': 'vol_target', 'target_vol': 0.3, 'vol_lookback': 720, 'max_leverage': 1.0}
    """
    if overlay is None:
        return None
    if not isinstance(overlay, dict):
        raise ConfigError(f"an overlay must be a dict, got {type(overlay).__name__}",
                          where=where, fix="write e.g. {'kind': 'vol_target', 'target_vol': "
                          "0.2, 'vol_lookback': 720}")
    kind = overlay.get("kind")
    if kind not in OVERLAYS:
        raise ConfigError(f"unknown overlay kind {kind!r}", where=f"{where}.kind",
                          fix=f"use one of {', '.join(sorted(OVERLAYS))}")
    specs = OVERLAYS[kind]
    names = [p.name for p in specs]
    for key in overlay:
        if key != "kind" and key not in names:
            raise ConfigError(f"unknown parameter {key!r} for overlay {kind!r}",
                              where=f"{where}.{key}", fix=f"use only {', '.join(names)}")
    out: dict[str, Any] = {"kind": kind}
    for p in specs:
        if p.name not in overlay and p.default is None:
            raise ConfigError(f"required parameter {p.name!r} of overlay {kind!r} is missing",
                              where=f"{where}.{p.name}", fix=f"give {p.name} ({p.doc})")
        out[p.name] = p.coerce(overlay.get(p.name, p.default), where=f"{where}.{p.name}")
    return out


def _scale(asset_ret: np.ndarray, spec: dict[str, Any], ppy: float) -> np.ndarray:
    """(T, n) scale of validated ``spec`` from a C-contiguous (T-1, n) returns matrix."""
    n_rows, n = asset_ret.shape
    out = np.empty((n_rows + 1, n))
    K._vol_scale(asset_ret, spec["vol_lookback"], spec["target_vol"], spec["max_leverage"],
                 math.sqrt(ppy), out, work=n_rows * n)
    return out


def overlay_scale(close: Any, overlay: dict[str, Any], *, periods_per_year: float
                  ) -> np.ndarray:
    """The factor the overlay multiplies positions by, per bar (and per asset for a panel).

    Parameters
    ----------
    close
        Close prices, (T,) for one asset or (T, n) for a panel.
    overlay
        An overlay spec (see :func:`validate_overlay`).
    periods_per_year
        Bars per year, to annualise the realised volatility (hourly crypto: 8760).

    Returns
    -------
    numpy.ndarray
        Shape (T,) or (T, n); 0 during the first ``vol_lookback`` bars.

    Examples
    --------
    Two-bar windows of returns of about 1.4%, a 2% target, at most 1.2x:

    >>> s = overlay_scale([100.0, 101.0, 100.0, 102.0, 101.0],
    ...                   {"kind": "vol_target", "target_vol": 0.02, "vol_lookback": 2,
    ...                    "max_leverage": 1.2}, periods_per_year=1)
    >>> s.round(4).tolist()
    [0.0, 0.0, 1.2, 0.9459, 0.949]
    """
    spec = validate_overlay(overlay)
    if spec is None:
        raise ConfigError("overlay_scale needs an overlay, got None", where="overlay",
                          fix="pass {'kind': 'vol_target', ...}")
    ppy = positive_number(periods_per_year, name="periods_per_year")
    if np.ndim(close) == 2:
        c = as_closes(close)
        return _scale(np.ascontiguousarray(c[1:] / c[:-1] - 1.0), spec, ppy)
    c = as_close(close)
    return _scale(K._asset_returns(c)[:, None], spec, ppy)[:, 0]
