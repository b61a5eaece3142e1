"""Limits before work: the memory budget, its estimate, and refusals that write nothing."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from qrp_jupyter import engine, limits
from qrp_jupyter.config import parse_config
from qrp_jupyter.data import synthetic
from qrp_jupyter.errors import BudgetExceeded, ConfigError
from qrp_jupyter.runs import budget as B
from qrp_jupyter.runs import prepare_run
from qrp_jupyter.store.codec import _ARRAY_MAGIC, encode_array, encode_array_buffer
from qrp_jupyter.identity import canonical_json
from world_configs import EDGE_TOML, NOISE_TOML, WORLD_BARS

CLI = "from qrp_jupyter.cli import main; import sys; sys.exit(main(sys.argv[1:]))"


def qrp(*args, env=None):
    """The real CLI in a subprocess; the budget variables only as ``env`` gives them."""
    import os
    full = {k: v for k, v in os.environ.items() if not k.startswith("QRP_MEMORY_BUDGET")}
    full.update({"QRP_ACTOR": "budget-test", **(env or {})})
    return subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, text=True,
                          env=full)


def file_digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def _no_budget_env(monkeypatch):
    for name in (limits.ENV_MEMORY_BUDGET, limits.ENV_CHUNK_COLUMNS, limits.ENV_CHUNK_BYTES):
        monkeypatch.delenv(name, raising=False)


def grid_toml(fast, slow, *, reps=299, bars_note=""):
    return NOISE_TOML.replace("fast = [2, 4, 8, 16]", f"fast = {list(fast)}").replace(
        "slow = [24, 48, 96]", f"slow = {list(slow)}").replace("reps = 299", f"reps = {reps}")


# --------------------------------------------------------------------------- sizes and budget

@pytest.mark.parametrize("text, expected", [
    ("8GiB", 8 * 2**30), ("512MiB", 512 * 2**20), ("512mib", 512 * 2**20), ("2GB", 2 * 10**9),
    ("1.5GiB", int(1.5 * 2**30)), ("4096", 4096), (" 64 KiB ", 64 * 1024), ("3G", 3 * 2**30),
    ("off", None), ("OFF", None), (1024, 1024)])
def test_sizes_parse(text, expected):
    assert limits.parse_size(text, name="X") == expected


@pytest.mark.parametrize("bad", ["lots", "8 GiBs", "-5MiB", "0", "1e9", "", "GiB", True, "0.0001B"])
def test_a_bad_size_names_the_variable_and_the_fix(bad):
    with pytest.raises(ConfigError) as e:
        limits.parse_size(bad, name="QRP_MEMORY_BUDGET")
    assert "QRP_MEMORY_BUDGET" in str(e.value) and e.value.where == "QRP_MEMORY_BUDGET"
    assert "512MiB" in e.value.fix


def test_budget_precedence_argument_then_env_then_machine(monkeypatch):
    info = limits.meminfo()
    assert info["MemTotal"] > 0 and 0 < info["MemAvailable"] <= info["MemTotal"]
    default, source = limits.resolve_budget()
    assert default == min(int(info["MemTotal"] * 0.6), info["MemAvailable"]) or \
        abs(default - min(int(info["MemTotal"] * 0.6), info["MemAvailable"])) < 256 * 2**20
    assert "MemTotal" in source
    monkeypatch.setenv("QRP_MEMORY_BUDGET", "3GiB")
    assert limits.resolve_budget() == (3 * 2**30, "QRP_MEMORY_BUDGET")
    assert limits.resolve_budget("1MiB") == (2**20, "memory_budget")
    monkeypatch.setenv("QRP_MEMORY_BUDGET", "off")
    assert limits.resolve_budget() == (None, "QRP_MEMORY_BUDGET")
    monkeypatch.setenv("QRP_MEMORY_BUDGET", "plenty")
    with pytest.raises(ConfigError, match="QRP_MEMORY_BUDGET='plenty' is not a size"):
        limits.resolve_budget()


def test_chunk_setting(monkeypatch):
    assert limits.chunk_columns(43_799) == limits.DEFAULT_CHUNK_BYTES // (8 * 43_800)
    monkeypatch.setenv("QRP_CHUNK_BYTES", "1MiB")
    assert limits.chunk_columns(1023) == 128
    monkeypatch.setenv("QRP_CHUNK_COLUMNS", "7")
    assert limits.chunk_columns(10**6) == 7  # columns win over bytes
    for bad in ("0", "many", "-3", "2.5"):
        monkeypatch.setenv("QRP_CHUNK_COLUMNS", bad)
        with pytest.raises(ConfigError, match="QRP_CHUNK_COLUMNS"):
            limits.chunk_columns(100)


# --------------------------------------------------------------------------- counting, estimate

@pytest.mark.parametrize("kind, grid", [
    ("ma_crossover", {"fast": [2, 5, 50, 9], "slow": [20, 100, 5, 50]}),
    ("ma_crossover", {"fast": [10, 20], "slow": [5, 6]} | {"fast": [3, 10, 20]}),
    ("zscore_reversion", {"lookback": [20, 50], "entry": [1.0, 2.0, 1.5], "exit": [0.0, 1.5, 2.0]}),
    ("ts_momentum", {"lookback": [1, 2, 3]}),
    ("donchian_breakout", {"lookback": [10, 20, 40, 80]})])
def test_points_are_counted_exactly_without_expanding(kind, grid):
    assert B.count_grid_points(kind, grid) == len(engine.expand_grid(kind, grid).points)


def test_malformed_grids_are_left_to_the_expansion():
    assert B.count_grid_points("ma_crossover", {"fast": 5, "slow": [10]}) is None
    assert B.count_grid_points("no_such_family", {"a": [1]}) is None
    assert B.count_grid_points("ma_crossover", None) is None
    assert B.count_grid_points("user", {"a": [1, 2, 3], "b": [True, False]}) == 6


def _values(reps=1000, studentize=True):
    return parse_config(NOISE_TOML.replace("reps = 299", f"reps = {reps}")).values


def test_estimate_grows_with_points_bars_and_reps():
    base = B.estimate_run(_values(), n_bars=40_000, n_points=1000)
    more_points = B.estimate_run(_values(), n_bars=40_000, n_points=2000)
    more_bars = B.estimate_run(_values(), n_bars=80_000, n_points=1000)
    more_reps = B.estimate_run(_values(reps=100_000), n_bars=40_000, n_points=1000)
    for bigger in (more_points, more_bars, more_reps):
        assert bigger.peak_bytes > base.peak_bytes
        assert bigger.seconds > base.seconds
    series = [B.estimate_run(_values(), n_bars=n, n_points=k).peak_bytes
              for n, k in ((1000, 10), (1000, 100), (10_000, 100), (10_000, 10_000))]
    assert series == sorted(series) and len(set(series)) == 4
    # the returns matrix term is exact
    assert base.returns_bytes == 8 * 39_999 * 1000


# --------------------------------------------------------------------------- refusals

def test_a_tiny_budget_refuses_before_work_with_the_estimate_and_the_fix(world, counts):
    before = counts(world.store)
    with pytest.raises(BudgetExceeded) as e:
        prepare_run(world.store, NOISE_TOML, source="noise.toml", memory_budget="1MiB")
    msg = str(e.value)
    est = e.value.estimate
    assert est.n_points == 12 and est.n_bars == WORLD_BARS
    assert "memory budget is 1.0 MiB (from memory_budget)" in msg
    assert limits.format_bytes(est.peak_bytes) in msg and "the biggest terms:" in msg
    assert all(name in msg for name, _ in est.terms[:3]) and "interpreter" in msg
    for hint in ("fewer grid points (now 12)", f"fewer bars (now {WORLD_BARS:,}",
                 "reality_check.reps = 299", "QRP_MEMORY_BUDGET"):
        assert hint in e.value.fix
    assert e.value.where.startswith("noise.toml:")  # the line of [strategy.grid]
    assert counts(world.store) == before
    assert prepare_run(world.store, NOISE_TOML, memory_budget="off").run_key == \
        world.noise.run_key


def test_the_env_budget_applies_and_off_disables_it(world, monkeypatch):
    monkeypatch.setenv("QRP_MEMORY_BUDGET", "2MiB")
    with pytest.raises(BudgetExceeded, match=r"from QRP_MEMORY_BUDGET"):
        prepare_run(world.store, NOISE_TOML)
    monkeypatch.setenv("QRP_MEMORY_BUDGET", "off")
    assert prepare_run(world.store, NOISE_TOML).run_key == world.noise.run_key
    monkeypatch.setenv("QRP_MEMORY_BUDGET", "a lot")
    with pytest.raises(ConfigError, match="QRP_MEMORY_BUDGET='a lot' is not a size"):
        prepare_run(world.store, NOISE_TOML)


def test_a_ten_million_point_grid_is_refused_without_being_expanded(world, counts,
                                                                    monkeypatch):
    def no_expansion(*a, **k):  # a spy: the refusal must come before any expansion
        raise AssertionError("the grid was expanded")
    monkeypatch.setattr(engine, "expand_grid", no_expansion)
    before = counts(world.store)
    toml = grid_toml(range(1, 3163), range(3163, 6326))
    # The config parser's cap on grid size fires first, from the axes' lengths alone.
    with pytest.raises(ConfigError, match="more than the 1,000,000 a run may try") as e:
        prepare_run(world.store, toml, memory_budget="off")
    assert "3162 x 3163 = 10,001,406 points" in str(e.value)
    assert counts(world.store) == before
    # Under the cap, the budget's estimate (counted, not expanded) refuses what cannot fit:
    # 999,999 points of 3,999 returns are a 29.8 GiB matrix.
    big = grid_toml(range(1, 1000), range(1000, 2001))
    with pytest.raises(BudgetExceeded) as e:
        prepare_run(world.store, big, memory_budget="16GiB")
    assert e.value.estimate.n_points == 999 * 1001
    assert "returns matrix (3,999 rows x 999,999 points, float64) 29.8 GiB" in str(e.value)
    assert "but the memory budget is 16.0 GiB" in str(e.value)
    assert counts(world.store) == before


def test_a_matrix_past_sqlite_s_value_limit_is_no_reason_to_refuse(world):
    """32,000 points x 3,999 rows: 1,023,744,000 bytes, more than one SQLite value holds
    (1,000,000,000). The store keeps such a matrix in parts, so only the budget decides, and
    recording costs a few parts beside the matrix's bytes, not a second copy."""
    toml = grid_toml(range(2, 202), range(300, 460))
    est = B.estimate_run(parse_config(toml).values, n_bars=4000, n_points=32_000)
    assert est.returns_bytes == 8 * 3999 * 32_000 > 1_000_000_000
    assert est.stages["recording (the bytes and their zlib form)"] < \
        est.stages["encoding the returns matrix"]
    with pytest.raises(BudgetExceeded, match="memory budget is 1.0 MiB") as e:
        prepare_run(world.store, toml, memory_budget="1MiB")
    assert "returns matrix (3,999 rows x 32,000 points, float64) 976.3 MiB" in str(e.value)
    assert B.check_run_budget(parse_config(toml).values, n_bars=4000, n_points=32_000,
                            memory_budget="64GiB").returns_bytes == est.returns_bytes


def test_synthetic_data_is_refused_before_allocating(monkeypatch):
    with pytest.raises(BudgetExceeded) as e:
        synthetic(n_bars=10**9)
    assert "1,000,000,000 synthetic bars" in str(e.value) and "memory budget is" in str(e.value)
    assert "ask for at most" in e.value.fix
    monkeypatch.setenv("QRP_MEMORY_BUDGET", "1MiB")
    with pytest.raises(BudgetExceeded, match="from QRP_MEMORY_BUDGET"):
        synthetic(n_bars=100_000)
    monkeypatch.setenv("QRP_MEMORY_BUDGET", "off")
    assert synthetic(n_bars=100).close().shape == (100,)


# --------------------------------------------------------------------------- CLI

def test_cli_run_with_a_tiny_budget_exits_2_and_writes_nothing(tmp_path):
    db = tmp_path / "b.sqlite"
    r = qrp("data", "add", "--synthetic", "--bars", "1500", "--name", "noise", "--db", str(db))
    assert r.returncode == 0, r.stderr
    cfg = tmp_path / "run.toml"
    cfg.write_text(NOISE_TOML)
    before = file_digest(db)
    r = qrp("run", str(cfg), "--db", str(db), "--memory-budget", "1MiB")
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("qrp run: error: the run needs an estimated ")
    assert "memory budget is 1.0 MiB" in r.stderr and "Fix: shrink the run" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert file_digest(db) == before  # the store file is byte for byte what it was
    runs = qrp("runs", "--db", str(db), "--json")
    assert runs.returncode == 0 and runs.stdout.strip() == "[]"


def test_cli_bad_budget_and_huge_synthetic_data_exit_2(tmp_path):
    db = tmp_path / "c.sqlite"
    cfg = tmp_path / "run.toml"
    cfg.write_text(NOISE_TOML)
    r = qrp("run", str(cfg), "--db", str(db), "--memory-budget", "huge")
    assert r.returncode == 2 and "memory_budget='huge' is not a size" in r.stderr
    r = qrp("run", str(cfg), "--db", str(db), env={"QRP_MEMORY_BUDGET": "lots"})
    assert r.returncode == 2 and "QRP_MEMORY_BUDGET='lots' is not a size" in r.stderr
    assert "(at QRP_MEMORY_BUDGET)" in r.stderr and "Traceback" not in r.stderr
    r = qrp("data", "add", "--synthetic", "--bars", "1000000000", "--db", str(db))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "1,000,000,000 synthetic bars" in r.stderr and "ask for at most" in r.stderr
    assert not db.exists()


# --------------------------------------------------------------------------- lean encoding

def _reference_encode(arr):
    """The encoding as first written: canonical copy, then bytes (the format's definition)."""
    a = np.asarray(arr)
    kind = "float64" if a.dtype.kind == "f" else "int64"
    a = np.ascontiguousarray(a, dtype="<f8" if kind == "float64" else "<i8").copy()
    if kind == "float64":
        a[np.isnan(a)] = np.nan
        a[a == 0.0] = 0.0
    header = canonical_json({"dtype": kind, "shape": list(a.shape)}).encode()
    return _ARRAY_MAGIC + header + b"\n" + a.tobytes(order="C")


@pytest.mark.parametrize("arr", [
    np.array([[1.0, -0.0], [np.nan, -np.nan]]), np.zeros((0, 3)), np.arange(7),
    np.float32([1.5, -0.0, np.inf]), np.arange(24.0).reshape(4, 6)[:, ::2],
    np.arange(12.0).reshape(3, 4).T, np.array(3.25), np.uint8([1, 255]),
    np.random.default_rng(0).standard_normal((300, 50))])
def test_the_lean_encoder_gives_the_same_bytes(arr, monkeypatch):
    import qrp_jupyter.store.codec as codec
    monkeypatch.setattr(codec, "_ENCODE_STEP", 7)  # many steps over the canonicalisation
    assert encode_array(arr) == _reference_encode(arr)
    assert bytes(encode_array_buffer(arr)) == _reference_encode(arr)


def test_stepm_size_below_reach_of_its_reps_is_refused_before_work(world, counts,
                                                                   monkeypatch):
    def no_expansion(*a, **k):
        raise AssertionError("the grid was expanded")
    monkeypatch.setattr(engine, "expand_grid", no_expansion)
    before = counts(world.store)
    toml = NOISE_TOML + "[nulls.spa_stepm]\nreps = 9\nsize = 0.05\n"
    with pytest.raises(ConfigError) as e:
        prepare_run(world.store, toml, source="s.toml")
    assert "size = 0.05 is below the smallest attainable p-value 1/(reps + 1) = 0.1" in str(e.value)
    assert e.value.where.startswith("s.toml:") and "nulls.spa_stepm.reps" in e.value.where
    assert "raise nulls.spa_stepm.reps to at least 19" in e.value.fix
    assert counts(world.store) == before


def test_a_replay_is_held_to_the_budget_with_the_run_s_own_estimate(world, counts, monkeypatch):
    # A replay recomputes the run: on a machine whose budget it exceeds it is refused before
    # any work, with the same estimate the run itself had (rebuilt from the stored identity).
    from qrp_jupyter.runs import replay_run
    with pytest.raises(BudgetExceeded) as at_run:
        prepare_run(world.store, NOISE_TOML, memory_budget="1MiB")
    monkeypatch.setenv("QRP_MEMORY_BUDGET", "1MiB")
    before = counts(world.store)
    with pytest.raises(BudgetExceeded) as e:
        replay_run(world.store, world.noise.run_instance_id)
    assert e.value.estimate == at_run.value.estimate
    assert "from QRP_MEMORY_BUDGET" in str(e.value)
    assert e.value.where == f"replay of run {world.noise.run_key[:12]}"
    assert counts(world.store) == before
