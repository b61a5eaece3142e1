"""``%qrp_runs`` and ``%qrp_candidates``: the columns a quant scans, the last report's verdict
and blockers, short ids with the full id at hand, one missing-value marker, text not HTML."""

from __future__ import annotations

import json
import math
import re

import pytest

from kshell import run
from qrp_jupyter.store import Store
from qrp_jupyter.views import MIME_CANDIDATES, MISSING, RUN_COLUMNS, validate_payload

XSS = "<img src=x onerror=alert(1)>"
TITLE = re.compile(r'<td [^>]*title="([0-9a-f]{64})">([0-9a-f]{12})</td>')


@pytest.fixture
def promoted(ip, world):
    """The edge run's best trial promoted to candidate, the noise run's refused."""
    ok = run(ip, f"%qrp_promote {world.edge.run_key[:12]} --to candidate").value.data
    refused = run(ip, f"%qrp_promote {world.noise.run_key[:12]} --to candidate").value.data
    assert ok.passed and not refused.passed
    return ok, refused


def _summary(world, run_instance_id):
    s = Store(world.store.path, readonly=True)
    try:
        return json.loads(s.one("run_instances.get", (run_instance_id,))["result_json"])["summary"]
    finally:
        s.close()


def test_runs_show_family_trials_statistics_status_and_the_last_verdict(ip, world, promoted):
    ok, refused = promoted
    runs = run(ip, "%qrp_runs").value
    assert list(runs.columns) == [k for k, _ in RUN_COLUMNS]
    by_key = {r["run_key"]: r for r in runs.to_dict("records")}
    for outcome, cand, verdict in ((world.edge, ok, "passed (candidate)"),
                                   (world.noise, refused, "refused (candidate)")):
        row, summary = by_key[outcome.run_key], _summary(world, outcome.run_instance_id)
        assert row["trials"] == summary["n_trials"]
        assert row["best_sharpe_annual"] == summary["best_sharpe_annual"]
        assert row["reality_check_pvalue"] == summary["reality_check_pvalue"]
        assert row["spa_pvalue"] == summary["spa_pvalue"]
        assert row["last_verdict"] == verdict
        assert row["last_report_id"] == cand.eligibility_report_id
    edge, noise = by_key[world.edge.run_key], by_key[world.noise.run_key]
    assert edge["status"] == "candidate" and edge["blockers"] == []
    # the refusal leaves the status exploratory; the listing says it was refused, and why
    assert noise["status"] == "exploratory"
    assert noise["blockers"] == [b.split(":")[0] for b in refused.report["blockers"]]
    assert noise["blockers"]


def test_candidates_show_the_refusal_not_a_bare_exploratory(ip, world, promoted):
    ok, refused = promoted
    cands = run(ip, "%qrp_candidates").value
    row = cands.set_index("candidate_id").loc[refused.candidate_id]
    assert row["status"] == "exploratory"
    assert row["last_verdict"] == "refused (candidate)"
    assert row["last_report_id"] == refused.eligibility_report_id
    assert row["eligibility_report_id"] is None  # the status rests on no report
    assert row["blockers"] == [b.split(":")[0] for b in refused.report["blockers"]]
    data, _ = ip.display_formatter.format(cands)
    payload = data[MIME_CANDIDATES]
    assert validate_payload(payload) == []
    last = {c["candidate_id"]: c["last_report"] for c in payload["candidates"]}
    assert last[refused.candidate_id] == {
        "eligibility_report_id": refused.eligibility_report_id, "level": "candidate",
        "passed": False, "blockers": refused.report["blockers"]}
    assert last[ok.candidate_id]["passed"] is True
    # the refused row's HTML: its real status, the verdict, the blockers, the missing link
    html = data["text/html"]
    refused_row = next(r for r in html.split("<tr>") if refused.candidate_id in r)
    for needle in (">exploratory<", ">refused (candidate)<", f">{MISSING}<",
                   f'title="{refused.eligibility_report_id}"'):
        assert needle in refused_row, needle
    assert "NaN" not in html and "None" not in html
    assert "NaN" not in data["text/plain"] and "None" not in data["text/plain"]


@pytest.mark.parametrize("magic", ["%qrp_runs", "%qrp_candidates"])
def test_ids_are_short_with_the_full_id_in_the_title_and_in_the_data(ip, world, promoted,
                                                                     magic):
    frame = run(ip, magic).value
    data, _ = ip.display_formatter.format(frame)
    html, text = data["text/html"], data["text/plain"]
    pairs = TITLE.findall(html)
    assert pairs and all(full.startswith(short) for full, short in pairs)
    # every 64-hex id of the frame is in a title, none is spelled out as cell text
    ids = {v for col in frame.columns for v in frame[col]
           if isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v)}
    assert ids and ids == {full for full, _ in pairs}
    assert not re.search(r">[0-9a-f]{64}<", html)
    # (the ledger head a payload output ends with is a digest to record: it stays whole)
    rows = [ln for ln in text.splitlines() if not ln.startswith("ledger head:")]
    assert not re.search(r"[0-9a-f]{13,}", "\n".join(rows))
    # the frame itself keeps full ids
    key = "run_key" if magic == "%qrp_runs" else "candidate_id"
    assert all(len(v) == 64 for v in frame[key])


def test_one_missing_marker_in_a_slice_too(ip, world):
    runs = run(ip, "%qrp_runs").value  # no candidate yet: status, verdict, report missing
    assert all(v is None for v in runs["status"])  # object columns: None, never NaN
    part = runs[["run_key", "family", "status", "last_verdict", "best_sharpe_annual"]]
    data, _ = ip.display_formatter.format(part)
    assert "application/vnd.qrp.candidates+json" not in data
    for body in (data["text/html"], data["text/plain"]):
        assert MISSING in body and "None" not in body and "NaN" not in body
    assert re.search(r'title="[0-9a-f]{64}"', data["text/html"])
    # a float NaN placed by the user shows as the same marker
    part = part.assign(best_sharpe_annual=math.nan)
    data, _ = ip.display_formatter.format(part)
    assert "NaN" not in data["text/html"] and "nan" not in data["text/plain"]


def test_names_from_the_store_are_text_not_html(ip, world):
    cell = run(ip, f"%%qrp_run {json.dumps(XSS)} --dataset edge\n"
                   'family = "t-xss"\n[strategy]\nkind = "ts_momentum"\n'
                   "[strategy.grid]\nlookback = [1, 2]\n[walk_forward]\nenabled = false\n"
                   "[nulls.reality_check]\nreps = 19\n[nulls.spa_stepm]\nenabled = false\n"
                   "[nulls.pbo]\nenabled = false\n")
    assert cell.error is None, cell.error
    run(ip, f"%qrp_promote {cell.value.run_key[:12]} --to candidate")
    for magic in ("%qrp_runs", "%qrp_candidates"):
        data, _ = ip.display_formatter.format(run(ip, magic).value)
        assert XSS not in data["text/html"]
        assert "&lt;img src=x onerror=alert(1)&gt;" in data["text/html"]
        assert "<img" not in data["text/html"]


def test_a_slice_keeps_the_title_and_drops_the_payload(ip, world, promoted):
    cands = run(ip, "%qrp_candidates").value
    data, _ = ip.display_formatter.format(cands[["candidate_id", "status", "last_verdict"]])
    assert MIME_CANDIDATES not in data
    assert data["text/plain"].splitlines()[0] == "QRP candidates: 2 row(s)"
    assert ">refused (candidate)<" in data["text/html"]
