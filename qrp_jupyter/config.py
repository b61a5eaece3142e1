"""The run config: a TOML document, validated, with every default filled in.

The same schema is taken by ``qrp run CONFIG.toml`` and by the ``%%qrp_run`` cell magic. The
normalised dict (:attr:`RunConfig.identity`) is what ``run_key`` hashes: every key present, every
value typed, nothing that is only a label or a location (the run ``name`` and the dataset
*reference* are labels; the resolved ``dataset_id_v2`` goes into the key instead).

Example::

    name = "btc-trend"            # a label; not part of the run_key
    family = "btc-trend"          # a label for people: the trial registry ignores it

    [data]
    dataset = "synthetic-edge"    # a registered name, or a dataset_id_v2 (prefix)
    asset = "SYN"                 # optional for single-asset data
    # assets = ["BTC", "ETH"]     # a panel strategy's universe (default: every asset)
    periods_per_year = 8760       # optional: inferred from the bar interval

    [strategy]
    kind = "ma_crossover"         # ma_crossover | ts_momentum | zscore_reversion |
                                  # donchian_breakout | xs_momentum (panel) | user
    long_only = false
    [strategy.grid]
    fast = [5, 10, 20]
    slow = [50, 100, 200]
    [strategy.overlay]            # optional: volatility targeting on any strategy
    kind = "vol_target"
    target_vol = 0.3              # annualised
    vol_lookback = 720            # bars
    max_leverage = 2.0

    [costs]
    fee_bps = 4.0
    slippage_bps = 1.0
    funding_bps_per_period = 0.0  # perpetual futures: longs pay a positive rate per bar

    [walk_forward]                # out of sample, priced as one book (entry, switches, exit)
    mode = "cpcv"                 # expanding | rolling | cpcv
    n_folds = 6                   # walk-forward test windows, or the N groups of CPCV
    test_groups = 2               # cpcv only: groups tested per split (C(6, 2) = 15 splits)
    purge = 24                    # rows kept out of training before every test block
    embargo = 24                  # cpcv only: rows kept out of training after every test block

    [nulls.reality_check]         # White (2000), over the whole grid
    reps = 1000
    block_size = "auto"           # or an integer number of bars
    studentize = false

    [nulls.spa_stepm]             # Hansen (2005) SPA and Romano-Wolf (2005) StepM, one bootstrap
    reps = 1000
    studentize = true
    size = 0.05                   # StepM familywise error rate

    [nulls.pbo]                   # CSCV, Bailey et al. (2017)
    n_blocks = 16

    [nulls.permutation]           # Masters (2018): re-run the grid on shuffled returns
    enabled = true                # off by default (each replicate re-runs the whole grid)
    reps = 200
    block_size = 1                # bars per permuted block
    statistic = "sharpe"          # sharpe | sharpe_annual | mean_return | total_return
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError
from .textfile import nesting_depth

__all__ = ["RunConfig", "parse_config", "DEFAULTS", "STRATEGY_KINDS", "MAX_GRID_POINTS",
           "MAX_NESTING"]

STRATEGY_KINDS = ("ma_crossover", "ts_momentum", "zscore_reversion", "donchian_breakout",
                  "xs_momentum", "user")

#: Every key the schema knows, with its default. ``None`` marks a required or derived value.
DEFAULTS: dict[str, Any] = {
    "name": None,
    "family": "default",
    "data": {"dataset": None, "asset": None, "assets": None, "periods_per_year": None},
    "strategy": {"kind": None, "function": None, "long_only": False, "grid": None,
                 "overlay": None},
    "costs": {"fee_bps": 0.0, "slippage_bps": 0.0, "funding_bps_per_period": 0.0},
    "walk_forward": {"enabled": True, "n_folds": 4, "mode": "expanding", "purge": 0,
                     "embargo": 0, "test_size": None, "min_train": None,
                     "objective": "sharpe", "test_groups": 2},
    "nulls": {
        "reality_check": {"enabled": True, "reps": 1000, "block_size": "auto",
                          "studentize": False},
        "spa_stepm": {"enabled": True, "reps": 1000, "block_size": "auto", "studentize": True,
                      "size": 0.05},
        "pbo": {"enabled": True, "n_blocks": 16},
        # Off by default; when off it is left out of the identity (see RunConfig.identity).
        "permutation": {"enabled": False, "reps": 200, "block_size": 1,
                        "statistic": "sharpe"},
    },
}

#: Null tests added after identity schema 1: they enter the ``run_key`` only when enabled, so
#: a config written before they existed keeps its ``run_key`` (and its trials are not counted
#: twice in the trial registry) after an upgrade.
_OPTIONAL_NULLS = ("permutation",)

#: The metrics the permutation test can maximise (``qrp_jupyter.stats.permutation.STATISTICS``,
#: repeated here so parsing a config does not import the numba kernels; a test pins them).
PERMUTATION_STATISTICS = ("sharpe", "sharpe_annual", "mean_return", "total_return")

_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,), "family": (str,),
    "data.dataset": (str,), "data.asset": (str,), "data.assets": (list,),
    "data.periods_per_year": (int, float),
    "strategy.kind": (str,), "strategy.function": (str,), "strategy.long_only": (bool,),
    "strategy.grid": (dict,), "strategy.overlay": (dict,),
    "costs.fee_bps": (int, float), "costs.slippage_bps": (int, float),
    "costs.funding_bps_per_period": (int, float),
    "walk_forward.enabled": (bool,), "walk_forward.n_folds": (int,),
    "walk_forward.mode": (str,), "walk_forward.purge": (int,), "walk_forward.embargo": (int,),
    "walk_forward.test_size": (int,), "walk_forward.min_train": (int,),
    "walk_forward.objective": (str,), "walk_forward.test_groups": (int,),
    "nulls.reality_check.enabled": (bool,), "nulls.reality_check.reps": (int,),
    "nulls.reality_check.block_size": (str, int),
    "nulls.reality_check.studentize": (bool,),
    "nulls.spa_stepm.enabled": (bool,), "nulls.spa_stepm.reps": (int,),
    "nulls.spa_stepm.block_size": (str, int), "nulls.spa_stepm.studentize": (bool,),
    "nulls.spa_stepm.size": (int, float),
    "nulls.pbo.enabled": (bool,), "nulls.pbo.n_blocks": (int,),
    "nulls.permutation.enabled": (bool,), "nulls.permutation.reps": (int,),
    "nulls.permutation.block_size": (int,), "nulls.permutation.statistic": (str,),
}

_CHOICES = {
    "strategy.kind": STRATEGY_KINDS,
    "walk_forward.mode": ("expanding", "rolling", "cpcv"),
    "walk_forward.objective": ("sharpe", "mean_return", "total_return"),
    "nulls.permutation.statistic": PERMUTATION_STATISTICS,
}

#: The most bars any row-count key (purge, embargo, test_size, min_train, block sizes) may name.
MAX_BARS = 1_000_000_000
#: The most grid points a config may ask for (the product of its value lists' lengths), checked
#: before anything is expanded or loaded. Memory and time are estimated later, from the data.
MAX_GRID_POINTS = 1_000_000
#: The largest magnitude of an integer grid value (windows and lookbacks are far smaller).
_MAX_GRID_INT = 10**12
#: ``qrp_jupyter.engine.cpcv.MAX_SPLITS``, repeated so that parsing imports no engine (a test
#: pins them equal).
CPCV_MAX_SPLITS = 1000

#: The allowed range of every numeric key: ``(low, high, low_open, high_open, hint)``. Checked
#: for every key at parse time; NaN and infinities are refused everywhere.
_RANGES: dict[str, tuple[float, float, bool, bool, str]] = {
    "data.periods_per_year": (1, 366 * 24 * 3600, False, False,
                              "give the number of bars per year, e.g. 8760 for hourly crypto"),
    "costs.fee_bps": (0, 1000, False, False,
                      "costs are non-negative basis points of traded notional, e.g. 4.0"),
    "costs.slippage_bps": (0, 1000, False, False,
                           "costs are non-negative basis points of traded notional, e.g. 1.0"),
    "costs.funding_bps_per_period": (-1000, 1000, False, False,
                                     "give the perpetual's funding in basis points per bar "
                                     "(longs pay a positive rate), e.g. 0.1"),
    "walk_forward.n_folds": (1, 1000, False, False, "use e.g. 4 folds (or 6 CPCV groups)"),
    "walk_forward.purge": (0, MAX_BARS, False, False, "give a number of bars, e.g. 24"),
    "walk_forward.embargo": (0, MAX_BARS, False, False, "give a number of bars, e.g. 24"),
    "walk_forward.test_size": (1, MAX_BARS, False, False, "give a number of bars"),
    "walk_forward.min_train": (1, MAX_BARS, False, False, "give a number of bars"),
    "walk_forward.test_groups": (1, 999, False, False, "use e.g. 2 (cpcv only)"),
    "nulls.reality_check.reps": (1, 1_000_000, False, False,
                                 "use e.g. 1000 bootstrap replicates"),
    "nulls.reality_check.block_size": (1, MAX_BARS, False, False,
                                       "use \"auto\" or a whole number of bars >= 1"),
    "nulls.spa_stepm.reps": (1, 1_000_000, False, False, "use e.g. 1000 bootstrap replicates"),
    "nulls.spa_stepm.block_size": (1, MAX_BARS, False, False,
                                   "use \"auto\" or a whole number of bars >= 1"),
    "nulls.spa_stepm.size": (0, 0.5, True, True,
                             "give StepM's familywise error rate, e.g. 0.05"),
    "nulls.permutation.reps": (1, 100_000, False, False,
                               "use e.g. 200 permutations (each re-runs the whole grid)"),
    "nulls.permutation.block_size": (1, MAX_BARS, False, False,
                                     "use 1 (single bars) or a whole number of bars per block"),
}

_FAMILY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$")


class _Locator:
    """Finds the line of a dotted key in TOML text (tomllib reports no positions)."""

    def __init__(self, text: str, source: str, line_offset: int):
        self.lines = text.splitlines()
        self.source = source
        self.offset = line_offset

    def where(self, dotted: str) -> str:
        parts = dotted.split(".")
        # Array index suffixes like grid.fast[2] locate the key itself.
        parts = [re.sub(r"\[\d+\]$", "", p) for p in parts]
        section: list[str] = []
        for no, raw in enumerate(self.lines, start=1):
            line = raw.split("#", 1)[0].strip()
            m = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?$", line)
            if m:
                section = [s.strip().strip('"') for s in m.group(1).split(".")]
                if section == parts:
                    return f"{self.source}:{no + self.offset} key {dotted!r}"
                continue
            m = re.match(r'^("?)([A-Za-z0-9_\-]+)\1\s*=', line)
            if m and section + [m.group(2)] == parts[:len(section) + 1] \
                    and len(section) + 1 == len(parts):
                return f"{self.source}:{no + self.offset} key {dotted!r}"
        return f"{self.source} key {dotted!r}"


@dataclass(frozen=True)
class RunConfig:
    """A validated run config.

    Attributes
    ----------
    values
        The complete config with every default filled in (still holding the dataset reference
        and the name).
    source
        Where it came from (file name or ``<cell>``), for error messages.
    """

    values: dict[str, Any]
    source: str
    text: str = ""
    line_offset: int = 0

    def where(self, dotted: str) -> str:
        """``file:line key 'a.b'`` for a key of this config, for later validation stages."""
        return _Locator(self.text, self.source, self.line_offset).where(dotted)

    @property
    def name(self) -> str | None:
        return self.values["name"]

    @property
    def family(self) -> str:
        return self.values["family"]

    @property
    def dataset_ref(self) -> str:
        return self.values["data"]["dataset"]

    def identity(self, *, asset: str | None, assets: list[str] | None,
                 periods_per_year: float, grid_points: list[dict[str, Any]],
                 overlay: dict[str, Any] | None) -> dict[str, Any]:
        """The part of the config that ``run_key`` hashes, with derived values resolved.

        The grid enters as its expanded, validated point list: two spellings of one grid
        (``[5, 10]`` vs ``[5.0, 10]`` for an int parameter) run the same experiment.
        """
        v = copy.deepcopy(self.values)
        v.pop("name")
        v["data"].pop("dataset")
        v["data"]["asset"] = asset
        v["data"]["assets"] = assets
        v["data"]["periods_per_year"] = float(periods_per_year)
        v["strategy"]["grid"] = grid_points
        v["strategy"]["overlay"] = overlay
        for key in ("fee_bps", "slippage_bps", "funding_bps_per_period"):
            v["costs"][key] = float(v["costs"][key])
        for key in _OPTIONAL_NULLS:
            if not v["nulls"][key]["enabled"]:
                del v["nulls"][key]
        return v


def _merge(defaults: dict[str, Any], given: dict[str, Any], prefix: str,
           loc: _Locator) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in given:
        if key not in defaults:
            dotted = f"{prefix}{key}"
            known = ", ".join(sorted(defaults))
            raise ConfigError(f"unknown key {dotted!r}", where=loc.where(dotted),
                              fix=f"use one of: {known} (check the spelling)")
    for key, default in defaults.items():
        dotted = f"{prefix}{key}"
        if isinstance(default, dict):
            sub = given.get(key, {})
            if not isinstance(sub, dict):
                raise ConfigError(f"{dotted!r} must be a table, got {sub!r}",
                                  where=loc.where(dotted), fix=f"write it as [{dotted}]")
            out[key] = _merge(default, sub, dotted + ".", loc)
        else:
            out[key] = given.get(key, default)
    return out


def _check_types(values: dict[str, Any], loc: _Locator) -> None:
    for dotted, types in _TYPES.items():
        node: Any = values
        for part in dotted.split("."):
            node = node[part]
        if node is None:
            continue
        # bool is an int in Python; a config that writes `reps = true` is a mistake.
        if isinstance(node, bool) and bool not in types:
            ok = False
        else:
            ok = isinstance(node, types)
        if not ok:
            names = " or ".join(t.__name__ for t in types)
            raise ConfigError(f"{dotted!r} must be {names}, got {node!r}",
                              where=loc.where(dotted), fix=f"write {dotted} as a {names}")
        if dotted in _CHOICES and node not in _CHOICES[dotted]:
            raise ConfigError(f"{dotted!r} = {node!r} is not one of {list(_CHOICES[dotted])}",
                              where=loc.where(dotted),
                              fix=f"choose one of {', '.join(_CHOICES[dotted])} (case matters)")


def _fmt_bound(x: float) -> str:
    return f"{x:,}" if isinstance(x, int) or float(x).is_integer() and abs(x) >= 1000 \
        else f"{x:g}"


def _check_ranges(v: dict[str, Any], loc: _Locator) -> None:
    """Every numeric key finite and inside its range (:data:`_RANGES`), named with the range."""
    for dotted, (low, high, low_open, high_open, hint) in _RANGES.items():
        node: Any = v
        for part in dotted.split("."):
            node = node[part]
        if node is None or isinstance(node, (str, bool)):
            continue  # unset (a default is derived), or "auto": checked elsewhere
        shown_range = (("(" if low_open else "[") + f"{_fmt_bound(low)}, {_fmt_bound(high)}"
                       + (")" if high_open else "]"))
        if isinstance(node, float) and not math.isfinite(node):
            raise ConfigError(f"{dotted} = {node!r} is not a finite number (allowed: "
                              f"{shown_range})", where=loc.where(dotted), fix=hint)
        too_low = node <= low if low_open else node < low
        too_high = node >= high if high_open else node > high
        if too_low or too_high:
            side = (f"is below {_fmt_bound(low)}" if node < low else
                    f"is above {_fmt_bound(high)}" if node > high else
                    f"is not strictly {'above' if too_low else 'below'} "
                    f"{_fmt_bound(low if too_low else high)}")
            raise ConfigError(f"{dotted} = {node!r} {side} (allowed: {shown_range})",
                              where=loc.where(dotted), fix=hint)


def _check_values(v: dict[str, Any], loc: _Locator) -> None:
    def bad(dotted: str, what: str, fix: str) -> ConfigError:
        return ConfigError(what, where=loc.where(dotted), fix=fix)

    if not _FAMILY_RE.match(v["family"]):
        raise bad("family", f"family {v['family']!r} is not a valid research family name",
                  "use letters, digits and _.:/- (max 128), e.g. \"btc-trend\"")
    if v["data"]["dataset"] is None:
        raise bad("data.dataset", "the config names no dataset",
                  "add `dataset = \"NAME\"` under [data] (see `qrp data list`)")
    _check_ranges(v, loc)
    s = v["strategy"]
    if s["kind"] is None:
        raise bad("strategy.kind", "the config names no strategy kind",
                  f"add `kind = ...` under [strategy], one of {', '.join(STRATEGY_KINDS)}")
    if s["kind"] == "user" and not s["function"]:
        raise bad("strategy.function", "strategy kind 'user' needs a function",
                  "add `function = \"my_signal\"` (a notebook function or module:function)")
    if s["kind"] != "user" and s["function"] is not None:
        raise bad("strategy.function", f"`function` is only for kind 'user', not {s['kind']!r}",
                  "remove `function`, or set kind = \"user\"")
    if not s["grid"]:
        raise bad("strategy.grid", "the config has no parameter grid",
                  "add a [strategy.grid] table, e.g. fast = [5, 10] and slow = [50, 100]")
    for key, values in s["grid"].items():
        dotted = f"strategy.grid.{key}"
        if not isinstance(values, list):
            values = [values]
            s["grid"][key] = values
        if not values:
            raise bad(dotted, f"grid list {dotted!r} is empty", "give at least one value")
        for i, val in enumerate(values):
            if isinstance(val, bool) or not isinstance(val, (int, float)):
                raise bad(dotted, f"{dotted}[{i}] = {val!r} is not a number",
                          "grid values are numbers, e.g. [5, 10, 20]")
            if isinstance(val, float) and not math.isfinite(val):
                raise bad(dotted, f"{dotted}[{i}] = {val!r} is not a finite number",
                          "grid values are finite numbers, e.g. [5, 10, 20]")
            if isinstance(val, int) and abs(val) > _MAX_GRID_INT:
                raise bad(dotted, f"{dotted}[{i}] = {val} is outside [-{_MAX_GRID_INT:,}, "
                          f"{_MAX_GRID_INT:,}]", "grid values are parameters such as window "
                          "lengths in bars, e.g. [5, 10, 20]")
    n_points = math.prod(len(values) for values in s["grid"].values())
    if n_points > MAX_GRID_POINTS:
        sizes = " x ".join(str(len(values)) for values in s["grid"].values())
        raise bad("strategy.grid", f"the grid has {sizes} = {n_points:,} points, more than "
                  f"the {MAX_GRID_POINTS:,} a run may try",
                  "use fewer values per parameter (every point is a trial that the null "
                  "tests must correct for)")
    assets = v["data"]["assets"]
    if assets is not None:
        if not assets or not all(isinstance(a, str) for a in assets) or \
                len(set(assets)) != len(assets):
            raise bad("data.assets", f"assets = {assets!r} is not a list of distinct names",
                      "list the panel's assets once each, e.g. [\"BTC\", \"ETH\", \"SOL\"]")
        if v["data"]["asset"] is not None:
            raise bad("data.asset", "both `asset` and `assets` are set",
                      "use `asset` for a single-asset strategy, `assets` for a panel one")
    wf = v["walk_forward"]
    if wf["mode"] != "cpcv" and wf["embargo"]:
        raise bad("walk_forward.embargo",
                  f"walk_forward.embargo = {wf['embargo']} has no effect in mode "
                  f"{wf['mode']!r}: training always precedes testing, so no train row ever "
                  "follows a test window", "set it to 0 or use mode = \"cpcv\"")
    if wf["mode"] == "cpcv":
        if wf["test_size"] is not None:
            raise bad("walk_forward.test_size",
                      f"walk_forward.test_size = {wf['test_size']} has no effect in mode "
                      "'cpcv': the n_folds groups split all rows evenly",
                      "remove test_size (set n_folds, the number of groups, instead)")
        if not 1 <= wf["test_groups"] < wf["n_folds"]:
            raise bad("walk_forward.test_groups",
                      f"walk_forward.test_groups = {wf['test_groups']} is not in [1, n_folds"
                      f" - 1] = [1, {wf['n_folds'] - 1}]: cpcv needs groups left to train on",
                      "use e.g. n_folds = 6 groups with test_groups = 2")
        splits = math.comb(wf["n_folds"], wf["test_groups"])
        if splits > CPCV_MAX_SPLITS:
            raise bad("walk_forward.n_folds",
                      f"walk_forward.n_folds = {wf['n_folds']} groups with test_groups = "
                      f"{wf['test_groups']} make C({wf['n_folds']}, {wf['test_groups']}) = "
                      f"{splits:,} CPCV splits, more than {CPCV_MAX_SPLITS:,}",
                      "use fewer groups or test groups, e.g. n_folds = 6, test_groups = 2")
    for name in ("reality_check", "spa_stepm"):
        sec, at = v["nulls"][name], f"nulls.{name}"
        bs = sec["block_size"]
        if isinstance(bs, str) and bs != "auto":
            raise bad(f"{at}.block_size", f"block_size = {bs!r} is not understood",
                      "write \"auto\" (Politis-White) or a whole number of bars")
    sp = v["nulls"]["spa_stepm"]
    # StepM can reject a model only if the smallest attainable p-value 1/(reps + 1) is at most
    # its size: the same comparison stats.romano_wolf makes, made here before any work.
    if sp["enabled"] and not (1.0 / (1.0 + sp["reps"]) <= sp["size"]):
        need = math.ceil(1.0 / sp["size"]) - 1
        raise bad("nulls.spa_stepm.reps",
                  f"nulls.spa_stepm: size = {sp['size']!r} is below the smallest attainable "
                  f"p-value 1/(reps + 1) = {1.0 / (1.0 + sp['reps']):.4g} with reps = "
                  f"{sp['reps']}: StepM could never reject a model",
                  f"raise nulls.spa_stepm.reps to at least {need} or raise size")
    nb = v["nulls"]["pbo"]["n_blocks"]
    if nb < 2 or nb > 20 or nb % 2:
        raise bad("nulls.pbo.n_blocks", f"n_blocks = {nb} is not an even number in [2, 20]",
                  "use an even number of CSCV blocks, e.g. 16 (12,870 splits)")


#: The deepest nesting of tables and arrays a config may have (the schema needs 4).
MAX_NESTING = 16


def _too_deep(source: str) -> ConfigError:
    return ConfigError(f"the config nests tables or arrays more than {MAX_NESTING} levels deep",
                       where=source, fix="a run config is a few flat tables (see `qrp run "
                       "--help` and configs/); remove the nested brackets")


def parse_config(text_or_dict: str | dict[str, Any], *, source: str = "<config>",
                 line_offset: int = 0) -> RunConfig:
    """Parse and validate a run config; raise :class:`ConfigError` naming file, line and key.

    Parameters
    ----------
    text_or_dict
        TOML text, or an already-parsed dict (then locations name only the key).
    source
        Name used in error locations, e.g. the config file's path or ``"<cell>"``.
    line_offset
        Added to reported line numbers (a magic's first line is not part of the TOML body).
    """
    if isinstance(text_or_dict, dict):
        text, data = "", text_or_dict
    else:
        # A byte order mark (Windows editors write one) is not part of the TOML.
        text = text_or_dict.removeprefix("\ufeff")
        try:
            data = tomllib.loads(text)
        except RecursionError:
            raise _too_deep(source) from None
        except tomllib.TOMLDecodeError as exc:
            msg = str(exc)
            m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
            where = source
            if m:
                where = f"{source}:{int(m.group(1)) + line_offset} column {m.group(2)}"
                msg = msg[:m.start()].strip()
            raise ConfigError(f"the config is not valid TOML: {msg}", where=where,
                              fix="correct the TOML syntax on that line (strings need quotes, "
                                  "tables are [section])") from None
    # Counted without recursion: copying or hashing a deeper document would overflow the stack.
    if nesting_depth(data, limit=MAX_NESTING) > MAX_NESTING:
        raise _too_deep(source)
    data = copy.deepcopy(data) if isinstance(text_or_dict, dict) else data
    loc = _Locator(text, source, line_offset)
    values = _merge(DEFAULTS, data, "", loc)
    _check_types(values, loc)
    _check_values(values, loc)
    return RunConfig(values=values, source=source, text=text, line_offset=line_offset)
