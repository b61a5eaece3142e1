"""The CLI tests' store: a real file with one synthetic dataset and a run config beside it."""

from __future__ import annotations

import json

import pytest

from qrp_cli import CONFIG, qrp
from qrp_jupyter.cli import EXIT_OK


@pytest.fixture
def cli_db(tmp_path):
    db = tmp_path / "cli.sqlite"
    assert qrp("init", "--db", str(db)).returncode == EXIT_OK
    r = qrp("data", "add", "--synthetic", "--bars", "1500", "--seed", "3", "--edge", "0.2",
            "--name", "syn", "--db", str(db), "--json")
    assert r.returncode == EXIT_OK, r.stderr
    assert len(json.loads(r.stdout)["dataset_id_v2"]) == 64
    (tmp_path / "run.toml").write_text(CONFIG)
    return db
