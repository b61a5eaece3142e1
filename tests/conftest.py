"""Shared fixtures: a real SQLite store with the full schema, and pinned time."""

from __future__ import annotations

from pathlib import Path

import pytest

from qrp_jupyter.store import Store

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


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
