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


_BATCH = r"""
import contextlib, io, json, sys, traceback
from qrp_jupyter.cli import main
results = []
for argv in json.loads(sys.stdin.read()):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own refusals
            code = exc.code
        except BaseException:
            traceback.print_exc()
            code = 1
    results.append({"code": code, "stderr": err.getvalue()})
print(json.dumps(results))
"""


def qrp_many(commands: list[list[str | Path]]) -> list[dict]:
    """Run many ``qrp`` command lines in one fresh process, one ``main(argv)`` call each (the
    same entry point the ``qrp`` script calls): exit code and stderr of every call. Saves the
    interpreter start and imports per case; each call still opens its files from scratch."""
    env = {**os.environ, "QRP_ACTOR": "data-test"}
    r = subprocess.run([sys.executable, "-c", _BATCH], capture_output=True, text=True, env=env,
                       input=json.dumps([[str(a) for a in argv] for argv in commands]),
                       timeout=600)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)
