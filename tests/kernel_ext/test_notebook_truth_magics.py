"""Every QRP magic's output records its render inputs, the ledger head and its cell's hash, so a
notebook saved from a real shell verifies, and an insider's edit of it does not;
``%qrp_digest`` and ``%qrp_verify --digest``."""

from __future__ import annotations

import hashlib
import json

import pytest

from kshell import assert_one_line_usage_error, run
from test_governance_magics import NB_RUN, _saved_notebook, shown

from qrp_jupyter.audit import ledger_digest
from qrp_jupyter.views import (MIME_AUDIT, MIME_CANDIDATES, MIME_EVENT, MIME_LINEAGE,
                               MIME_REPORT, MIME_RUN, MIME_VERIFY, validate_payload)

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def qrp_payload(data):
    [mime] = [m for m in data if m.startswith("application/vnd.qrp.")]
    return mime, data[mime]


@pytest.fixture
def session(ip, world):
    """A research session as a quant runs it: (source, shown data) of every cell."""
    cells = []

    def cell(source):
        c, data = shown(ip, source)
        cells.append((source, [data]))
        return c.value

    res = cell(NB_RUN)
    promo = cell(f"# promote the best trial\n%qrp_promote {res.run_key[:12]} --to candidate")
    cid = promo.data.candidate_id
    cell(f"%qrp_audit {cid[:12]}")
    cell(f"%qrp_lineage {cid[:12]}")
    cell("%qrp_candidates")
    cell("%qrp_verify")
    cell(f'%qrp_promote {cid[:12]} --to rejected --reason "overfit"')
    return cells, cid


def test_every_output_records_its_cell_its_head_and_its_render_inputs(world, session):
    cells, _ = session
    mimes = []
    for source, [data] in cells:
        mime, p = qrp_payload(data)
        mimes.append(mime)
        assert validate_payload(p) == [], (mime, validate_payload(p))
        assert p["source_sha256"] == sha(source), mime
        assert set(p["ledger"]) == {"block_seq", "digest"} and p["render"] is not None
        assert data["text/plain"].endswith(f"ledger head: block {p['ledger']['block_seq']} "
                                           f"digest {p['ledger']['digest']}")
    assert mimes == [MIME_RUN, MIME_REPORT, MIME_AUDIT, MIME_LINEAGE, MIME_CANDIDATES,
                     MIME_VERIFY, MIME_EVENT]
    last = cells[-1][1][0][MIME_EVENT]
    assert last["ledger"]["digest"] == ledger_digest(world.store)["digest"]
    assert last["event"]["reason"] == "overfit"


def test_a_notebook_saved_from_the_shell_verifies_then_a_forgery_fails(ip, world, session,
                                                                        tmp_path):
    cells, _ = session
    good = _saved_notebook(tmp_path / "session.ipynb", cells)
    cell = run(ip, f"%qrp_verify --notebook {good}")
    assert cell.error is None, cell.error
    payload = cell.value._repr_mimebundle_()[MIME_VERIFY]
    assert payload["ok"] and payload["checked"]["rerendered"] == 7
    assert payload["render"]["notebook_sha256"] == sha(good.read_text(encoding="utf-8"))
    # the store moves on: more research on the same data, another candidate promoted
    more = run(ip, NB_RUN.replace('"t-nb"', '"t-nb-2"')).value
    assert run(ip, f"%qrp_promote {more.run_key[:12]} --to candidate").error is None
    cell = run(ip, f"%qrp_verify --notebook {good}")
    assert cell.error is None, cell.error

    nb = json.loads(good.read_text(encoding="utf-8"))
    report = nb["cells"][1]["outputs"][0]["data"][MIME_REPORT]
    rule = report["report"]["rules"][0]
    rule["value"] = 0.0001 if rule["value"] != 0.0001 else 0.0002
    bad = tmp_path / "forged.ipynb"
    bad.write_text(json.dumps(nb), encoding="utf-8")
    cell = run(ip, f"%qrp_verify --notebook {bad}")
    assert_one_line_usage_error(cell, "%qrp_verify", "forged.ipynb", "1 problem(s)")
    [shown_verify] = [o.data for o in cell.captured.outputs]
    assert "cell 1 output 0 (application/vnd.qrp.report+json): the payload differs from the " \
           "store's rendering at $.report.rules[0].value" in shown_verify["text/plain"]


def test_a_verify_output_of_a_notebook_is_re_derived_from_that_notebook(ip, world, session,
                                                                        tmp_path):
    cells, _ = session
    quant = _saved_notebook(tmp_path / "quant.ipynb", cells)
    source = "%qrp_verify --notebook quant.ipynb"
    ip.run_line_magic("cd", str(tmp_path))
    _, data = shown(ip, source)
    review = _saved_notebook(tmp_path / "review.ipynb", [(source, [data])])
    cell = run(ip, f"%qrp_verify --notebook {review}")
    assert cell.error is None, cell.error
    quant.write_text(quant.read_text(encoding="utf-8").replace('"overfit"', '"fine"'),
                     encoding="utf-8")  # the reviewed notebook changed after its review
    cell = run(ip, f"%qrp_verify --notebook {review}")
    assert_one_line_usage_error(cell, "%qrp_verify", "review.ipynb")
    text = cell.captured.outputs[0].data["text/plain"]
    assert "cell 0 output 0" in text and "has changed since it was verified" in text


def test_qrp_digest_prints_the_head_and_verify_checks_recorded_digests(ip, world):
    cell = run(ip, "%qrp_digest")
    assert cell.error is None, cell.error
    head = ledger_digest(world.store)
    assert cell.value == head
    printed = cell.captured.stdout.splitlines()  # the print, then the shell's Out[] of the dict
    assert printed[:2] == [f"ledger head of {head['db']}: block {head['block_seq']}, written "
                           f"{head['created_at']}", head["digest"]]
    ok = run(ip, f"%qrp_verify --digest {head['digest']} --digest {head['digest'].upper()}")
    assert ok.error is None, ok.error
    assert ok.value.data["render"]["digests"] == [head["digest"]] * 2
    assert "recorded digests 2" in ok.value._repr_mimebundle_()["text/plain"]
    unknown = run(ip, "%qrp_verify --digest " + "ab" * 32)
    assert_one_line_usage_error(unknown, "%qrp_verify", "1 problem(s)")
    assert "no ledger block has hash abababababab" in unknown.captured.outputs[0].data[
        "text/plain"]
    assert_one_line_usage_error(run(ip, "%qrp_verify --digest xyz"), "'xyz' is not a ledger "
                                "digest", "--digest")
    assert_one_line_usage_error(run(ip, "%qrp_verify --notebook x.ipynb --digest "
                                        + head["digest"]), "--digest checks the store")
    assert_one_line_usage_error(run(ip, "%qrp_digest --all"), "%qrp_digest", "--all")


def test_a_result_shown_again_in_another_cell_records_that_cell(ip, world):
    res = run(ip, NB_RUN + "\n").value
    first = res._repr_mimebundle_()[MIME_RUN]
    ip.user_ns["res"] = res
    _, data = shown(ip, "res")
    assert data[MIME_RUN]["source_sha256"] == sha("res") != first["source_sha256"]
    assert data[MIME_RUN]["render"] == first["render"]


def test_unloading_removes_the_cell_hook(ip):
    import qrp_kernel

    hooks = ip.events.callbacks["pre_run_cell"]
    magics = ip.magics_manager.registry["QrpMagics"]
    assert magics.note_cell in hooks
    qrp_kernel.unload_ipython_extension(ip)
    assert magics.note_cell not in ip.events.callbacks["pre_run_cell"]
    ip.events.register("pre_run_cell", magics.note_cell)
