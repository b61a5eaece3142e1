"""The run payload's ``grid``: every trial's annualized Sharpe over the two parameters the
grid varies, for the heatmap (the ``trials`` field holds only the best few)."""

from __future__ import annotations

import json
import math

import pytest

from qrp_jupyter.views import run_payload, validate_payload
from qrp_jupyter.views import run as run_view


def _trials(store, run_key):
    return {r["trial_index"]: (json.loads(r["params_json"]), r["sharpe_annual"])
            for r in store.all("trials.of_run", (run_key,))}


def test_a_two_parameter_grid_carries_every_trial_in_its_cell(world):
    p = run_payload(world.store, world.noise.run_instance_id, max_trials=3)
    assert validate_payload(p) == []
    grid = p["grid"]
    assert (grid["x"]["name"], grid["y"]["name"]) == ("fast", "slow")
    assert grid["x"]["values"] == [2, 4, 8, 16] and grid["y"]["values"] == [24, 48, 96]
    trials = _trials(world.store, world.noise.run_key)
    assert len(p["trials"]) == 3 < len(trials) == p["n_trials"] == 12
    seen = set()
    for i, y in enumerate(grid["y"]["values"]):
        for j, x in enumerate(grid["x"]["values"]):
            index = grid["trial_index"][i][j]
            params, sharpe = trials[index]
            assert (params["fast"], params["slow"]) == (x, y)
            stored = None if sharpe is None or not math.isfinite(sharpe) else sharpe
            assert grid["sharpe_annual"][i][j] == stored
            seen.add(index)
    assert seen == set(trials)  # each trial in exactly one cell
    json.dumps(p, allow_nan=False)


def test_one_varied_parameter_or_too_many_trials_leave_the_grid_out(world, monkeypatch):
    assert "grid" not in run_payload(world.store, world.edge.run_instance_id)
    monkeypatch.setattr(run_view, "GRID_MAX_TRIALS", 11)
    assert "grid" not in run_payload(world.store, world.noise.run_instance_id)
    monkeypatch.setattr(run_view, "GRID_MAX_TRIALS", 12)
    assert "grid" in run_payload(world.store, world.noise.run_instance_id)


@pytest.mark.parametrize("values, expected", [
    ([16, 2, 4.5, 8], [2, 4.5, 8, 16]),
    (["b", "B", "a", 3], [3, "B", "a", "b"]),  # numbers first, then code points: no locale
    ([True, 2, False], [2, False, True]),  # booleans are not numbers
])
def test_axis_values_sort_the_same_way_everywhere(values, expected):
    assert sorted(values, key=run_view._axis_order) == expected


def test_a_schema_departure_in_the_grid_is_named(world):
    p = run_payload(world.store, world.noise.run_instance_id)
    p["grid"]["sharpe_annual"][0][0] = "high"
    problems = validate_payload(p)
    assert problems and any("grid.sharpe_annual[0][0]" in x for x in problems), problems
