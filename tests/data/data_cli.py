"""Running ``qrp`` as a real subprocess from the data tests, and reading what a store holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_MAIN = "import sys; from qrp_jupyter.cli import main; sys.exit(main(sys.argv[1:]))"


def qrp(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "QRP_ACTOR": "data-test"}
    return subprocess.run([sys.executable, "-c", _MAIN, *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


def dataset_ids(db: Path) -> list[str]:
    """The ids the store at ``db`` lists (through `qrp data list`, read-only)."""
    r = qrp("data", "list", "--db", db, "--json")
    assert r.returncode == 0, r.stderr
    return sorted(row["dataset_id_v2"] for row in json.loads(r.stdout))



def qrp_many(commands: list[list[str | Path]]) -> list[dict]:
    """Many ``qrp`` command lines in one fresh process (see ``tools.qrp_batch``)."""
    from tools import qrp_batch
    return qrp_batch([[str(a) for a in argv] for argv in commands], actor="data-test")
