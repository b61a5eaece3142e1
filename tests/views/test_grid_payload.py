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


def _heatmap(html):
    from test_views import embedded_svgs, parse_html

    found = [s for s in embedded_svgs(parse_html(html))
             if s.find("title").text.startswith("annualized Sharpe by")]
    assert len(found) <= 1
    return found[0] if found else None


def test_the_static_view_draws_every_cell_of_the_grid(world):
    from qrp_jupyter.views import MIME_RUN, render_bundle

    bundle = render_bundle(world.store, MIME_RUN, {"ref": world.noise.run_instance_id,
                                                   "max_trials": 3, "max_points": 400})
    grid = bundle[MIME_RUN]["grid"]
    svg = _heatmap(bundle["text/html"])
    assert svg is not None, "no heatmap image in the static html"
    cells = [r for r in svg.iter("rect")][1:]  # the first rect is the background
    assert len(cells) == len(grid["x"]["values"]) * len(grid["y"]["values"]) == 12
    labels = [t.text for t in svg.iter("text")]
    for row in grid["sharpe_annual"]:
        for v in row:
            assert ("\u00b7" if v is None else f"{v:.2f}") in labels
    for value in grid["x"]["values"] + grid["y"]["values"] + ["fast", "slow"]:
        assert str(value) in labels
    assert "Parameter grid: annualized Sharpe of all 12 trials" in bundle["text/html"]
    # a one-parameter run has no heatmap
    edge = render_bundle(world.store, MIME_RUN, {"ref": world.edge.run_instance_id,
                                                 "max_trials": 10, "max_points": 400})
    assert _heatmap(edge["text/html"]) is None


def test_heatmap_text_is_escaped_and_empty_cells_are_marked():
    import xml.etree.ElementTree as ET

    from qrp_jupyter.views.grid_svg import heatmap_svg

    evil = "<img src=x onerror=alert(1)>"
    grid = {"x": {"name": evil, "values": [1, 2]}, "y": {"name": "b", "values": [evil, "y"]},
            "sharpe_annual": [[0.5, None], [1.0, -0.25]], "trial_index": [[0, None], [2, 3]]}
    text = heatmap_svg(grid)
    assert "<img" not in text and "&lt;img" in text
    svg = ET.fromstring(text)
    fills = [r.get("fill") for r in svg.iter("rect")][1:]
    assert fills.count("#f4f4f4") == 1 and len(set(fills)) == 4  # empty, and three values
    labels = [t.text for t in svg.iter("text")]
    assert {"0.50", "1.00", "-0.25", "\u00b7", evil} <= set(labels)
    assert heatmap_svg(grid) == text  # same payload, same bytes
    # the caption's room: a long name widens the image instead of running off its edge
    wide = heatmap_svg({**grid, "x": {"name": "x" * 120, "values": [1, 2]}})
    title = f"annualized Sharpe by {'x' * 120} and b"
    assert float(ET.fromstring(wide).get("width")) >= 6.2 * len(title)
