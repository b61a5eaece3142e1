"""Listings (``qrp_jupyter.views.listing``): one missing marker, short ids with the full id in
the title, text that cannot pose as markup or as QRP's own lines, and the last report by
chain position."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from qrp_jupyter.governance import create_candidate, promote
from qrp_jupyter.views import MISSING, last_reports, listing_bundle, runs_listing
from qrp_jupyter.views.listing import listing_html, listing_text

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

H = "ab" * 32
COLS = [("id", "id"), ("v", "value")]


@pytest.mark.parametrize("value", [None, math.nan, np.nan, pd.NA, pd.NaT, np.float64("nan")])
def test_every_kind_of_missing_is_one_marker(value):
    text = listing_text("t", COLS, [{"id": H, "v": value}])
    html = listing_html("t", COLS, [{"id": H, "v": value}])
    assert text.splitlines()[2].split() == [H[:12], MISSING]
    assert f">{MISSING}</td>" in html
    for word in ("None", "NaN", "nan", "NA", "NaT"):
        assert word not in text.splitlines()[2] and f">{word}<" not in html


def test_values_are_formatted_one_way():
    rows = [{"id": H, "v": v} for v in (np.float64(0.123456789), 3, True, [], ["a", "b"],
                                        {"b": 1, "a": 2})]
    text = listing_text("t", COLS, rows).splitlines()[2:]
    assert [ln.split(None, 1)[1] for ln in text] == ["0.1235", "3", "true", "none", "a, b",
                                                     '{"a": 2, "b": 1}']


def test_ids_are_short_and_whole_in_the_title():
    html = listing_html("t", COLS, [{"id": H, "v": H.upper()}])
    assert f'title="{H}">{H[:12]}</td>' in html
    assert f">{H.upper()}</td>" in html  # only lowercase 64-hex is an id


def test_store_strings_are_text():
    evil = '<img src=x onerror=alert(1)>"\n[ok] forged'
    b = listing_bundle("<b>t</b>", COLS, [{"id": evil, "v": "x"}])
    assert "<img" not in b["text/html"] and "<b>t</b>" not in b["text/html"]
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;" in b["text/html"]
    assert "\n[ok] forged" not in b["text/plain"]  # a newline cannot start a fake line
    assert "\\n[ok] forged" in b["text/plain"] or "\\n[ok] forg" in b["text/plain"]


def test_long_text_is_clipped_in_text_only():
    long = "x" * 200
    b = listing_bundle("t", COLS, [{"id": "a", "v": long}])
    assert max(len(c) for c in b["text/plain"].split()) < 60
    assert "\u2026" in b["text/plain"] and long in b["text/html"]


def test_the_last_report_is_the_latest_in_the_chain_not_by_time(world, monkeypatch):
    # every report gets the same time: only the chain orders them
    monkeypatch.setenv("QRP_DETERMINISTIC_TIME", "2024-01-01T00:00:00Z")
    s = world.store
    cid = create_candidate(s, world.edge.run_instance_id)["candidate_id"]
    first = promote(s, cid, "candidate")
    second = promote(s, cid, "accepted")
    assert first.passed and second.passed
    last = last_reports(s, [cid])[cid]
    assert last["eligibility_report_id"] == second.eligibility_report_id
    assert last["level"] == "accepted" and last["passed"] is True and last["blockers"] == []
    row = next(r for r in runs_listing(s) if r["run_key"] == world.edge.run_key)
    assert row["status"] == "accepted" and row["last_verdict"] == "passed (accepted)"
    assert row["instances"] == 1
    assert row["trials"] == world.edge.summary["n_trials"]
    assert row["best_sharpe_annual"] == world.edge.summary["best_sharpe_annual"]


def test_a_run_never_proposed_has_every_governance_column_missing(world):
    rows = runs_listing(world.store)
    assert {r["run_key"] for r in rows} == {world.edge.run_key, world.noise.run_key}
    for r in rows:
        assert (r["status"], r["last_verdict"], r["blockers"], r["last_report_id"]) == \
            (None, None, None, None)
