"""Shared fixtures: a real SQLite store with the full schema, and pinned time."""

from __future__ import annotations

from pathlib import Path

import pytest

from qrp_jupyter.store import Store
from world_configs import EDGE_TOML, NOISE_TOML, WORLD_BARS

import insider

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` beside the repo: real exchange candles (present in CI)."""
    return SHARED_DATA


@pytest.fixture
def store(tmp_path):
    """A file-backed store (WAL, triggers, views) in a temporary folder."""
    s = Store(tmp_path / "qrp.sqlite")
    yield s
    s.close()


@pytest.fixture
def mem_store():
    """An in-memory store with the full schema: the cheap fixture for pure SQL tests."""
    s = Store(":memory:")
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _actor(monkeypatch):
    monkeypatch.setenv("QRP_ACTOR", "pytest")


# ---------------------------------------------------------------------------------------------
# A small real world: two synthetic datasets, an edge run and a data-mined noise run.
# Built once per session (it runs the real engine and bootstrap), then copied per test so that
# tests which tamper with the file never see each other's damage.
# ---------------------------------------------------------------------------------------------

def build_world(path):
    """Create a store at ``path`` with both datasets and both runs; returns their outcomes."""
    from qrp_jupyter.data import synthetic
    from qrp_jupyter.runs import execute_run, register_dataset

    s = Store(path)
    # Seed 5: with generator 2 the best trial's PBO is 0.0 (seed 7 gave 0.38: four correlated
    # lookbacks rank by noise on some paths), so the golden path does not rest on a near tie.
    register_dataset(s, synthetic(n_bars=WORLD_BARS, seed=5, edge=0.15), name="edge")
    register_dataset(s, synthetic(n_bars=WORLD_BARS, seed=11, edge=0.0), name="noise")
    edge = execute_run(s, EDGE_TOML, source="edge.toml")
    noise = execute_run(s, NOISE_TOML, source="noise.toml")
    s.close()
    return edge, noise


@pytest.fixture(scope="session")
def _world_template(tmp_path_factory):
    import os
    old = os.environ.get("QRP_ACTOR")
    os.environ["QRP_ACTOR"] = "pytest"
    path = tmp_path_factory.mktemp("world") / "world.sqlite"
    edge, noise = build_world(path)
    if old is None:
        os.environ.pop("QRP_ACTOR")
    # Fold the WAL into the main file so a plain copy is a complete store.
    s = Store(path)
    s.checkpoint()
    s.close()
    return path, edge, noise


class World:
    def __init__(self, store, edge, noise):
        self.store, self.edge, self.noise = store, edge, noise


@pytest.fixture
def world(_world_template, tmp_path):
    import shutil
    src, edge, noise = _world_template
    dst = tmp_path / "world.sqlite"
    shutil.copyfile(src, dst)
    s = Store(dst)
    yield World(s, edge, noise)
    s.close()


def table_counts(store) -> dict[str, int]:
    """Row count of every table: the 'nothing was written' oracle."""
    names = [r[0] for r in insider.rows(
        store, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {n: insider.row(store, f"SELECT COUNT(*) FROM {n}")[0] for n in names}


@pytest.fixture
def counts():
    """``counts(store)``: row count of every table (assert nothing was written)."""
    return table_counts
