"""``%%qrp_run``: a TOML cell becomes a recorded run; bad input is one line and writes nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kshell import assert_one_line_usage_error, qrp_magics, run
from qrp_kernel import RunResult

import insider

RUN_CELL = """\
name = "cell run"
family = "t-cell"
[data]
dataset = "edge"
[strategy]
kind = "ts_momentum"
[strategy.grid]
lookback = [1, 2, 4]
[walk_forward]
n_folds = 2
[nulls.reality_check]
reps = 49
[nulls.spa_stepm]
reps = 49
[nulls.pbo]
n_blocks = 4
"""

USER_CELL = """\
family = "t-cell-user"
[data]
dataset = "edge"
[strategy]
kind = "user"
function = "my_signal"
[strategy.grid]
lookback = [1, 3]
[walk_forward]
enabled = false
[nulls.reality_check]
reps = 49
[nulls.spa_stepm]
enabled = false
[nulls.pbo]
enabled = false
"""

SIGNAL = """\
import numpy as np
def my_signal(close, lookback):
    out = np.zeros_like(close)
    out[lookback:] = np.sign(close[lookback:] - close[:-lookback])
    return out
"""


def qrp_run(ip, line: str, body: str):
    return run(ip, f"%%qrp_run {line}\n{body}")


def test_run_cell_records_the_run_and_returns_a_result(ip, world):
    cell = qrp_run(ip, "--out res", RUN_CELL)
    assert cell.error is None, cell.error
    res = cell.value
    assert isinstance(res, RunResult) and ip.user_ns["res"] is res
    row = insider.row(world.store, "SELECT name, family, dataset_id_v2 FROM runs WHERE run_key = ?",
                                   (res.run_key,))
    assert (row["name"], row["family"]) == ("cell run", "t-cell")
    assert row["dataset_id_v2"] == res.dataset_id_v2
    inst = insider.row(world.store, "SELECT run_key FROM run_instances WHERE run_instance_id = ?",
                                    (res.run_instance_id,))
    assert inst["run_key"] == res.run_key
    assert set(res.artifacts) >= {"returns_matrix", "reality_check", "pbo"}
    assert res.summary["n_trials"] == 3
    trials = res.trials
    assert list(trials.index) == [0, 1, 2] and list(trials["lookback"]) == [1, 2, 4]
    assert {"sharpe", "sharpe_annual", "n_trades"} <= set(trials.columns)
    R = res.returns()
    assert R.ndim == 2 and R.shape[1] == 3 and np.isfinite(R).all()


def test_the_result_displays_as_the_core_run_bundle_with_every_hash(ip):
    from qrp_jupyter.views import MIME_RUN

    magics = qrp_magics(ip)
    magics.max_trials, magics.max_points = 2, 50
    res = qrp_run(ip, "", RUN_CELL).value
    bundle = res._repr_mimebundle_()
    assert {"text/plain", "text/html", MIME_RUN} <= set(bundle)
    payload = bundle[MIME_RUN]
    text = json.dumps(payload)
    for ident in (res.run_key, res.run_instance_id, res.dataset_id_v2,
                  *res.artifacts.values()):
        assert ident in text
    assert "data:image/svg+xml;base64," in bundle["text/html"]
    # the display limits are the settings in force when the cell ran
    assert len(payload["trials"]) == 2 and payload["n_trials"] == 3
    assert len(payload["equity"]["index"]) <= 50
    assert "eligibility" in payload
    # what the shell displays as the cell's output is that same bundle
    data, _ = ip.display_formatter.format(res)
    assert data[MIME_RUN] == payload


def test_progress_is_shown_and_updated_in_place(ip):
    cell = qrp_run(ip, "", RUN_CELL)
    texts = cell.texts
    assert texts[0].startswith("qrp_run cell run: starting")
    assert any("reality_check done" in t for t in texts)
    assert texts[-2] == "qrp_run cell run: all 6 stages done"
    assert "<progress" in cell.captured.outputs[-2].data["text/html"]
    # Then the bar is replaced by its final line, text only: the saved cell keeps that line
    # and the run's own output (with its QRP payload), no bar.
    final = cell.captured.outputs[-1].data
    assert final == {"text/plain": "qrp_run cell run: all 6 stages done",
                     "text/html": "<div>qrp_run cell run: all 6 stages done</div>"}
    qrp_magics(ip).progress = False
    assert qrp_run(ip, "", RUN_CELL).texts == []


def test_a_failed_run_leaves_a_final_line_saying_where_it_stopped(ip, counts, world):
    before = counts(world.store)
    ip.run_cell("def broken(close, lookback):\n    raise ValueError('no signal today')\n")
    cell = qrp_run(ip, "", USER_CELL.replace('"my_signal"', '"broken"'))
    assert cell.error is not None
    final = cell.captured.outputs[-1].data
    assert final["text/plain"] == "qrp_run: stopped before any stage finished (0/3 stages done)"
    assert "<progress" not in final["text/html"]
    assert counts(world.store) == before


def test_name_and_dataset_options_are_bound_into_the_config(ip, world):
    res = qrp_run(ip, '"renamed run" --dataset noise', RUN_CELL).value
    row = insider.row(world.store, "SELECT name, dataset_id_v2 FROM runs WHERE run_key = ?",
                                   (res.run_key,))
    noise = insider.row(world.store, "SELECT dataset_id_v2 FROM dataset_names WHERE name = 'noise'")
    assert row["name"] == "renamed run"
    assert row["dataset_id_v2"] == noise["dataset_id_v2"] == res.dataset_id_v2
    # a name holding TOML syntax is a value, never pasted into the text
    odd = qrp_run(ip, "'x\" = 1 [evil]'", RUN_CELL).value
    assert insider.row(world.store, "SELECT name FROM runs WHERE run_key = ?",
                                    (odd.run_key,))["name"] == 'x" = 1 [evil]'
    # the same experiment under another label: same run_key, a new instance
    assert odd.run_key == qrp_run(ip, "", RUN_CELL).value.run_key


def test_dataset_option_works_when_the_cell_names_no_dataset(ip):
    body = RUN_CELL.replace('dataset = "edge"\n', "")
    cell = qrp_run(ip, "--dataset edge", body)
    assert cell.error is None, cell.error


def test_a_notebook_function_is_hashed_into_the_run_key(ip, world):
    assert run(ip, SIGNAL).error is None
    first = qrp_run(ip, "", USER_CELL).value
    row = insider.row(world.store, "SELECT code_entry_point, code_source FROM runs "
                                   "WHERE run_key = ?", (first.run_key,))
    assert row["code_entry_point"] == "my_signal"
    assert "np.sign(close[lookback:] - close[:-lookback])" in row["code_source"]
    assert run(ip, SIGNAL.replace("np.sign(", "-np.sign(")).error is None
    second = qrp_run(ip, "", USER_CELL).value
    assert second.run_key != first.run_key


# ---------------------------------------------------------------------------------------------
# Bad input: one line, says what and where and how to fix it, and no table changes.
# ---------------------------------------------------------------------------------------------

BAD = {
    "unknown option": ("--bogus 1", RUN_CELL, ["unrecognized arguments: --bogus"]),
    "bad toml": ("", RUN_CELL.replace('kind = "ts_momentum"', "kind = ts_momentum"),
                 ["not valid TOML", "<cell>:7 column 8"]),
    "bad value": ("", RUN_CELL.replace("n_folds = 2", 'n_folds = "two"'),
                  ["walk_forward.n_folds", "<cell>:11"]),
    "bad value with overrides": ("x --dataset edge",
                                 RUN_CELL.replace("n_folds = 2", 'n_folds = "two"'),
                                 ["walk_forward.n_folds", "<cell>:11"]),
    "unknown key": ("", RUN_CELL + "colour = 1\n", ["unknown key", "colour"]),
    "unknown dataset": ("", RUN_CELL.replace('"edge"', '"nope"'), ["nope", "<cell>:5"]),
    "unknown dataset option": ("--dataset nope", RUN_CELL, ["nope", "--dataset"]),
    "unknown function": ("", USER_CELL.replace("my_signal", "no_such_fn"),
                         ["unknown strategy function 'no_such_fn'", "<cell>:7"]),
    "empty cell": ("", "\n  \n", ["no run config"]),
    "bad out name": ("--out 1x", RUN_CELL, ["'1x'", "--out"]),
    "unclosed quote": ('"oops', RUN_CELL, ["cannot split"]),
    "missing store": ("--db /nonexistent/dir/q.sqlite", RUN_CELL, ["no QRP store"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_and_writes_nothing(ip, world, counts, case):
    line, body, needles = BAD[case]
    before = counts(world.store)
    cell = qrp_run(ip, line, body)
    assert_one_line_usage_error(cell, "%%qrp_run", *needles)
    assert counts(world.store) == before


def test_short_errors_off_shows_the_original_error(ip):
    from qrp_jupyter.errors import ConfigError

    qrp_magics(ip).short_errors = False
    cell = qrp_run(ip, "", RUN_CELL.replace('"edge"', "edge"))
    assert isinstance(cell.error, ConfigError)


def test_result_promote_makes_a_candidate_of_the_best_trial(ip, world):
    res = qrp_run(ip, "", RUN_CELL).value
    out = res.promote("candidate")
    cand = insider.row(world.store, "SELECT candidate_id, trial_index, run_instance_id, status "
                                    "FROM promotion_candidates")
    assert out.data.candidate_id == cand["candidate_id"]
    assert cand["trial_index"] == res.summary["best_trial"]
    assert cand["run_instance_id"] == res.run_instance_id
    assert cand["status"] == ("candidate" if out.data.passed else "exploratory")
    assert out._repr_mimebundle_()["text/plain"].split(":")[0] in ("PROMOTED", "REFUSED")
