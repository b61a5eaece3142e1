"""``%qrp_promote``, ``%qrp_audit``, ``%qrp_runs``, ``%qrp_candidates``, ``%qrp_verify``."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from kshell import assert_one_line_usage_error, run

from qrp_jupyter.views import RUN_COLUMNS

import insider

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def status(world, cid: str) -> str:
    return insider.row(world.store, "SELECT status FROM promotion_candidates "
                                    "WHERE candidate_id = ?", (cid,))["status"]


def make_candidate(ip, world):
    """The edge run's best trial promoted to candidate through the magic; its id."""
    cell = run(ip, f"%qrp_promote {world.edge.run_key[:12]} --to candidate")
    assert cell.error is None, cell.error
    return cell.value.data.candidate_id


def test_promote_a_run_to_candidate_then_accepted(ip, world):
    cid = make_candidate(ip, world)
    assert status(world, cid) == "candidate"
    cell = run(ip, f"%qrp_promote {cid[:10]} --to accepted")
    assert cell.error is None, cell.error
    out = cell.value
    assert out.data.passed and status(world, cid) == "accepted"
    bundle = out._repr_mimebundle_()
    assert bundle["text/plain"].startswith(f"PROMOTED: candidate {cid[:12]} -> accepted")
    assert out.data.eligibility_report_id in bundle["text/plain"]
    assert "<table" in bundle["text/html"] and "application/vnd.qrp.report+json" in bundle


def test_promote_a_chosen_trial(ip, world):
    cell = run(ip, f"%qrp_promote {world.edge.run_instance_id} --to candidate --trial 0")
    assert cell.error is None, cell.error
    row = insider.row(world.store, "SELECT trial_index FROM promotion_candidates")
    assert row["trial_index"] == 0
    assert cell.value.data.candidate_id == insider.row(world.store,
        "SELECT candidate_id FROM promotion_candidates")["candidate_id"]


def test_refused_promotion_is_an_outcome_shown_and_returned_not_an_error(ip, world, counts):
    before = counts(world.store)
    cell = run(ip, f"%qrp_promote {world.noise.run_key} --to candidate")
    assert cell.error is None, cell.error
    out = cell.value
    res = out.data
    assert res.passed is False and res.level == "candidate" and res.report["blockers"]
    # Shown: the cell's result is the eligibility report, blockers in words.
    text = out._repr_mimebundle_()["text/plain"]
    assert text.startswith(f"REFUSED: candidate {res.candidate_id[:12]} -> candidate")
    assert res.eligibility_report_id in text
    for blocker in res.report["blockers"]:
        assert f"  blocker: {blocker}" in text.splitlines()
    assert "next: the refusal is recorded" in text
    assert "REFUSED:" in cell.captured.stdout  # what the shell displayed for the cell
    assert "<table" in out._repr_mimebundle_()["text/html"]
    # The status did not move: the candidate stays exploratory.
    assert status(world, res.candidate_id) == "exploratory"
    # The refusal is evidence: the candidate, one failing report and one refusal event.
    after = counts(world.store)
    assert after["promotion_candidates"] == before["promotion_candidates"] + 1
    assert after["eligibility_reports"] == before["eligibility_reports"] + 1
    rep = insider.row(world.store, "SELECT eligibility_report_id, passed FROM eligibility_reports")
    assert rep["passed"] == 0 and rep["eligibility_report_id"] == res.eligibility_report_id
    events = [r["kind"] for r in insider.rows(world.store,
        "SELECT kind FROM governance_events WHERE candidate_id = ? ORDER BY seq",
        (res.candidate_id,))]
    assert events == ["candidate_created", "promotion_refused"]


def test_refused_promotion_of_an_existing_candidate_keeps_its_status(ip, world, counts):
    cell = run(ip, f"%qrp_promote {world.noise.run_key} --to candidate")
    cid = cell.value.data.candidate_id
    before = counts(world.store)
    again = run(ip, f"%qrp_promote {cid[:12]} --to candidate")
    assert again.error is None, again.error
    assert again.value.data.passed is False
    assert status(world, cid) == "exploratory"
    after = counts(world.store)
    assert after["eligibility_reports"] == before["eligibility_reports"] + 1
    assert after["governance_events"] == before["governance_events"] + 1
    assert after["promotion_candidates"] == before["promotion_candidates"]
    last = insider.row(world.store, "SELECT kind FROM governance_events ORDER BY seq DESC LIMIT 1")
    assert last["kind"] == "promotion_refused"


def test_reject_needs_a_reason_and_records_it(ip, world, counts):
    cid = make_candidate(ip, world)
    before = counts(world.store)
    assert_one_line_usage_error(run(ip, f"%qrp_promote {cid} --to rejected"),
                                "a reason is required", "--reason")
    assert counts(world.store) == before
    cell = run(ip, f'%qrp_promote {cid} --to rejected --reason "overfit on 2021"')
    assert cell.error is None, cell.error
    assert status(world, cid) == "rejected"
    reason = insider.row(world.store,
                         "SELECT reason FROM v_governance_log ORDER BY seq DESC LIMIT 1")
    assert reason["reason"] == "overfit on 2021"


BAD_PROMOTIONS = {
    "unknown option": ("{run} --to candidate --force", ["unrecognized arguments: --force"]),
    "missing --to": ("{run}", ["--to"]),
    "wrong level": ("{run} --to acepted", ["unknown level 'acepted'", "--to"]),
    "wrong case": ("{run} --to Candidate", ["unknown level 'Candidate'"]),
    "reason on a promotion": ("{run} --to candidate --reason because", ["--reason"]),
    "run straight to accepted": ("{run} --to accepted", ["is a run, not a candidate"]),
    "unknown ref": ("abcdef123456 --to candidate", ["abcdef123456"]),
    "not hex": ("my-strategy --to candidate", ["'my-strategy'"]),
    "trial out of range": ("{run} --to candidate --trial 99", ["trial 99", "--trial"]),
}


@pytest.mark.parametrize("case", sorted(BAD_PROMOTIONS))
def test_bad_promotion_is_one_line_and_writes_nothing(ip, world, counts, case):
    line, needles = BAD_PROMOTIONS[case]
    before = counts(world.store)
    cell = run(ip, "%qrp_promote " + line.format(run=world.edge.run_key))
    assert_one_line_usage_error(cell, "%qrp_promote", *needles)
    assert counts(world.store) == before


def test_illegal_transition_is_one_line_and_writes_nothing(ip, world, counts):
    cid = make_candidate(ip, world)
    assert run(ip, f"%qrp_promote {cid} --to retired --reason done").error is None
    before = counts(world.store)
    cell = run(ip, f"%qrp_promote {cid} --to accepted")
    assert_one_line_usage_error(cell, "%qrp_promote", "'retired'", "cannot move to 'accepted'")
    assert counts(world.store) == before


def test_audit_shows_the_core_audit_bundle(ip, world, counts):
    from qrp_jupyter.views import MIME_AUDIT

    cid = make_candidate(ip, world)
    before = counts(world.store)
    cell = run(ip, f"%qrp_audit {cid[:8]}")
    assert cell.error is None, cell.error
    bundle = cell.value._repr_mimebundle_()
    assert {"text/plain", "text/html", MIME_AUDIT} <= set(bundle)
    assert bundle[MIME_AUDIT]["candidate_id"] == cid and bundle[MIME_AUDIT]["ok"] is True
    assert counts(world.store) == before


def test_audit_of_a_tampered_candidate_fails_in_one_line(ip, world):
    cid = make_candidate(ip, world)
    rid = insider.row(world.store, "SELECT eligibility_report_id FROM promotion_candidates")[0]
    # Reports are immutable by trigger; someone holding the file can still drop it.
    insider.execute(world.store, "DROP TRIGGER IF EXISTS eligibility_reports_no_update")
    for (name,) in insider.rows(world.store,
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = "
            "'eligibility_reports'"):
        insider.execute(world.store, f"DROP TRIGGER {name}")
    insider.execute(world.store, "UPDATE eligibility_reports SET payload_json = replace("
                                 "payload_json, '\"passed\":true', '\"passed\":false') WHERE "
                                 "eligibility_report_id = ?", (rid,))
    cell = run(ip, f"%qrp_audit {cid}")
    assert_one_line_usage_error(cell, "%qrp_audit", "does not verify")
    assert cell.texts and cell.texts[0].strip()


def test_audit_unknown_candidate(ip, world, counts):
    before = counts(world.store)
    assert_one_line_usage_error(run(ip, "%qrp_audit 0123456789ab"), "%qrp_audit",
                                "no candidate with id starting '0123456789ab'")
    assert counts(world.store) == before


def test_runs_and_candidates_are_dataframes(ip, world):
    runs = run(ip, "%qrp_runs").value
    assert isinstance(runs, pd.DataFrame)
    assert list(runs["run_key"]) == [world.edge.run_key, world.noise.run_key] or \
        set(runs["run_key"]) == {world.edge.run_key, world.noise.run_key}
    assert set(runs["instances"]) == {1} and set(runs["replays"]) == {0}
    assert list(runs.columns) == [k for k, _ in RUN_COLUMNS]  # the core's run listing
    empty = run(ip, "%qrp_candidates").value
    assert isinstance(empty, pd.DataFrame) and len(empty) == 0 and "status" in empty.columns
    cid = make_candidate(ip, world)
    cands = run(ip, "%qrp_candidates").value
    assert list(cands["candidate_id"]) == [cid] and list(cands["status"]) == ["candidate"]


def test_listing_magics_take_db_and_reject_unknown_options(ip, world, tmp_path):
    assert_one_line_usage_error(run(ip, "%qrp_runs --all"), "%qrp_runs", "--all")
    assert_one_line_usage_error(run(ip, "%qrp_candidates -x"), "%qrp_candidates", "-x")
    missing = tmp_path / "none.sqlite"
    assert_one_line_usage_error(run(ip, f"%qrp_runs --db {missing}"), "no QRP store")
    assert not missing.exists()


def test_verify_store_ok_then_tampered(ip, world):
    cell = run(ip, "%qrp_verify")
    assert cell.error is None, cell.error
    assert "OK" in cell.value._repr_mimebundle_()["text/plain"]
    blob = insider.row(world.store, "SELECT artifact_id FROM artifacts WHERE codec = 'identity' "
                                    "LIMIT 1")["artifact_id"]
    for (name,) in insider.rows(world.store,
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = "
            "'artifacts'"):
        insider.execute(world.store, f"DROP TRIGGER {name}")
    insider.execute(world.store, "UPDATE artifacts SET data = X'00' WHERE artifact_id = ?", (blob,))
    cell = run(ip, "%qrp_verify")
    assert_one_line_usage_error(cell, "%qrp_verify", "problem(s)")
    assert any("problem" in t for t in cell.texts)


def _saved_notebook(path, cells):
    """A notebook saved by nbformat: one code cell per ``(source, [data, ...])``."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    for i, (source, outputs) in enumerate(cells):
        cell = nbformat.v4.new_code_cell(source)
        for data in outputs:
            cell.outputs.append(nbformat.v4.new_output("execute_result", data=data,
                                                       execution_count=i + 1))
        nb.cells.append(cell)
    nbformat.write(nb, str(path))
    return path


def shown(ip, source):
    """Run ``source`` as a cell; the mime data its result shows, as a saved notebook holds it
    (a result is rendered when the cell shows it: right after the cell ran)."""
    cell = run(ip, source)
    assert cell.error is None, cell.error
    value = cell.value
    data = value._repr_mimebundle_()
    data = data[0] if isinstance(data, tuple) else data  # a widget: (data, metadata)
    return cell, json.loads(json.dumps(data))


NB_RUN = ('%%qrp_run\nfamily = "t-nb"\n[data]\ndataset = "edge"\n[strategy]\n'
          'kind = "ts_momentum"\n[strategy.grid]\nlookback = [1, 2]\n[walk_forward]\n'
          "enabled = false\n[nulls.reality_check]\nreps = 19\n[nulls.spa_stepm]\n"
          "enabled = false\n[nulls.pbo]\nenabled = false\n")


def test_verify_notebook_checks_saved_outputs_against_the_store(ip, world, tmp_path):
    res, run_data = shown(ip, NB_RUN)
    lineage_src = f"%qrp_lineage {res.value.run_instance_id}"
    _, lineage_data = shown(ip, lineage_src)
    good = _saved_notebook(tmp_path / "good.ipynb", [(NB_RUN, [run_data]),
                                                     (lineage_src, [lineage_data])])
    cell = run(ip, f"%qrp_verify --notebook {good}")
    assert cell.error is None, cell.error
    assert "OK" in cell.value._repr_mimebundle_()["text/plain"]

    text = good.read_text(encoding="utf-8").replace(res.value.dataset_id_v2[:20], "0" * 20)
    bad = tmp_path / "bad.ipynb"
    bad.write_text(text, encoding="utf-8")
    cell = run(ip, f"%qrp_verify --notebook {bad}")
    assert_one_line_usage_error(cell, "%qrp_verify", "bad.ipynb", "problem(s)")
    assert_one_line_usage_error(run(ip, f"%qrp_verify --notebook {tmp_path / 'no.ipynb'}"),
                                "does not exist", "--notebook")


def test_verify_replay_re_executes_live_promotions(ip, world):
    cid = make_candidate(ip, world)  # promoted to candidate: a live status
    cell = run(ip, "%qrp_verify --replay")
    assert cell.error is None, cell.error
    assert f"(candidate(s) {cid[:12]}): IDENTICAL in" in cell.captured.stdout
    assert_one_line_usage_error(run(ip, "%qrp_verify --replay --notebook x.ipynb"),
                                "%qrp_verify", "--replay")
