"""Built-in strategy families: their parameters, validation and grid expansion.

A family is pure description: parameter names, types, ranges and cross-parameter constraints.
The kernels that turn a validated grid into positions live in :mod:`._kernels` and are
dispatched by family name in :mod:`.backtest`. Keeping the description separate lets the config
layer validate a run (and fill in every default for ``run_key``) without touching numba.
"""

from __future__ import annotations

import itertools
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import ConfigError

__all__ = ["ParamSpec", "StrategyFamily", "FAMILIES", "GridExpansion", "expand_grid",
           "get_family", "MAX_ABS_POSITION"]

# Larger windows are certainly typos (a million hourly bars is over a century).
_MAX_WINDOW = 1_000_000

#: Largest absolute position (in multiples of equity) a user strategy may take. Beyond it a
#: position is far more likely a unit mistake (a price, a quantity in coins) than a strategy.
MAX_ABS_POSITION = 10.0


@dataclass(frozen=True)
class ParamSpec:
    """One strategy parameter.

    Parameters
    ----------
    name
        Key in the config (``strategy.grid.<name>``).
    kind
        ``int`` or ``float``; validated values are coerced to it.
    low, high
        Inclusive bounds.
    doc
        One line for error messages and generated docs.
    default
        Value used when the grid does not mention the parameter; ``None`` means required.
    """

    name: str
    kind: type
    low: float
    high: float
    doc: str
    default: int | float | None = None

    def coerce(self, value: Any, *, where: str) -> int | float:
        """Check one value's type and range; return it as ``kind`` (ConfigError otherwise)."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ConfigError(
                f"{self.name}={value!r} ({type(value).__name__}) is not a number",
                where=where, fix=f"give {self.name} as {self.kind.__name__} ({self.doc})")
        if not math.isfinite(float(value)):
            raise ConfigError(f"{self.name}={value!r} is not finite", where=where,
                              fix=f"give a finite {self.kind.__name__}")
        if self.kind is int:
            # An integral float (5.0 from YAML or JSON) is accepted and becomes 5: the stored,
            # hashed config then holds the int, so 5 and 5.0 name the same run.
            if float(value) != math.floor(float(value)):
                raise ConfigError(f"{self.name}={value!r} is not a whole number", where=where,
                                  fix=f"{self.name} counts bars: give an int")
            out: int | float = int(value)
        else:
            out = float(value)
        if not self.low <= out <= self.high:
            raise ConfigError(
                f"{self.name}={value!r} is outside [{self.low:g}, {self.high:g}]", where=where,
                fix=f"choose {self.name} in [{self.low:g}, {self.high:g}] ({self.doc})")
        return out


@dataclass(frozen=True)
class StrategyFamily:
    """A named family of strategies with typed, bounded parameters.

    ``constraint`` takes a dict of coerced parameters and returns ``None`` when the point is
    admissible, else a sentence saying why not (e.g. ``fast=50 is not below slow=20``).
    ``panel`` families trade several assets at once and run through ``backtest_panel``.
    """

    name: str
    params: tuple[ParamSpec, ...]
    doc: str
    constraint: Callable[[dict[str, Any]], str | None] | None = field(
        default=None, repr=False, compare=False)
    constraint_doc: str = ""
    panel: bool = False

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def spec(self, name: str) -> ParamSpec:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def _check_keys(self, keys, *, where: str) -> None:
        unknown = [k for k in keys if k not in self.param_names]
        if unknown:
            raise ConfigError(
                f"unknown parameter {unknown[0]!r} for strategy family {self.name!r}",
                where=f"{where}.{unknown[0]}",
                fix=f"use only {', '.join(self.param_names)}")
        for p in self.params:
            if p.default is None and p.name not in keys:
                raise ConfigError(
                    f"required parameter {p.name!r} of family {self.name!r} is missing",
                    where=f"{where}.{p.name}", fix=f"give {p.name} ({p.doc})")

    def validate(self, params: dict[str, Any], *, where: str) -> dict[str, Any]:
        """Check one parameter point and return it complete, coerced, in declared order.

        Raises
        ------
        ConfigError
            Unknown or missing key, wrong type, out of range, or a family constraint violated;
            the message names ``where.<key>``.
        """
        if not isinstance(params, dict):
            raise ConfigError(f"a parameter point must be a dict, got {type(params).__name__}",
                              where=where, fix="give the point as {name: value}")
        self._check_keys(params.keys(), where=where)
        out = {p.name: p.coerce(params.get(p.name, p.default), where=f"{where}.{p.name}")
               for p in self.params}
        problem = self.constraint(out) if self.constraint else None
        if problem:
            raise ConfigError(f"{problem}", where=where, fix=self.constraint_doc or None)
        return out


def _fast_below_slow(p: dict[str, Any]) -> str | None:
    if p["fast"] >= p["slow"]:
        return f"fast={p['fast']} is not below slow={p['slow']}"
    return None


def _exit_within_entry(p: dict[str, Any]) -> str | None:
    if p["exit"] > p["entry"]:
        return f"exit={p['exit']:g} is above entry={p['entry']:g}"
    return None


FAMILIES: dict[str, StrategyFamily] = {
    "ma_crossover": StrategyFamily(
        name="ma_crossover",
        params=(
            ParamSpec("fast", int, 1, _MAX_WINDOW, "fast simple moving average window, in bars"),
            ParamSpec("slow", int, 2, _MAX_WINDOW, "slow simple moving average window, in bars"),
        ),
        doc=("Long (+1) while the fast SMA of close is above the slow SMA, short (-1) while it "
             "is below (flat instead when long_only), flat when equal and during the first "
             "slow-1 bars, where the slow SMA is undefined."),
        constraint=_fast_below_slow,
        constraint_doc="the fast window must be shorter than the slow window",
    ),
    "ts_momentum": StrategyFamily(
        name="ts_momentum",
        params=(
            ParamSpec("lookback", int, 1, _MAX_WINDOW, "lookback of the trailing return, in bars"),
            ParamSpec("threshold", float, 0.0, 10.0,
                      "dead band: trade only when |trailing return| exceeds it", default=0.0),
        ),
        doc=("Time-series momentum: long (+1) when close[t]/close[t-lookback] - 1 exceeds "
             "threshold, short (-1) when it is below -threshold (flat instead when long_only), "
             "flat otherwise and during the first lookback bars."),
    ),
    "zscore_reversion": StrategyFamily(
        name="zscore_reversion",
        params=(
            ParamSpec("lookback", int, 2, _MAX_WINDOW,
                      "bars in the window of the z-score (mean and sample std, ddof=1)"),
            ParamSpec("entry", float, 0.0, 100.0, "enter against the move when |z| > entry"),
            ParamSpec("exit", float, 0.0, 100.0,
                      "go flat when |z| < exit (0: never, hold until the opposite entry)",
                      default=0.0),
        ),
        doc=("Mean reversion on z = (close - mean) / std over the last lookback closes, the "
             "current one included: short (-1) when z > entry (flat instead when long_only), "
             "long (+1) when z < -entry, flat when |z| < exit, otherwise the previous position "
             "is held. Flat during the first lookback-1 bars; z is 0 over a constant window."),
        constraint=_exit_within_entry,
        constraint_doc="the exit band must lie inside the entry band: exit <= entry",
    ),
    "donchian_breakout": StrategyFamily(
        name="donchian_breakout",
        params=(
            ParamSpec("lookback", int, 1, _MAX_WINDOW,
                      "bars in the channel (the closes before the current bar)"),
        ),
        doc=("Channel breakout on closes: long (+1) when close[t] is above the highest of the "
             "previous lookback closes close[t-lookback..t-1], short (-1) when below their "
             "lowest (flat instead when long_only), otherwise the previous position is held. "
             "The channel excludes the current bar; flat during the first lookback bars."),
    ),
    "xs_momentum": StrategyFamily(
        name="xs_momentum",
        params=(
            ParamSpec("lookback", int, 1, _MAX_WINDOW,
                      "lookback of the trailing return that ranks the assets, in bars"),
            ParamSpec("top_k", int, 1, 100_000, "assets held long (and short) per side"),
        ),
        doc=("Cross-sectional momentum over a panel of assets: rank by trailing return "
             "close[t]/close[t-lookback] - 1 (ties: lower asset index ranks higher), long the "
             "top_k at +1/(2 top_k) each and short the bottom_k at -1/(2 top_k) each (gross "
             "exposure 1, dollar neutral); long_only holds the top_k at 1/top_k each. Flat "
             "during the first lookback bars. Needs 2 * top_k <= number of assets."),
        panel=True,
    ),
}


def get_family(name: Any, *, where: str = "strategy.family") -> StrategyFamily:
    """The family called ``name`` (ConfigError naming the known ones otherwise)."""
    if not isinstance(name, str) or name not in FAMILIES:
        raise ConfigError(f"unknown strategy family {name!r}", where=where,
                          fix=f"use one of {', '.join(sorted(FAMILIES))}, or pass a function")
    return FAMILIES[name]


@dataclass(frozen=True)
class GridExpansion:
    """Result of :func:`expand_grid`.

    Attributes
    ----------
    points
        The admissible points, each complete (defaults filled in) and coerced, in cartesian
        order: the family's declared parameter order, values in the order given.
    dropped
        The combinations that violated a family constraint (e.g. ``fast >= slow``), in the same
        order. They are reported, not silently lost: a run stores how many were dropped.
    """

    points: tuple[dict[str, Any], ...]
    dropped: tuple[dict[str, Any], ...]

    @property
    def n_dropped(self) -> int:
        return len(self.dropped)


def expand_grid(family: str, grid: dict[str, Any], *, where: str = "strategy.grid"
                ) -> GridExpansion:
    """Cartesian product of a parameter grid, validated point by point.

    Parameters
    ----------
    family
        Name of a family in :data:`FAMILIES`.
    grid
        ``{param: [values...]}``; parameters with a default may be left out.
    where
        Config location used in error messages.

    Returns
    -------
    GridExpansion
        ``points`` (admissible, in cartesian order) and ``dropped`` (constraint violations).

    Raises
    ------
    ConfigError
        Unknown family or parameter, a missing required parameter, a value list that is empty
        or not a list, a bad value (named as ``strategy.grid.fast[2]``), a duplicate value, or a
        grid whose every combination violates the family's constraint.

    Examples
    --------
    >>> g = expand_grid("ma_crossover", {"fast": [5, 50], "slow": [20, 100]})
    >>> [(p["fast"], p["slow"]) for p in g.points], g.n_dropped
    ([(5, 20), (5, 100), (50, 100)], 1)
    """
    fam = get_family(family)
    axes = grid_axes(family, grid, where=where)
    points, dropped = [], []
    for combo in itertools.product(*axes):
        point = dict(zip(fam.param_names, combo))
        problem = fam.constraint(point) if fam.constraint else None
        (dropped if problem else points).append(point)
    if not points:
        raise ConfigError(
            f"all {len(dropped)} combinations of the {family} grid violate its constraint "
            f"(first: {fam.constraint(dropped[0])})", where=where,
            fix=fam.constraint_doc or "change the grid")
    return GridExpansion(points=tuple(points), dropped=tuple(dropped))


def grid_axes(family: str, grid: Any, *, where: str = "strategy.grid") -> list[list[Any]]:
    """Each parameter's validated, coerced value list (defaults filled in), in the family's
    parameter order: every check of :func:`expand_grid` that needs no combination, so a bad
    value is named before any work (the product can be large). Raises ConfigError."""
    fam = get_family(family)
    if not isinstance(grid, dict):
        raise ConfigError(f"the grid must be a mapping of parameter lists, got "
                          f"{type(grid).__name__}", where=where,
                          fix="write e.g. {'fast': [5, 10], 'slow': [50, 100]}")
    fam._check_keys(grid.keys(), where=where)
    axes: list[list[Any]] = []
    for spec in fam.params:
        key = f"{where}.{spec.name}"
        if spec.name not in grid:
            axes.append([spec.coerce(spec.default, where=key)])
            continue
        values = grid[spec.name]
        if not isinstance(values, (list, tuple)):
            raise ConfigError(f"{spec.name}={values!r} is not a list of values", where=key,
                              fix=f"wrap it in a list: [{values!r}]")
        if len(values) == 0:
            raise ConfigError(f"the value list of {spec.name} is empty", where=key,
                              fix=f"give at least one {spec.kind.__name__}")
        coerced = [spec.coerce(v, where=f"{key}[{i}]") for i, v in enumerate(values)]
        for i, v in enumerate(coerced):
            first = coerced.index(v)
            if first != i:
                # Duplicate points would be two "trials" of one strategy: they inflate the
                # trial count that deflated Sharpe and SPA correct for.
                raise ConfigError(f"{spec.name}={values[i]!r} repeats {key}[{first}]",
                                  where=f"{key}[{i}]", fix="list each value once")
        axes.append(coerced)
    return axes
