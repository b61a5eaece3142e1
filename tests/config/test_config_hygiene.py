"""Config hygiene (issue 11, part 6): every constraint the config alone decides is checked at
parse time, before any data is read; those that need the data's length right after it is
loaded, before any backtest. Real stores and the real engine, with tripwires on the data loader
and the backtest entry that fail the test if a refused config ever reaches them.
"""

from __future__ import annotations

import math
import tomllib

import pytest

from qrp_jupyter import engine
from qrp_jupyter.config import (CPCV_MAX_SPLITS, MAX_GRID_POINTS, MAX_NESTING, _RANGES,
                                parse_config)
from qrp_jupyter.data import synthetic
from qrp_jupyter.errors import ConfigError, QrpError
from qrp_jupyter.runs import execute_run, register_dataset
from qrp_jupyter.runs import execute as execute_mod

BASE = """\
family = "hyg"
[data]
dataset = "d"
[strategy]
kind = "ts_momentum"
[strategy.grid]
lookback = [1, 2]
[walk_forward]
n_folds = 2
[nulls.reality_check]
reps = 19
[nulls.spa_stepm]
reps = 19
size = 0.1
[nulls.pbo]
n_blocks = 4
"""


def _with(section: str, line: str, text: str = BASE) -> str:
    head = f"[{section}]\n"
    if head in text:
        return text.replace(head, head + line + "\n", 1)
    return text + head + line + "\n"


@pytest.fixture
def tripwires(monkeypatch):
    """Calls of the data loader and of the backtest entries, recorded; ``block_data`` makes
    loading the data fail the test."""
    calls: list[str] = []

    def backtest(*a, **k):
        calls.append("backtest")
        raise AssertionError("a backtest ran for a config that should have been refused")

    monkeypatch.setattr(engine, "backtest_grid", backtest)
    monkeypatch.setattr(engine, "backtest_panel", backtest)
    real_load = execute_mod.load_dataset

    def load(*a, **k):
        calls.append("load")
        return real_load(*a, **k)

    monkeypatch.setattr(execute_mod, "load_dataset", load)
    return calls


@pytest.fixture
def small_store(store):
    register_dataset(store, synthetic(n_bars=60, seed=2), name="d")
    return store


def test_the_config_copy_of_the_cpcv_split_limit_is_the_engines():
    from qrp_jupyter.engine.cpcv import MAX_SPLITS
    assert CPCV_MAX_SPLITS == MAX_SPLITS


PARSE_TIME = [
    ("StepM size below 1/(reps+1)", _with("nulls.spa_stepm", "size = 0.01")
     .replace("size = 0.1\n", ""), "StepM could never reject a model", "nulls.spa_stepm.reps"),
    ("CPCV splits", BASE.replace("n_folds = 2", 'mode = "cpcv"\nn_folds = 16\ntest_groups = 8'),
     "C(16, 8) = 12,870 CPCV splits", "walk_forward.n_folds"),
    ("grid size", BASE.replace("lookback = [1, 2]", "lookback = ["
                               + ", ".join(map(str, range(1, 1002))) + "]\nx = ["
                               + ", ".join(map(str, range(1000))) + "]"),
     "1001 x 1000 = 1,001,000 points", "strategy.grid"),
    ("periods_per_year 1e-300", _with("data", "periods_per_year = 1e-300"),
     "allowed: [1, 31,622,400]", "data.periods_per_year"),
    ("an unknown overlay kind", _with("strategy.overlay", 'kind = "nope"'),
     "unknown overlay kind 'nope'", "strategy.overlay.kind"),
    ("a grid value out of the family's range", BASE.replace("[1, 2]", "[1, 0]"),
     "lookback", "strategy.grid"),
]


@pytest.mark.parametrize("case,text,needle,key", PARSE_TIME, ids=[c[0] for c in PARSE_TIME])
def test_a_config_only_constraint_is_refused_before_the_data_is_read(small_store, counts,
                                                                     tripwires, case, text,
                                                                     needle, key):
    before = counts(small_store)
    with pytest.raises(ConfigError) as err:
        execute_run(small_store, text, source="c.toml")
    assert needle in str(err.value) and key in str(err.value), str(err.value)
    assert "c.toml" in str(err.value)
    assert tripwires == [], f"{case}: reached {tripwires}"
    assert counts(small_store) == before


AFTER_LOAD = [
    ("a bootstrap block as long as the data", _with("nulls.reality_check", "block_size = 59"),
     "nulls.reality_check.block_size = 59 is not shorter than the 59 returns"),
    ("a SPA block longer than the data", _with("nulls.spa_stepm", "block_size = 500"),
     "nulls.spa_stepm.block_size = 500 is not shorter than the 59 returns"),
    ("more CSCV blocks than the data holds", BASE.replace("n_blocks = 4", "n_blocks = 20")
     .replace("n_folds = 2", "n_folds = 2").replace('dataset = "d"', 'dataset = "tiny"'),
     "nulls.pbo.n_blocks = 20 CSCV blocks do not fit the 11 returns"),
    ("more folds than rows", BASE.replace("n_folds = 2", "n_folds = 100"), "walk_forward"),
    ("a permutation block as long as the data",
     _with("nulls.permutation", "enabled = true\nreps = 5\nblock_size = 59"),
     "block_size = 59 is not below the 59 returns"),
]


@pytest.mark.parametrize("case,text,needle", AFTER_LOAD, ids=[c[0] for c in AFTER_LOAD])
def test_a_constraint_on_the_data_is_refused_after_loading_and_before_any_backtest(
        small_store, counts, tripwires, case, text, needle):
    register_dataset(small_store, synthetic(n_bars=12, seed=4), name="tiny")
    before = counts(small_store)
    with pytest.raises(ConfigError) as err:
        execute_run(small_store, text, source="c.toml")
    assert needle in str(err.value), str(err.value)
    assert tripwires == ["load"], f"{case}: {tripwires}"
    assert counts(small_store) == before


def test_the_data_checks_agree_with_the_null_tests_at_the_edge(small_store):
    """One bar shorter than the refusal runs: the checks do not refuse what the tests take."""
    text = _with("nulls.reality_check", "block_size = 58")
    text = _with("nulls.spa_stepm", "block_size = 58", text)
    out = execute_run(small_store, text, source="edge.toml")
    assert out.summary["reality_check_pvalue"] is not None


def _setting(key: str, value) -> dict:
    """BASE as a dict with ``key`` set to ``value`` (the parser takes dicts too)."""
    doc = tomllib.loads(BASE)
    *sections, leaf = key.split(".")
    node = doc
    for part in sections:
        node = node.setdefault(part, {})
    node[leaf] = value
    return doc


@pytest.mark.parametrize("key", sorted(_RANGES))
def test_every_numeric_key_refuses_nan_and_infinities(key):
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ConfigError) as err:
            parse_config(_setting(key, bad), source="n.toml")
        msg = str(err.value)
        assert key in msg, msg
        # A float key names its range; an integer-only key refuses the type first.
        assert ("is not a finite number" in msg and "allowed:" in msg) or "must be" in msg, msg


@pytest.mark.parametrize("key", sorted(_RANGES))
def test_each_numeric_key_is_refused_just_outside_its_range_and_accepted_at_its_edge(key):
    low, high, low_open, high_open, _ = _RANGES[key]
    floats = key in ("data.periods_per_year", "costs.fee_bps", "costs.slippage_bps",
                     "costs.funding_bps_per_period", "nulls.spa_stepm.size")
    step = 1e-9 * max(1.0, abs(high)) if floats else 1
    for value in (high + step, low - step):
        with pytest.raises(ConfigError) as err:
            parse_config(_setting(key, value), source="r.toml")
        assert key in str(err.value) and "allowed:" in str(err.value), str(err.value)
    edges = ([] if low_open else [low]) + ([] if high_open else [high])
    for value in edges:
        value = float(value) if floats else value
        try:
            parse_config(_setting(key, value), source="r.toml")
        except ConfigError as exc:  # another rule may apply (StepM size vs reps, cpcv keys)
            assert "allowed:" not in str(exc), str(exc)


def test_a_byte_order_mark_is_accepted_and_changes_nothing():
    assert parse_config("\ufeff" + BASE).values == parse_config(BASE).values


@pytest.mark.parametrize("text", [
    "a = " + "[" * 100_000, "a = " + "{x=" * 100_000, "a = " + "[" * 40 + "]" * 40,
    "[" + ".".join(["t"] * 40) + "]\nx = 1\n"])
def test_deep_nesting_is_a_config_error_in_text_and_dict_form(text):
    with pytest.raises(ConfigError, match=f"more than {MAX_NESTING} levels deep"):
        parse_config(text, source="deep.toml")


def test_deep_nesting_in_an_already_parsed_dict_is_refused_without_recursion():
    value: dict = {}
    for _ in range(50_000):  # far deeper than the interpreter's recursion limit
        value = {"a": value}
    with pytest.raises(ConfigError, match="levels deep"):
        parse_config({"data": value})


def test_the_grid_size_limit_is_the_product_of_the_value_lists():
    n = math.isqrt(MAX_GRID_POINTS)
    ok = BASE.replace('kind = "ts_momentum"', 'kind = "ma_crossover"').replace(
        "lookback = [1, 2]", f"fast = {list(range(1, n + 1))}\nslow = {list(range(2, n + 2))}")
    parse_config(ok)  # exactly at the limit: accepted by the parser
    with pytest.raises(ConfigError, match="points, more than"):
        parse_config(ok.replace(f"slow = {list(range(2, n + 2))}",
                                f"slow = {list(range(2, n + 3))}"))


def test_qrp_errors_from_parsing_are_never_other_exceptions():
    """Sanity of the error type: every refusal above is a QrpError with exit code 2."""
    with pytest.raises(QrpError) as err:
        parse_config(_with("costs", "fee_bps = nan"))
    assert err.value.exit_code == 2
