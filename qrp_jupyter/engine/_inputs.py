"""Input checks shared by the engine's public wrappers.

The wrappers validate and coerce; the kernels then assume C-contiguous float64 arrays of the
right shape. Each check says what is wrong (quoting the value), where, and how to fix it.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError


def first_bad(mask: np.ndarray) -> tuple[int, ...]:
    """Index (as a tuple) of the first True in ``mask``."""
    return tuple(int(i) for i in np.argwhere(mask)[0])


def as_close(close: Any, *, where: str = "close") -> np.ndarray:
    """Close prices as a 1-D C-contiguous float64 array: finite, > 0, at least 2 bars."""
    try:
        arr = np.ascontiguousarray(np.asarray(close, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise DataError(f"close prices cannot be read as float64 numbers ({exc})", where=where,
                        fix="pass a 1-D array or Series of prices") from None
    if arr.ndim != 1:
        raise DataError(f"close prices must be 1-D, got shape {arr.shape}", where=where,
                        fix="pass one price series (one column)")
    if arr.shape[0] < 2:
        raise DataError(f"close has {arr.shape[0]} bar(s); returns need at least 2",
                        where=where, fix="pass a longer price series")
    bad = ~np.isfinite(arr) | (arr <= 0.0)
    if bad.any():
        (i,) = first_bad(bad)
        raise DataError(f"close[{i}]={float(arr[i])!r} is not a finite positive price",
                        where=f"{where}[{i}]",
                        fix="clean the data (drop or fill the bar) before running")
    return arr


def as_closes(closes: Any, *, where: str = "closes") -> np.ndarray:
    """A panel of close prices as a (T, n) C-contiguous float64 array: finite, > 0, T >= 2,
    n >= 2 (a DataFrame gives its values, one column per asset)."""
    try:
        arr = np.ascontiguousarray(np.asarray(closes, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise DataError(f"closes cannot be read as float64 numbers ({exc})", where=where,
                        fix="pass a 2-D array or DataFrame, one column per asset") from None
    if arr.ndim != 2:
        raise DataError(f"closes must be 2-D (bars x assets), got shape {arr.shape}",
                        where=where, fix="stack one column of prices per asset")
    if arr.shape[0] < 2:
        raise DataError(f"closes has {arr.shape[0]} bar(s); returns need at least 2",
                        where=where, fix="pass a longer panel")
    if arr.shape[1] < 2:
        raise DataError(f"closes has {arr.shape[1]} asset(s); a cross-section needs at least 2",
                        where=where, fix="pass one column per asset, or use backtest_grid "
                        "for a single asset")
    bad = ~np.isfinite(arr) | (arr <= 0.0)
    if bad.any():
        i, j = first_bad(bad)
        raise DataError(f"closes[{i}, {j}]={float(arr[i, j])!r} is not a finite positive price",
                        where=f"{where}[{i}, {j}]",
                        fix="clean the data; every asset needs a price at every bar (trim the "
                        "panel to the bars where all assets trade)")
    return arr


def as_funding(value: Any, shape: tuple[int, ...], *,
               where: str = "costs.funding_bps_per_period") -> np.ndarray | None:
    """Funding per held row as a rate (fraction), shape ``(T-1,) + shape[1:]``, or None.

    ``value`` is None (no funding), a number of basis points charged every bar, or an array of
    basis points of the bars' shape ``shape`` (aligned with the close prices): ``value[t]`` is
    charged on the position held over bar t, so ``value[0]`` is never charged.
    """
    if value is None:
        return None
    rows = (shape[0] - 1,) + tuple(shape[1:])
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not math.isfinite(float(value)):
            raise ConfigError(f"funding_bps_per_period={value!r} is not finite", where=where,
                              fix="give funding in basis points per bar, e.g. 0.1")
        return np.full(rows, float(value) * 1e-4)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"funding cannot be read as float64 numbers ({exc})", where=where,
                          fix="pass a number or an array of basis points per bar") from None
    if arr.shape != tuple(shape):
        raise DataError(f"funding has shape {arr.shape}, expected {tuple(shape)} (one value "
                        "per bar of close)", where=where,
                        fix="align the funding series with the close prices (0 on bars "
                        "without a funding payment)")
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = first_bad(bad)
        raise DataError(f"funding{list(idx)}={float(arr[idx])!r} is not finite",
                        where=f"{where}{list(idx)}", fix="fill bars without funding with 0")
    return np.ascontiguousarray(arr[1:] * 1e-4)


def as_matrix(x: Any, *, name: str, where: str, rows: int | None = None,
              cols: int | None = None, check_finite: bool = True) -> np.ndarray:
    """A 2-D C-contiguous float64 matrix (a 1-D input is one column), finite unless
    ``check_finite`` is off (for callers that detect non-finite values another way)."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} cannot be read as float64 numbers ({exc})", where=where,
                        fix=f"pass {name} as a numeric array") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise DataError(f"{name} must be 2-D (bars x trials), got shape {arr.shape}",
                        where=where, fix="stack one column per trial")
    if rows is not None and arr.shape[0] != rows:
        raise DataError(f"{name} has {arr.shape[0]} rows, expected {rows}", where=where,
                        fix=f"{name} must cover the same bars as the other inputs")
    if cols is not None and arr.shape[1] != cols:
        raise DataError(f"{name} has {arr.shape[1]} columns, expected {cols}", where=where,
                        fix=f"{name} needs one column per trial")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise DataError(f"{name} is empty (shape {arr.shape})", where=where,
                        fix="pass at least one bar and one trial")
    if not check_finite:
        return np.ascontiguousarray(arr)
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = first_bad(bad)
        raise DataError(f"{name}[{i}, {j}]={float(arr[i, j])!r} is not finite",
                        where=f"{where}[{i}, {j}]", fix="remove NaN/inf before this step")
    return np.ascontiguousarray(arr)


def nonneg_number(value: Any, *, name: str) -> float:
    """A finite float >= 0 given as a config value (costs in basis points)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(float(value)) or float(value) < 0.0:
        raise ConfigError(f"{name}={value!r} must be a finite number >= 0", where=name,
                          fix=f"give {name} in basis points, e.g. 5 for 0.05%")
    return float(value)


def positive_number(value: Any, *, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(float(value)) or float(value) <= 0.0:
        raise ConfigError(f"{name}={value!r} must be a finite number > 0", where=name,
                          fix=f"pass {name} explicitly, e.g. 8760 for hourly crypto bars")
    return float(value)


def whole_number(value: Any, *, name: str, low: int, allow_none: bool = False) -> int | None:
    """An int >= low (bools and non-integral floats refused)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < low:
        raise ConfigError(f"{name}={value!r} must be an int >= {low}", where=name,
                          fix=f"give {name} as a whole number of bars >= {low}")
    return int(value)
