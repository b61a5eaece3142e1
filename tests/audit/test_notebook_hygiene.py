"""``qrp verify --notebook`` on malformed notebooks (issue 11, part 6): a file that is not a
notebook is exit 2 (bad input) and a QRP payload that is forged or mistyped is exit 4 (it does
not verify), each with one clear message; never a traceback, and the store is not touched.

One ``python -c "from qrp_jupyter.cli import main; ..."`` subprocess runs every case (see
``tests/cli/test_cli_input_cases.py``); the same checks run in-process through
:func:`qrp_jupyter.views.verify_notebook`, what ``%qrp_verify --notebook`` calls.
"""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from tools import qrp_batch

from qrp_jupyter.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEMS
from qrp_jupyter.errors import QrpError
from qrp_jupyter.views import MIME_LINEAGE, MIME_RUN, verify_notebook

import saved_notebook as snb

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")



@pytest.fixture
def saved(world):
    """A valid saved notebook (a run output and a lineage output) as a dict."""
    inst = world.edge.run_instance_id
    cells = [snb.qrp_cell(world.store, "%%qrp_run\n", MIME_RUN,
                          {"ref": inst, "max_trials": 10, "max_points": 400}),
             snb.qrp_cell(world.store, f"%qrp_lineage {inst}", MIME_LINEAGE, {"ref": inst})]
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


def _run_payload(nb):
    return nb["cells"][0]["outputs"][0]["data"][MIME_RUN]


def _mutated(nb, change):
    out = copy.deepcopy(nb)
    change(out)
    return json.dumps(out).encode()


def _nest(depth):
    value = {}
    for _ in range(depth):
        value = {"a": [value]}
    return value


def _set(key, value):
    return lambda nb: _run_payload(nb).__setitem__(key, value)


def _ledger(nb):
    _run_payload(nb)["ledger"]["block_seq"] = 10**40


def _html_numbers(nb):
    nb["cells"][0]["outputs"][0]["data"]["text/html"] = [1, 2, 3]


def _payload_numbers(nb):
    nb["cells"][0]["outputs"][0]["data"][MIME_RUN] = [1, 2, 3]


def _source_numbers(nb):
    nb["cells"][1]["source"] = [1, 2]


def _outputs_junk(nb):
    nb["cells"][1]["outputs"] = [7, "x", {"data": [1]}, {"output_type": None, "data": None}]


#: (case, change) of a valid notebook whose payload is forged or mistyped: exit 4.
FORGED = [
    ("a list as run_key", _set("run_key", ["a", "b"]), "is not an id"),
    ("a dict as run_key", _set("run_key", {"x": 1}), "is not an id"),
    ("a 10^40 run_instance_id", _set("run_instance_id", 10**40), "is not an id"),
    ("a float dataset id", _set("dataset_id_v2", 1.5), "dataset_id_v2 differs"),
    ("a 10^40 ledger block", _ledger, "is not an id"),
    ("text/html as a list of numbers", _html_numbers, "no text/html beside the payload"),
    ("the payload as a list of numbers", _payload_numbers, "the payload is not a JSON object"),
    ("a payload nested 400 levels deep", _set("artifacts", _nest(400)), "malformed payload"),
    ("artifacts as a string", _set("artifacts", "abc"), "malformed payload"),
    ("a cell source of numbers", _source_numbers, "source_sha256"),
    ("outputs of junk", _outputs_junk, "cell 1"),
]


def test_forged_or_mistyped_payloads_are_exit_4_with_the_problem_named(world, saved,
                                                                      tmp_path, counts):
    db = world.store.path
    before = counts(world.store)
    argvs = []
    for i, (_, change, _) in enumerate(FORGED):
        path = tmp_path / f"nb{i}.ipynb"
        path.write_bytes(_mutated(saved, change))
        argvs.append(["verify", "--notebook", str(path), "--db", db])
    for (case, _, needle), res in zip(FORGED, qrp_batch(argvs)):
        assert res["code"] == EXIT_PROBLEMS, (case, res)
        assert res["stderr"] == "", (case, res["stderr"])
        assert "problem(s)" in res["stdout"] and needle in res["stdout"], (case, res["stdout"])
    assert counts(world.store) == before


def test_files_that_are_not_notebooks_are_exit_2_with_one_message(world, saved, tmp_path):
    db = world.store.path
    files = {
        "deep.ipynb": (b"[" * 100_000, "nests JSON arrays or objects too deeply"),
        "deep-objects.ipynb": (b'{"a":' * 100_000, "too deeply"),
        "not-json.ipynb": (b"this is not json", "is not a JSON notebook"),
        "latin1.ipynb": ('{"cells": [], "x": "caf\u00e9"}'.encode("latin-1"),
                         "the notebook is not UTF-8"),
        "list.ipynb": (b"[1, 2, 3]", "has no list of cells"),
        "cells-dict.ipynb": (b'{"cells": {"a": 1}}', "has no list of cells"),
    }
    for name, (content, _) in files.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "folder.ipynb").mkdir()
    huge = tmp_path / "huge.ipynb"
    with open(huge, "wb") as f:
        f.truncate(300 * 1024 * 1024)  # sparse: no disk, and never read
    cases = [(str(tmp_path / n), needle) for n, (_, needle) in files.items()] + [
        (str(tmp_path / "folder.ipynb"), "is a directory"),
        ("/dev/zero", "is not a regular file"),
        (str(tmp_path / "missing.ipynb"), "does not exist"),
        (str(huge), "is 314,572,800 bytes, more than the 268,435,456")]
    sha = hashlib.sha256(open(db, "rb").read()).hexdigest()
    for (path, needle), res in zip(cases, qrp_batch(
            [["verify", "--notebook", p, "--db", db] for p, _ in cases])):
        assert res["code"] == EXIT_BAD_INPUT, (path, res)
        lines = [ln for ln in res["stderr"].splitlines() if ln.strip()]
        assert len(lines) == 1 and "qrp verify: error:" in lines[0], (path, res["stderr"])
        assert needle in lines[0] and "Fix:" in lines[0], (path, lines[0])
    assert hashlib.sha256(open(db, "rb").read()).hexdigest() == sha


def test_a_notebook_saved_with_a_byte_order_mark_verifies(world, saved, tmp_path):
    path = tmp_path / "bom.ipynb"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(saved).encode())
    (res,) = qrp_batch([["verify", "--notebook", str(path), "--db", world.store.path]])
    assert res["code"] == EXIT_OK, res
    assert "OK" in res["stdout"]


def test_the_in_process_check_reports_the_same_problems(world, saved, tmp_path):
    """What ``%qrp_verify --notebook`` calls: problems reported, bad files a QrpError."""
    for i, (case, change, needle) in enumerate(FORGED):
        path = tmp_path / f"nb{i}.ipynb"
        path.write_bytes(_mutated(saved, change))
        rep = verify_notebook(world.store, path)
        assert not rep.ok and needle in rep.text(), (case, rep.text())
    bad = tmp_path / "deep.ipynb"
    bad.write_bytes(b"[" * 100_000)
    with pytest.raises(QrpError, match="too deeply"):
        verify_notebook(world.store, bad)
