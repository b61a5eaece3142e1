"""``verify_notebook`` of the audit layer: saved QRP outputs checked for their ids and their
provenance against the store (re-rendering is tested with the views, which add it)."""

from __future__ import annotations

import json

import pytest

from qrp_jupyter.audit import verify_notebook
from qrp_jupyter.errors import NotFoundError, QrpError
from qrp_jupyter.governance import create_candidate, promote
from qrp_jupyter.views import MIME_AUDIT, MIME_LINEAGE, MIME_RUN

import insider
import saved_notebook as snb

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def write_notebook(path, cells):
    """An nbformat 4 notebook after a markdown cell; each output after a stdout stream."""
    for cell in cells:
        cell["outputs"].insert(0, {"output_type": "stream", "name": "stdout", "text": ["hi\n"]})
    return snb.write(path, cells)


@pytest.fixture
def saved(world, tmp_path):
    """A notebook holding a run, a lineage and an audit output of a promoted candidate."""
    cand = create_candidate(world.store, world.edge.run_instance_id)["candidate_id"]
    assert promote(world.store, cand, "candidate").passed
    cells = [snb.qrp_cell(world.store, "%%qrp_run\n", MIME_RUN,
                          {"ref": world.edge.run_instance_id, "max_trials": 10,
                           "max_points": 400}),
             snb.qrp_cell(world.store, f"%qrp_lineage {cand}", MIME_LINEAGE, {"ref": cand}),
             snb.qrp_cell(world.store, f"%qrp_audit {cand}", MIME_AUDIT, {"ref": cand})]
    return write_notebook(tmp_path / "evidence.ipynb", cells), cand


def edit(path, old, new, count=1):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_a_faithful_notebook_verifies(world, saved):
    path, _ = saved
    rep = verify_notebook(world.store, path)
    assert rep.ok, rep.text()
    assert rep.checked["cells"] == 4 and rep.checked["qrp_outputs"] == 3
    assert rep.checked["payloads"] == 3 and rep.checked["hashes"] > 40
    assert rep.checked["rerendered"] == 0  # the audit layer cannot render: the views do
    assert rep.to_dict()["ok"] is True and "OK" in rep.text()


def test_an_edited_artifact_hash_is_caught_naming_cell_and_output(world, saved):
    path, _ = saved
    rm = world.edge.artifacts["returns_matrix"]
    forged = rm[:-1] + ("0" if rm[-1] != "0" else "1")
    edit(path, f'"returns_matrix": "{rm}"', f'"returns_matrix": "{forged}"')
    rep = verify_notebook(world.store, path)
    assert not rep.ok
    [p] = rep.problems
    assert (p.cell, p.output, p.mime) == (1, 1, MIME_RUN)
    assert forged in p.problem and "not in the store" in p.problem
    assert "cell 1 output 1" in rep.text()


def test_a_hash_moved_to_another_kind_is_not_the_instance_lineage(world, saved):
    path, _ = saved
    a = world.edge.artifacts
    edit(path, f'"pbo_logits": "{a["pbo_logits"]}"', f'"pbo_logits": "{a["pbo"]}"')
    [p] = verify_notebook(world.store, path).problems
    assert "is not the pbo_logits of run instance" in p.problem


def test_a_run_key_edited_in_the_html_only_is_caught(world, saved):
    path, _ = saved
    rk = world.edge.run_key
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    html = "".join(snb.data(nb, 2, 1)["text/html"])
    nb["cells"][2]["outputs"][1]["data"]["text/html"] = html.replace(rk, "f" * 64)
    path.write_text(json.dumps(nb), encoding="utf-8")
    [p] = verify_notebook(world.store, path).problems
    assert (p.cell, p.mime) == (2, MIME_LINEAGE)
    assert "text/html does not quote the payload's run_key" in p.problem


def test_dataset_swap_and_foreign_instance_are_caught(world, saved):
    path, _ = saved
    nb = json.loads(path.read_text(encoding="utf-8"))
    run = nb["cells"][1]["outputs"][1]["data"][MIME_RUN]
    run["dataset_id_v2"] = world.noise.dataset_id_v2
    run["run_instance_id"] = world.noise.run_instance_id
    path.write_text(json.dumps(nb), encoding="utf-8")
    problems = [p.problem for p in verify_notebook(world.store, path).problems]
    assert any("dataset_id_v2 differs" in p and world.edge.dataset_id_v2 in p for p in problems)
    assert any(f"belongs to run {world.noise.run_key}" in p for p in problems)


def test_audit_report_id_and_tampered_store_are_caught(world, saved):
    path, cand = saved
    rid = insider.row(world.store, "SELECT eligibility_report_id FROM eligibility_reports")[0]
    edit(path, rid, "0" * 64, count=-1)
    problems = verify_notebook(world.store, path).problems
    assert {p.cell for p in problems} == {2, 3}  # the lineage and the audit outputs
    assert any("eligibility_report_id " + "0" * 64 in p.problem for p in problems)


def test_a_blob_altered_in_the_store_is_caught(world, saved):
    path, _ = saved
    aid = world.edge.artifacts["metrics_table"]
    insider.execute(world.store, "DROP TRIGGER trg_artifacts_no_update")
    insider.execute(world.store, "UPDATE artifacts SET data = ?, codec = 'identity' "
                                 "WHERE artifact_id = ?", (b"{}", aid))
    problems = verify_notebook(world.store, path).problems
    assert problems and all("stored bytes do not hash" in p.problem for p in problems)
    assert {p.cell for p in problems} == {1, 2, 3}


def test_malformed_and_foreign_payloads_are_problems_not_crashes(world, saved, tmp_path):
    path, _ = saved
    nb = json.loads(path.read_text(encoding="utf-8"))
    data = nb["cells"][3]["outputs"][1]["data"]
    del data[MIME_AUDIT]["reports"]
    nb["cells"][1]["outputs"][1]["data"][MIME_RUN]["qrp_mime_version"] = 99
    nb["cells"][2]["outputs"][1]["data"][MIME_LINEAGE] = "not json"
    path.write_text(json.dumps(nb), encoding="utf-8")
    problems = {p.cell: p.problem for p in verify_notebook(world.store, path).problems}
    assert "qrp_mime_version 99" in problems[1]
    assert "not a JSON object" in problems[2]
    assert "malformed payload" in problems[3] and "reports" in problems[3]


def test_nothing_to_verify_is_a_problem(world, tmp_path):
    path = write_notebook(tmp_path / "plain.ipynb", [])
    rep = verify_notebook(world.store, path)
    assert not rep.ok and rep.checked["payloads"] == 0
    [p] = rep.problems
    assert p.cell is None and "nothing to verify" in p.problem


def test_missing_and_unparseable_files_raise_with_a_fix(world, tmp_path):
    with pytest.raises(NotFoundError, match="does not exist") as info:
        verify_notebook(world.store, tmp_path / "nope.ipynb")
    assert info.value.fix and info.value.exit_code == 2
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{ not json", encoding="utf-8")
    with pytest.raises(QrpError, match="not a JSON notebook") as info:
        verify_notebook(world.store, bad)
    assert info.value.where == str(bad) and info.value.exit_code == 2
    bad.write_text('{"cells": 3}', encoding="utf-8")
    with pytest.raises(QrpError, match="no list of cells"):
        verify_notebook(world.store, bad)
