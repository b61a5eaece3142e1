"""``runs.list_runs``: the one listing behind ``qrp runs`` and ``%qrp_runs``."""

from __future__ import annotations

import json
import subprocess
import sys

from world_configs import NOISE_TOML

from qrp_jupyter.runs import RUN_LISTING_COLUMNS, execute_run, list_runs, replay_run


def test_lists_every_run_oldest_first_with_instances_and_replays_apart(world):
    rows = list_runs(world.store)
    assert [r["run_key"] for r in rows] == [world.edge.run_key, world.noise.run_key]
    assert all(tuple(r) == RUN_LISTING_COLUMNS for r in rows)
    assert [(r["instances"], r["replays"]) for r in rows] == [(1, 0), (1, 0)]
    assert rows[0]["dataset_id_v2"] == world.edge.dataset_id_v2

    replay_run(world.store, world.edge.run_key)
    again = execute_run(world.store, NOISE_TOML, source="noise.toml")
    assert again.run_key == world.noise.run_key  # same config and data: a new instance
    rows = {r["run_key"]: r for r in list_runs(world.store)}
    assert (rows[world.edge.run_key]["instances"], rows[world.edge.run_key]["replays"]) == (1, 1)
    assert (rows[world.noise.run_key]["instances"],
            rows[world.noise.run_key]["replays"]) == (2, 0)


def test_empty_store_lists_nothing(store):
    assert list_runs(store) == []


def test_cli_runs_json_is_the_listing(world):
    path = world.store.path
    r = subprocess.run([sys.executable, "-c",
                        "import sys; from qrp_jupyter.cli import main; sys.exit(main())",
                        "runs", "--db", str(path), "--json"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == list_runs(world.store)
