"""Coercion and validation of the arrays and parameters users hand to the statistics functions.

Public functions call these once, up front, so kernels only ever see finite float64 arrays and
errors name the offending column and row in the user's own labels.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError

__all__ = ["Panel", "as_panel", "as_series", "check_int", "check_real"]


@dataclass(frozen=True)
class Panel:
    """A validated (T, k) float64 array with the labels to quote in messages and results."""

    values: np.ndarray
    columns: list
    index: pd.Index | None

    def row_label(self, i: int) -> str:
        if self.index is None:
            return f"row {i}"
        return f"row {i} (index {self.index[i]!r})"


def _numeric(x: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} cannot be read as floating-point numbers ({exc})",
                        where=name, fix="pass a numeric array or DataFrame") from None
    return arr


def _all_finite(values: np.ndarray) -> bool:
    """Whether every value is finite, checked in row blocks (temporaries of about 4 MiB)."""
    step = max(1, (1 << 22) // max(1, values.shape[1]))
    return all(np.isfinite(values[i:i + step]).all() for i in range(0, values.shape[0], step))


def as_panel(x: Any, *, name: str, min_rows: int = 2) -> Panel:
    """Coerce a 1-D or 2-D array, Series or DataFrame to a finite (T, k) float64 panel.

    A 1-D input is one column. Raises :class:`DataError` naming the first non-finite cell.
    """
    index = x.index if isinstance(x, (pd.Series, pd.DataFrame)) else None
    if isinstance(x, pd.DataFrame):
        columns = list(x.columns)
    elif isinstance(x, pd.Series):
        columns = [x.name if x.name is not None else 0]
    else:
        columns = None
    arr = _numeric(x, name)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise DataError(f"{name} has {arr.ndim} dimensions, shape {arr.shape}", where=name,
                        fix="pass a (T, k) array: one row per period, one column per model")
    n_rows, n_cols = arr.shape
    if columns is None:
        columns = list(range(n_cols))
    if n_cols < 1:
        raise DataError(f"{name} has no columns (shape {arr.shape})", where=name,
                        fix="pass at least one series")
    if n_rows < min_rows:
        raise DataError(f"{name} has {n_rows} rows; at least {min_rows} are needed",
                        where=name, fix="pass a longer sample")
    panel = Panel(np.ascontiguousarray(arr), columns, index)
    if _all_finite(panel.values):
        return panel
    bad = ~np.isfinite(panel.values)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise DataError(
            f"{name} has a non-finite value {float(panel.values[i, j])!r} in column {columns[j]!r} "
            f"(column {j}) at {panel.row_label(i)}; {int(bad.sum())} non-finite cells in all",
            where=f"{name}[{i}, {j}]",
            fix="drop or fill the missing periods before testing (a missing return is not 0 "
                "unless the strategy was flat)")
    return panel


def as_series(x: Any, *, name: str, min_rows: int = 2) -> np.ndarray:
    """Coerce a 1-D array or Series (or one-column 2-D input) to a finite float64 vector."""
    arr = _numeric(x, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        x = x.iloc[:, 0] if isinstance(x, pd.DataFrame) else arr[:, 0]
    elif arr.ndim != 1:
        raise DataError(f"{name} must be one series; got shape {arr.shape}", where=name,
                        fix="pass a 1-D array or a Series (one strategy at a time)")
    return as_panel(x, name=name, min_rows=min_rows).values[:, 0]


def check_int(value: Any, name: str, *, minimum: int, below: int | None = None) -> int:
    """An integer ``minimum <= value < below`` or :class:`ConfigError`."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{name}={value!r} is not an integer", where=name,
                          fix=f"pass an integer >= {minimum}")
    value = int(value)
    if value < minimum or (below is not None and value >= below):
        rng = f">= {minimum}" + (f" and < {below}" if below is not None else "")
        raise ConfigError(f"{name}={value} is out of range", where=name,
                          fix=f"pass an integer {rng}")
    return value


def check_real(value: Any, name: str, *, minimum: float | None = None) -> float:
    """A finite real number (``>= minimum`` when given) or :class:`ConfigError`."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name}={value!r} is not a real number", where=name,
                          fix="pass a finite float")
    value = float(value)
    if not math.isfinite(value) or (minimum is not None and value < minimum):
        bound = f" >= {minimum}" if minimum is not None else ""
        raise ConfigError(f"{name}={value!r} is not a finite number{bound}", where=name,
                          fix=f"pass a finite float{bound}")
    return value
