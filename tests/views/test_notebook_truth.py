"""A saved notebook shows only what the store supports: every QRP output is rendered again
from the store as of the ledger head it recorded and compared byte for byte, its cell's source
is hashed, and the store must extend the head. Each insider edit is caught with its cell."""

from __future__ import annotations

import pytest

from qrp_jupyter.governance import create_candidate, promote, retire
from qrp_jupyter.runs import execute_run
from qrp_jupyter.store import Store
from qrp_jupyter.views import (MIME_AUDIT, MIME_CANDIDATES, MIME_EVENT, MIME_LINEAGE,
                               MIME_REPORT, MIME_RUN, MIME_VERIFY, render_bundle,
                               validate_payload, verify_notebook, verify_render)
from world_configs import EDGE_TOML

import insider
import saved_notebook as snb

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

RUN_CELL = '%%qrp_run edge\nfamily = "t-trend"\n'


@pytest.fixture
def saved(world, tmp_path):
    """A notebook with one output of each kind, made as the magics make them: cells 1-6."""
    s, e = world.store, world.edge
    cid = create_candidate(s, e.run_instance_id)["candidate_id"]
    res = promote(s, cid, "candidate")
    assert res.passed
    refused = promote(s, create_candidate(s, world.noise.run_instance_id)["candidate_id"],
                      "candidate")
    assert not refused.passed
    cells = [
        snb.qrp_cell(s, RUN_CELL, MIME_RUN,
                     {"ref": e.run_instance_id, "max_trials": 10, "max_points": 400}),
        snb.qrp_cell(s, f"%qrp_promote {e.run_key[:12]} --to candidate", MIME_REPORT,
                     {"ref": res.eligibility_report_id}),
        snb.qrp_cell(s, f"# audit\n%qrp_audit {cid[:12]}", MIME_AUDIT, {"ref": cid}),
        snb.qrp_cell(s, f"%qrp_lineage {e.run_instance_id[:12]}", MIME_LINEAGE,
                     {"ref": e.run_instance_id}),
        snb.qrp_cell(s, "%qrp_candidates", MIME_CANDIDATES, {}),
        snb.qrp_cell(s, "%qrp_verify", MIME_VERIFY, verify_render(target="world.sqlite")),
        snb.qrp_cell(s, f"%qrp_promote {world.noise.run_key[:12]} --to candidate", MIME_REPORT,
                     {"ref": refused.eligibility_report_id}),
    ]
    path = snb.write(tmp_path / "evidence.ipynb", cells)
    return path, cid, refused


def problems(world, path):
    rep = verify_notebook(world.store, path)
    return [(p.cell, p.output, p.problem) for p in rep.problems]


def one_problem(world, path):
    found = problems(world, path)
    assert len(found) == 1, found
    return found[0]


def forged(world, path, edit):
    """The insider's ``edit(nb)`` of the saved notebook; the one problem verify then finds."""
    nb = snb.read(path)
    edit(nb)
    snb.save(path, nb)
    return one_problem(world, path)


def test_a_faithful_notebook_re_renders_byte_for_byte(world, saved):
    path, _, _ = saved
    rep = verify_notebook(world.store, path)
    assert rep.ok, rep.text()
    assert rep.checked["payloads"] == rep.checked["rerendered"] == 7
    nb = snb.read(path)
    for ci in range(1, 8):
        data = snb.data(nb, ci)
        [mime] = [m for m in data if m.startswith("application/vnd.qrp.")]
        assert validate_payload(data[mime]) == [], (ci, mime)
        assert data[mime]["ledger"]["digest"] in "".join(data["text/plain"])


def test_a_notebook_made_earlier_passes_after_the_store_grew(world, saved):
    path, cid, refused = saved
    retire(world.store, cid, "superseded")  # the audit, candidates and lineage subjects move
    retire(world.store, refused.candidate_id, "noise")
    again = execute_run(world.store, EDGE_TOML.replace('family = "t-trend"',
                                                       'family = "t-trend-2"'),
                        source="edge2.toml")  # the trial registry of the edge data grows
    create_candidate(world.store, again.run_instance_id)
    rep = verify_notebook(world.store, path)
    assert rep.ok, rep.text()
    # and a fresh rendering today differs from the saved one: the store did move on
    fresh = render_bundle(world.store, MIME_CANDIDATES, {}, source="%qrp_candidates")
    assert fresh["text/plain"] != "".join(snb.data(snb.read(path), 5)["text/plain"])


def test_a_forged_p_value_in_the_payload_with_every_id_real(world, saved):
    path, _, _ = saved
    nb = snb.read(path)
    run = snb.data(nb, 1)[MIME_RUN]
    old = run["nulls"][0]["pvalue"]
    run["nulls"][0]["pvalue"] = 0.0001
    snb.save(path, nb)
    cell, output, text = one_problem(world, path)
    assert (cell, output) == (1, 0)
    assert text.startswith("the payload differs from the store's rendering at "
                           "$.nulls[0].pvalue: saved 0.0001, store ") and str(old) in text


def test_a_forged_verdict_in_a_refusal_payload(world, saved):
    path, _, _ = saved
    cell, _, text = forged(world, path,
                           lambda nb: snb.data(nb, 7)[MIME_REPORT].update(passed=True))
    assert cell == 7
    assert text == "the payload differs from the store's rendering at $.passed: saved true, " \
                   "store false"


def test_a_forged_p_value_in_the_static_html_only(world, saved):
    path, _, _ = saved
    nb = snb.read(path)
    data = snb.data(nb, 1)
    html = "".join(data["text/html"])
    pv = f"{data[MIME_RUN]['nulls'][0]['pvalue']:.4g}"
    j = html.index(pv, html.index("reality_check p-value"))
    data["text/html"] = html[:j] + "0.0001" + html[j + len(pv):]
    snb.save(path, nb)
    cell, _, text = one_problem(world, path)
    assert cell == 1 and text.startswith("the text/html differs from the store's rendering at "
                                         "character ")
    assert pv.replace("0.00", "", 1) in text  # the store's digits, where the forgery starts


def test_a_forged_verdict_in_the_html_and_plain_of_a_refusal(world, saved):
    path, _, _ = saved
    nb = snb.read(path)
    data = snb.data(nb, 7)
    data["text/plain"] = ["".join(data["text/plain"]).replace("REFUSED", "PROMOTED", 1)]
    data["text/html"] = ["".join(data["text/html"]).replace("BLOCKED", "PASSES")]
    snb.save(path, nb)
    found = problems(world, path)
    assert [(c, t.split(" differs")[0]) for c, _, t in found] == [(7, "the text/plain"),
                                                                 (7, "the text/html")]
    assert "at character 0: saved 'PROMOTED" in found[0][2]


def test_an_edited_text_plain_of_an_audit(world, saved):
    path, _, _ = saved
    nb = snb.read(path)
    data = snb.data(nb, 3)
    data["text/plain"] = [line.replace("status: candidate", "status: accepted")
                          for line in data["text/plain"]]
    snb.save(path, nb)
    cell, _, text = one_problem(world, path)
    assert cell == 3 and "the text/plain differs" in text and "saved 'accepted" in text


def test_an_output_pasted_under_another_cell(world, saved):
    path, _, _ = saved
    nb = snb.read(path)
    nb["cells"][4]["outputs"] = nb["cells"][3]["outputs"]  # the audit, under the lineage cell
    snb.save(path, nb)
    found = problems(world, path)
    assert [c for c, _, _ in found] == [4]
    assert "is not the SHA-256 of this cell's source" in found[0][2]
    assert "pasted under another cell" in found[0][2]


def test_a_cell_edited_after_it_ran(world, saved):
    path, _, _ = saved
    line = f"%qrp_promote {world.noise.run_key[:12]} --to candidate"
    cell, _, text = forged(world, path, lambda nb: nb["cells"][2].update(source=[line]))
    assert cell == 2 and "cell was edited after it ran" in text


def test_a_forged_verify_ok_after_the_store_was_tampered_with(world, saved):
    path, _, _ = saved
    blob = world.edge.artifacts["metrics_table"]
    for (name,) in insider.rows(world.store, "SELECT name FROM sqlite_master WHERE type = "
                                             "'trigger' AND tbl_name = 'artifacts'"):
        insider.execute(world.store, f"DROP TRIGGER {name}")
    insider.execute(world.store, "UPDATE artifacts SET data = X'00', codec = 'identity' "
                                 "WHERE artifact_id = ?", (blob,))
    verify_cell = [t for c, _, t in problems(world, path) if c == 6]
    assert [t.split(" differs")[0] for t in verify_cell] == [
        "the text/plain", "the text/html", "the payload"]
    assert "saved 'OK" in verify_cell[0] and "problem(s)" in verify_cell[0]


def test_a_forged_verify_output_without_a_payload(world, saved):
    path, _, _ = saved
    nb = snb.read(path)
    nb["cells"][6]["outputs"] = [{"output_type": "display_data", "metadata": {},
                                  "data": {"text/plain": ["verify world.sqlite: OK"]}}]
    snb.save(path, nb)
    found = problems(world, path)
    assert (6, 0) in [(c, o) for c, o, _ in found]
    assert any("runs %qrp_verify, whose result always carries a QRP payload" in t
               for _, _, t in found)


def test_a_payload_from_another_store(world, saved, tmp_path):
    path, _, _ = saved
    other = Store(tmp_path / "other.sqlite")
    try:
        cell = snb.qrp_cell(other, "%qrp_candidates", MIME_CANDIDATES, {})
    finally:
        other.close()
    nb = snb.read(path)
    nb["cells"][5] = cell
    snb.save(path, nb)
    cell, _, text = one_problem(world, path)
    assert cell == 5
    assert "the store does not extend the ledger head the output recorded" in text


def test_a_head_the_store_no_longer_extends(world, saved):
    path, _, _ = saved
    seq = snb.data(snb.read(path), 1)[MIME_RUN]["ledger"]["block_seq"]
    for (name,) in insider.rows(world.store, "SELECT name FROM sqlite_master WHERE type = "
                                             "'trigger' AND tbl_name = 'ledger_blocks'"):
        insider.execute(world.store, f"DROP TRIGGER {name}")
    insider.execute(world.store, "UPDATE ledger_blocks SET block_hash = ? WHERE block_seq = ?",
                    ("ab" * 32, seq))  # history rewritten at the run's head
    found = problems(world, path)
    [text] = [t for c, _, t in found if c == 1]  # exactly one problem, on the run's cell
    assert f"does not extend the ledger head the output recorded (block {seq}" in text
    assert "history before that digest was rewritten" in text


def test_an_output_without_provenance_cannot_be_re_rendered(world, saved):
    path, _, _ = saved
    cell, _, text = forged(world, path,
                           lambda nb: snb.data(nb, 4)[MIME_LINEAGE].pop("render"))
    assert cell == 4 and "records no provenance" in text


def test_json_numbers_rewritten_by_jupyterlab_still_compare(world, saved):
    path, _, _ = saved
    nb = snb.read(path)
    lineage = snb.data(nb, 4)[MIME_LINEAGE]
    for n in lineage["nodes"]:  # JupyterLab saves 0.0 as 0
        n["x"], n["y"] = int(n["x"]) if n["x"] == int(n["x"]) else n["x"], n["y"]
    snb.save(path, nb)
    assert verify_notebook(world.store, path).ok
    lineage = snb.data(nb, 4)[MIME_LINEAGE]
    x = lineage["nodes"][0]["x"]
    lineage["nodes"][0]["x"] = True  # but a boolean is not a number
    snb.save(path, nb)
    cell, _, text = one_problem(world, path)
    assert cell == 4 and f"$.nodes[0].x: saved true, store {float(x)}" in text


def test_a_forged_status_in_the_candidate_listing(world, saved):
    path, _, _ = saved
    listing = snb.data(snb.read(path), 5)[MIME_CANDIDATES]["candidates"]
    i = next(k for k, c in enumerate(listing) if c["status"] == "exploratory")
    cell, _, text = forged(world, path, lambda nb: snb.data(nb, 5)[MIME_CANDIDATES][
        "candidates"][i].update(status="accepted"))
    assert cell == 5 and text == ("the payload differs from the store's rendering at "
                                  f"$.candidates[{i}].status: saved \"accepted\", store "
                                  "\"exploratory\"")


def test_a_forged_reason_of_a_retirement(world, saved):
    path, cid, _ = saved
    done = retire(world.store, cid, "superseded")
    source = f'%qrp_promote {cid[:12]} --to retired --reason "superseded"'
    nb = snb.read(path)
    nb["cells"].append(snb.qrp_cell(world.store, source, MIME_EVENT,
                                    {"ref": done["event"]["event_hash"]}))
    snb.save(path, nb)
    assert verify_notebook(world.store, path).ok
    snb.data(nb, 8)[MIME_EVENT]["event"]["reason"] = "approved by the committee"
    snb.save(path, nb)
    cell, _, text = one_problem(world, path)
    assert cell == 8 and "$.event.reason: saved \"approved by the committee\"" in text


def test_render_inputs_naming_nothing_in_the_store(world, saved):
    path, _, _ = saved
    cell, _, text = forged(world, path,
                           lambda nb: snb.data(nb, 2)[MIME_REPORT]["render"].update(ref="0" * 64))
    assert cell == 2 and text.startswith("cannot be re-rendered from the store as of ledger "
                                         "block ") and "no eligibility report" in text


def test_the_recorded_head_is_the_state_rendered_even_with_another_writer(world, monkeypatch):
    import qrp_jupyter.views.provenance as provenance
    from qrp_jupyter.errors import StoreError
    from qrp_jupyter.governance import list_candidates

    plain = provenance._RENDERERS[MIME_CANDIDATES]
    writes = iter([world.edge.run_instance_id])

    def racing(store, render, base):  # another writer commits while the first rendering runs
        out = plain(store, render, base)
        ref = next(writes, None)
        if ref is not None:
            create_candidate(store, ref)
        return out

    monkeypatch.setitem(provenance._RENDERERS, MIME_CANDIDATES, racing)
    b = render_bundle(world.store, MIME_CANDIDATES, {}, source="%qrp_candidates")
    p = b[MIME_CANDIDATES]
    assert len(p["candidates"]) == len(list_candidates(world.store)) == 1
    assert p["ledger"]["block_seq"] == world.store.ledger_head().block_seq

    def always(store, render, base):
        create_candidate(store, world.noise.run_instance_id, len(list_candidates(store)))
        return plain(store, render, base)

    monkeypatch.setitem(provenance._RENDERERS, MIME_CANDIDATES, always)
    with pytest.raises(StoreError, match="changed while"):
        render_bundle(world.store, MIME_CANDIDATES, {})


def _progress_output(data: dict) -> dict:
    return {"output_type": "display_data", "metadata": {},
            "data": {k: snb.lines(v) for k, v in data.items()}}


def test_the_finished_progress_line_of_a_run_cell_claims_nothing(world, saved):
    from qrp_jupyter.audit import progress_line_bundle

    path, _, _ = saved
    nb = snb.read(path)
    run_cell = nb["cells"][1]
    line = progress_line_bundle("qrp_run edge: all 6 stages done")
    assert line == {"text/plain": "qrp_run edge: all 6 stages done",
                    "text/html": "<div>qrp_run edge: all 6 stages done</div>"}
    run_cell["outputs"].insert(0, _progress_output(line))
    snb.save(path, nb)
    assert verify_notebook(world.store, path).ok
    # the same line with anything else in its HTML is a result without a payload
    forged_line = {**line, "text/html": "<div>qrp_run edge: all 6 stages done</div>"
                                        "<table><tr><td>Sharpe 9.9</td></tr></table>"}
    run_cell["outputs"][0] = _progress_output(forged_line)
    snb.save(path, nb)
    cell, output, text = one_problem(world, path)
    assert (cell, output) == (1, 0) and "has none (forged or stripped)" in text
    # the line of a run that stopped is accepted too
    for text in ("qrp_run edge: stopped after walk_forward (3/6 stages done)",
                 "qrp_run edge: stopped before any stage finished (0/6 stages done)"):
        run_cell["outputs"][0] = _progress_output(progress_line_bundle(text))
        snb.save(path, nb)
        assert verify_notebook(world.store, path).ok, text
    # and so is any other text in the form of a progress bundle
    run_cell["outputs"][0] = _progress_output(progress_line_bundle("best Sharpe 9.9, p = 0.001"))
    snb.save(path, nb)
    assert one_problem(world, path)[:2] == (1, 0)
