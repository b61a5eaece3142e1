"""Runs: identity, determinism, one-transaction writes, and clear errors for bad configs."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from qrp_jupyter.errors import ConfigError, NotFoundError, QrpError
from qrp_jupyter.runs import execute_run, prepare_run
from qrp_jupyter.store import decode_array
from world_configs import EDGE_TOML

import insider


def test_same_config_twice_gives_a_new_instance_with_identical_artifacts(world, counts):
    before = counts(world.store)
    again = execute_run(world.store, EDGE_TOML, source="edge.toml")
    assert again.run_key == world.edge.run_key
    assert again.seq == 2 and not again.new_run
    assert again.run_instance_id != world.edge.run_instance_id
    assert again.artifacts == world.edge.artifacts
    after = counts(world.store)
    assert after["runs"] == before["runs"] and after["trials"] == before["trials"]
    assert after["run_instances"] == before["run_instances"] + 1
    assert after["artifacts"] == before["artifacts"]  # deduplicated by content
    assert after["artifact_lineage"] > before["artifact_lineage"]  # each production is a row


def test_labels_do_not_change_the_run_key_but_semantics_do(world):
    renamed = EDGE_TOML.replace('name = "edge"', 'name = "renamed"')
    assert prepare_run(world.store, renamed).run_key == world.edge.run_key
    # int grid values written as floats are the same experiment
    floats = EDGE_TOML.replace("[1, 2, 4, 8]", "[1.0, 2, 4, 8.0]")
    assert prepare_run(world.store, floats).run_key == world.edge.run_key
    for change in (("fee_bps = 1.0", "fee_bps = 1.5"), ("purge = 10", "purge = 11"),
                   ("reps = 299", "reps = 300"), ("[1, 2, 4, 8]", "[1, 2, 4, 9]"),
                   ('family = "t-trend"', 'family = "other"')):
        assert prepare_run(world.store, EDGE_TOML.replace(*change)).run_key \
            != world.edge.run_key, change


def test_dataset_name_and_id_prefix_are_the_same_run(world):
    ds = world.edge.dataset_id_v2
    by_id = EDGE_TOML.replace('dataset = "edge"', f'dataset = "{ds[:10]}"')
    assert prepare_run(world.store, by_id).run_key == world.edge.run_key


def test_stored_trials_match_the_returns_matrix(world):
    R = decode_array(world.store.get_artifact(world.edge.artifacts["returns_matrix"]))
    rows = insider.rows(world.store, "SELECT trial_index, sharpe, n_obs FROM trials "
                                     "WHERE run_key = ? ORDER BY trial_index",
                        (world.edge.run_key,))
    assert len(rows) == R.shape[1] == 4
    for r in rows:
        col = R[:, r["trial_index"]]
        assert r["n_obs"] == len(col)
        assert r["sharpe"] == pytest.approx(col.mean() / col.std(ddof=1), rel=1e-12)


def test_lineage_and_edges_connect_outputs_to_inputs(world):
    kinds = {r["kind"]: r["role"] for r in insider.rows(world.store,
        "SELECT kind, role FROM artifact_lineage WHERE run_instance_id = ?",
        (world.edge.run_instance_id,))}
    assert kinds["dataset"] == "input" and kinds["run_key_payload"] == "input"
    for k in ("returns_matrix", "metrics_table", "null_distribution", "reality_check",
              "walk_forward", "fold_causality", "seed_records"):
        assert kinds[k] == "output", k
    a = world.edge.artifacts
    parents = {r["parent_id"] for r in insider.rows(world.store,
        "SELECT parent_id FROM artifact_edges WHERE child_id = ?", (a["returns_matrix"],))}
    assert parents == {a["dataset"], a["run_key_payload"]}
    # The run_key payload artifact *is* the run_key: its id is the hash of the identity.
    assert a["run_key_payload"] == world.edge.run_key


def test_fresh_processes_agree_bit_for_bit(world, tmp_path):
    """Same config and data in two new interpreters: same run_key, identical returns bytes."""
    script = textwrap.dedent(f"""
        import json, sys
        from qrp_jupyter.store import Store
        from qrp_jupyter.runs import prepare_run, compute_run
        from qrp_jupyter.identity import sha256_hex
        s = Store(sys.argv[1])
        p = prepare_run(s, {EDGE_TOML!r})
        c = compute_run(p)
        print(json.dumps({{"run_key": p.run_key,
                          "returns": sha256_hex(c.artifacts["returns_matrix"][0])}}))
    """)
    outs = []
    for seed in ("0", "12345"):  # different hash randomisation per process
        env = {"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}
        import os
        env.update({k: v for k, v in os.environ.items() if k.startswith(("NUMBA", "HOME",
                                                                          "VIRTUAL"))})
        res = subprocess.run([sys.executable, "-c", script, world.store.path],
                             capture_output=True, text=True, env=env, check=True)
        outs.append(json.loads(res.stdout.strip().splitlines()[-1]))
    assert outs[0] == outs[1]
    assert outs[0]["run_key"] == world.edge.run_key
    assert outs[0]["returns"] == world.edge.artifacts["returns_matrix"]


def _signal(close, lookback):
    out = np.zeros_like(close)
    out[lookback:] = np.sign(close[lookback:] - close[:-lookback])
    return out


USER_TOML = """\
family = "t-user"
[data]
dataset = "edge"
[strategy]
kind = "user"
function = "_signal"
[strategy.grid]
lookback = [1, 3]
[walk_forward]
enabled = false
[nulls.reality_check]
reps = 99
"""


def test_user_function_source_is_part_of_the_run_key_and_stored(world):
    out = execute_run(world.store, USER_TOML, namespace={"_signal": _signal})
    row = insider.row(world.store, "SELECT code_hash, code_source, code_entry_point FROM runs "
                                   "WHERE run_key = ?", (out.run_key,))
    assert row["code_entry_point"] == "_signal"
    assert row["code_source"].startswith("def _signal(close, lookback):")
    assert out.artifacts["code"] == __import__("hashlib").sha256(
        row["code_source"].encode()).hexdigest()

    def _signal2(close, lookback):
        out = np.zeros_like(close)
        out[lookback:] = -np.sign(close[lookback:] - close[:-lookback])
        return out
    _signal2.__name__ = "_signal"
    other = prepare_run(world.store, USER_TOML, namespace={"_signal": _signal2})
    assert other.run_key != out.run_key


# ---------------------------------------------------------------------------------------------
# Malformed configs: each gives a QrpError saying what, where and how, and writes nothing.
# ---------------------------------------------------------------------------------------------

BAD_CONFIGS = {
    "toml syntax": ("[strategy\nkind = 1", ConfigError, "cfg.toml:1"),
    "unknown top-level key": (EDGE_TOML + "colour = 'red'\n", ConfigError, "colour"),
    "unknown nested key": (EDGE_TOML.replace("fee_bps", "fees_bps"), ConfigError,
                           "costs.fees_bps"),
    "misspelled section": (EDGE_TOML.replace("[costs]", "[cost]"), ConfigError, "cost"),
    "wrong type": (EDGE_TOML.replace("reps = 299", "reps = 'many'"), ConfigError,
                   "nulls.reality_check.reps"),
    "bool for int": (EDGE_TOML.replace("reps = 299", "reps = true"), ConfigError, "reps"),
    "negative cost": (EDGE_TOML.replace("fee_bps = 1.0", "fee_bps = -1.0"), ConfigError,
                      "cfg.toml:10"),
    "unknown strategy kind": (EDGE_TOML.replace('"ts_momentum"', '"TS_Momentum"'),
                              ConfigError, "strategy.kind"),
    "no dataset": (EDGE_TOML.replace('dataset = "edge"\n', ""), ConfigError, "data.dataset"),
    "unknown dataset": (EDGE_TOML.replace('"edge"\n[strategy]', '"nope"\n[strategy]'),
                        NotFoundError, "data.dataset"),
    "empty grid list": (EDGE_TOML.replace("[1, 2, 4, 8]", "[]"), ConfigError,
                        "strategy.grid.lookback"),
    "grid value not a number": (EDGE_TOML.replace("[1, 2, 4, 8]", "[1, 'x']"), ConfigError,
                                "strategy.grid.lookback"),
    "unknown grid parameter": (EDGE_TOML.replace("lookback =", "lookbak ="), ConfigError,
                               "lookbak"),
    "grid out of range": (EDGE_TOML.replace("[1, 2, 4, 8]", "[0, 2]"), ConfigError,
                          "lookback"),
    "fractional int param": (EDGE_TOML.replace("[1, 2, 4, 8]", "[1.5]"), ConfigError,
                             "lookback"),
    "ma fast not below slow": (EDGE_TOML.replace('"ts_momentum"', '"ma_crossover"').replace(
        "lookback = [1, 2, 4, 8]", "fast = [50]\nslow = [10]"), ConfigError, "fast"),
    "bad mode": (EDGE_TOML.replace("n_folds = 3", "n_folds = 3\nmode = 'sideways'"),
                 ConfigError, "walk_forward.mode"),
    "folds do not fit": (EDGE_TOML.replace("n_folds = 3", "n_folds = 3\ntest_size = 5000"),
                         ConfigError, "walk_forward"),
    "user kind without function": (EDGE_TOML.replace('"ts_momentum"', '"user"'),
                                   ConfigError, "strategy.function"),
    "unknown user function": (USER_TOML.replace('"_signal"', '"missing_fn"'), ConfigError,
                              "missing_fn"),
    "bad block size": (EDGE_TOML.replace("reps = 299", "reps = 299\nblock_size = 'big'"),
                       ConfigError, "block_size"),
    "bad asset": (EDGE_TOML.replace('dataset = "edge"', 'dataset = "edge"\nasset = "ETH"'),
                  ConfigError, "data.asset"),
    "bad family name": (EDGE_TOML.replace('"t-trend"', '"has space"'), ConfigError, "family"),
    "permutation reps zero": (EDGE_TOML + "[nulls.permutation]\nenabled = true\nreps = 0\n",
                              ConfigError, "nulls.permutation.reps"),
    "permutation unknown statistic": (
        EDGE_TOML + "[nulls.permutation]\nenabled = true\nstatistic = 'sortino'\n",
        ConfigError, "nulls.permutation.statistic"),
    "permutation block longer than data": (
        EDGE_TOML + "[nulls.permutation]\nenabled = true\nblock_size = 100000\n",
        ConfigError, "nulls.permutation.block_size"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_is_explained_and_writes_nothing(world, counts, case):
    text, exc_type, where = BAD_CONFIGS[case]
    before = counts(world.store)
    with pytest.raises(exc_type) as info:
        execute_run(world.store, text, source="cfg.toml")
    err = info.value
    assert isinstance(err, QrpError)
    msg = str(err)
    assert where in msg, msg
    assert err.fix and "Fix:" in msg, msg
    assert counts(world.store) == before


def test_user_function_from_a_file_next_to_the_config(world, tmp_path):
    (tmp_path / "signals.py").write_text(
        "import numpy as np\n\n\n"
        "def flip(close, lookback):\n"
        "    out = np.zeros_like(close)\n"
        "    out[lookback:] = np.sign(close[lookback:] - close[:-lookback])\n"
        "    return out\n")
    text = USER_TOML.replace('"_signal"', '"signals.py:flip"')
    out = execute_run(world.store, text, base_dir=tmp_path)
    assert insider.row(world.store, "SELECT code_entry_point FROM runs WHERE run_key = ?",
                                    (out.run_key,))["code_entry_point"] == "flip"
    with pytest.raises(ConfigError, match="does not exist"):
        execute_run(world.store, text.replace("signals.py", "nope.py"), base_dir=tmp_path)


def test_progress_reports_every_stage_in_order_and_changes_nothing(world):
    seen = []
    out = execute_run(world.store, EDGE_TOML, source="edge.toml",
                      progress=lambda stage, done, total: seen.append((stage, done, total)))
    stages = [s for s, _, _ in seen]
    assert stages[0] == "start" and seen[0][1] == 0
    assert stages[1:] == ["backtest", "causality_probe", "walk_forward", "reality_check",
                          "spa_stepm", "pbo"]
    assert [d for _, d, _ in seen] == list(range(len(seen)))
    assert {t for _, _, t in seen} == {len(seen) - 1}
    # Same artifacts as the run without a callback (the world's edge run).
    assert out.artifacts == world.edge.artifacts


PERM_TOML = EDGE_TOML + "[nulls.permutation]\nenabled = true\nreps = 49\n"


def test_permutation_null_in_a_run(world):
    """Enabled, it is part of the identity, seeded from the run_key, stored with lineage, and
    the stored result is what the stats function gives on the same inputs."""
    from qrp_jupyter import stats
    from qrp_jupyter.identity import SeedRecord
    from qrp_jupyter.runs import load_dataset

    out = execute_run(world.store, PERM_TOML, source="perm.toml")
    assert out.run_key != world.edge.run_key
    doc = json.loads(world.store.get_artifact(out.artifacts["permutation"]))
    null = decode_array(world.store.get_artifact(out.artifacts["permutation_null_distribution"]))
    assert doc["null_distribution"] == out.artifacts["permutation_null_distribution"]
    assert doc["reps"] == 49 and null.shape == (49,)
    assert out.summary["permutation_pvalue"] == doc["pvalue"]
    seeds = json.loads(world.store.get_artifact(out.artifacts["seed_records"]))["records"]
    rec = next(r for r in seeds if r["salt"] == "permutation")
    close = load_dataset(world.store, "edge").close(None)
    prep = prepare_run(world.store, PERM_TOML)
    want = stats.permutation_test(close, "ts_momentum", prep.points, fee_bps=1.0,
                                  slippage_bps=0.5, reps=49,
                                  seed=SeedRecord(out.run_key, "permutation",
                                                  {"reps": 49, "block_size": 1,
                                                   "statistic": "sharpe"}))
    assert want.seed_record == rec
    np.testing.assert_array_equal(want.null_distribution, null)
    assert want.pvalue == doc["pvalue"]
    parents = {r["relation"] for r in insider.rows(world.store,
        "SELECT relation FROM artifact_edges WHERE child_id = ?",
        (out.artifacts["permutation_null_distribution"],))}
    assert parents == {"derived_from", "seeded_by"}


def test_disabled_permutation_leaves_the_run_key_alone(world):
    """Spelling out the default (disabled) section is the same experiment as omitting it."""
    off = EDGE_TOML + "[nulls.permutation]\nenabled = false\nreps = 7\n"
    prep = prepare_run(world.store, off)
    assert prep.run_key == world.edge.run_key
    assert "permutation" not in prep.identity["nulls"]

