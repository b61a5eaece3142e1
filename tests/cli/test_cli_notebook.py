"""``qrp verify --notebook`` and ``qrp lineage``: real subprocesses, documented exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from qrp_jupyter.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEMS
from qrp_jupyter.lineage import lineage_payload
from qrp_jupyter.views import MIME_LINEAGE, MIME_RUN, lineage_bundle

import saved_notebook as snb

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def qrp(*args):
    env = {**os.environ, "QRP_ACTOR": "cli-test"}
    return subprocess.run([sys.executable, "-m", "qrp_jupyter.cli", *args], capture_output=True,
                          text=True, env=env)


@pytest.fixture
def notebook(world, tmp_path):
    inst = world.edge.run_instance_id
    cells = [snb.qrp_cell(world.store, "%%qrp_run\n", MIME_RUN,
                          {"ref": inst, "max_trials": 10, "max_points": 400}),
             snb.qrp_cell(world.store, f"%qrp_lineage {inst}", MIME_LINEAGE, {"ref": inst})]
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_verify_notebook_passes_then_fails_on_an_edited_hash(world, notebook):
    db = world.store.path
    ok = qrp("verify", "--notebook", str(notebook), "--db", db)
    assert ok.returncode == EXIT_OK, ok.stdout + ok.stderr
    assert "OK" in ok.stdout
    js = qrp("verify", "--notebook", str(notebook), "--db", db, "--json")
    assert js.returncode == EXIT_OK and json.loads(js.stdout)["checked"]["payloads"] == 2
    rm = world.edge.artifacts["returns_matrix"]
    text = notebook.read_text(encoding="utf-8")
    notebook.write_text(text.replace(rm, "0" * 64), encoding="utf-8")
    bad = qrp("verify", "--notebook", str(notebook), "--db", db, "--json")
    assert bad.returncode == EXIT_PROBLEMS
    out = json.loads(bad.stdout)
    assert not out["ok"] and {p["cell"] for p in out["problems"]} == {0, 1}
    assert {p["cell"] for p in out["problems"] if "0" * 64 in p["problem"]} == {0, 1}


def test_verify_notebook_re_renders_a_forged_number_with_real_ids_exit_4(world, notebook):
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    summary = nb["cells"][0]["outputs"][0]["data"][MIME_RUN]["summary"]
    summary["best_sharpe_annual"] = 99.0
    notebook.write_text(json.dumps(nb), encoding="utf-8")
    bad = qrp("verify", "--notebook", str(notebook), "--db", world.store.path, "--json")
    assert bad.returncode == EXIT_PROBLEMS, bad.stdout + bad.stderr
    [p] = json.loads(bad.stdout)["problems"]
    assert (p["cell"], p["output"], p["mime"]) == (0, 0, MIME_RUN)
    assert p["problem"].startswith("the payload differs from the store's rendering at "
                                   "$.summary.best_sharpe_annual: saved 99.0")


def test_verify_notebook_bad_files_exit_2_with_what_where_fix(world, tmp_path):
    db = world.store.path
    missing = qrp("verify", "--notebook", str(tmp_path / "gone.ipynb"), "--db", db)
    assert missing.returncode == EXIT_BAD_INPUT
    assert "does not exist" in missing.stderr and "Fix:" in missing.stderr
    assert "--notebook" in missing.stderr
    junk = tmp_path / "junk.ipynb"
    junk.write_text("not json", encoding="utf-8")
    res = qrp("verify", "--notebook", str(junk), "--db", db)
    assert res.returncode == EXIT_BAD_INPUT and "not a JSON notebook" in res.stderr
    empty = tmp_path / "empty.ipynb"
    empty.write_text('{"cells": [], "nbformat": 4}', encoding="utf-8")
    res = qrp("verify", "--notebook", str(empty), "--db", db)
    assert res.returncode == EXIT_PROBLEMS and "nothing to verify" in res.stdout


def test_lineage_command_prints_writes_html_and_json(world, tmp_path):
    db, e = world.store.path, world.edge
    out = tmp_path / "lineage.html"
    res = qrp("lineage", e.run_key[:10], "--db", db, "--html", str(out))
    assert res.returncode == EXIT_OK, res.stderr
    assert e.run_key in res.stdout and e.dataset_id_v2 in res.stdout
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    body = page[page.index("<body>") + 6: page.index("</body>")]
    assert body == lineage_bundle(world.store, e.run_key)["text/html"]
    ET.fromstring(body)
    js = qrp("lineage", e.run_key, "--db", db, "--json")
    assert json.loads(js.stdout) == lineage_payload(world.store, e.run_key)
    bad = qrp("lineage", "nothex", "--db", db)
    assert bad.returncode == EXIT_BAD_INPUT and "Fix:" in bad.stderr
