"""Run, lineage and audit payloads and their mime bundles, from a real store."""

from __future__ import annotations

import base64
import copy
import doctest
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from qrp_jupyter.audit import render_trace, trace
from qrp_jupyter.errors import ConfigError, NotFoundError
from qrp_jupyter.governance import create_candidate, preview_eligibility, promote
from qrp_jupyter.store import decode_array, decode_json
from qrp_jupyter.views import (MIME_AUDIT, MIME_LINEAGE, MIME_RUN, MIME_TYPES, audit_bundle,
                               audit_payload, bundle, lineage_bundle, lineage_payload,
                               run_bundle, run_payload, schema_markdown, validate_payload)

import insider

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def dumps(obj):
    return json.dumps(obj, sort_keys=True, allow_nan=False)


_SVG_IMAGE = "data:image/svg+xml;base64,"


def parse_html(html):
    """The static HTML is one well-formed XML element with no script or external reference;
    its charts are images whose source is an SVG data URI (sanitizers strip inline <svg>),
    and no inline <svg> is left."""
    root = ET.fromstring(html)
    assert root.tag == "div"
    _static(html, root, images=True)
    assert root.find(".//svg") is None
    return root


def _static(text, root, *, images):
    lowered = text.lower()
    for banned in ("<script", "javascript:", "http://", "https://", "@import", "url("):
        assert banned not in lowered, banned
    for el in root.iter():
        if images and el.tag == "img":
            assert el.get("src", "").startswith(_SVG_IMAGE), el.get("src", "")[:40]
            assert set(el.attrib) == {"src", "width", "height", "alt", "style"}, el.attrib
            continue
        assert el.tag not in {"script", "iframe", "img", "image", "link", "object", "embed",
                              "use", "foreignObject", "style"}, el.tag
        for name in el.attrib:
            # no ids (outputs share a page), no references, no event handlers
            assert name not in {"id", "src", "href", "xlink:href"}, name
            assert not name.startswith("on"), name


def embedded_svgs(root):
    """The SVG element of every chart image, each held to the same static rules."""
    out = []
    for img in root.iter("img"):
        text = base64.b64decode(img.get("src")[len(_SVG_IMAGE):], validate=True).decode()
        # A standalone SVG names its namespace (a name, never fetched), and nothing else.
        ns = ' xmlns="http://www.w3.org/2000/svg"'
        assert text.startswith("<svg" + ns + " ") and text.count("http") == 1, text[:80]
        text = text.replace(ns, "", 1)
        svg = ET.fromstring(text)
        assert svg.tag == "svg" and svg.find("title").text == img.get("alt")
        _static(text, svg, images=False)
        out.append(svg)
    return out


@pytest.fixture
def candidate(world):
    cand = create_candidate(world.store, world.edge.run_instance_id)
    assert promote(world.store, cand["candidate_id"], "candidate").passed
    return cand["candidate_id"]


# ---------------------------------------------------------------------------------------------
# run payload
# ---------------------------------------------------------------------------------------------

def test_run_payload_holds_the_instance_ids_and_every_artifact_hash(world):
    e = world.edge
    p = run_payload(world.store, e.run_key[:10])
    assert validate_payload(p) == []
    assert (p["mime"], p["qrp_mime_version"]) == (MIME_RUN, 1)
    assert (p["run_key"], p["run_instance_id"], p["dataset_id_v2"]) == \
        (e.run_key, e.run_instance_id, e.dataset_id_v2)
    assert p["artifacts"] == e.artifacts  # inputs and outputs, full hashes, by kind
    assert p["summary"] == e.summary and p["n_trials"] == 4
    assert p["config"]["strategy"]["kind"] == "ts_momentum"
    assert p == run_payload(world.store, e.run_instance_id)


def test_trials_are_the_best_by_sharpe_with_equity_from_the_returns_matrix(world):
    n = world.noise
    p = run_payload(world.store, n.run_key, max_trials=3, max_points=50)
    rows = insider.rows(world.store, "SELECT trial_index, sharpe FROM trials WHERE run_key = ? "
                                     "ORDER BY sharpe DESC", (n.run_key,))
    assert [t["trial_index"] for t in p["trials"]] == [r["trial_index"] for r in rows[:3]]
    assert p["n_trials"] == 12 and len(p["trials"]) == 3
    R = decode_array(world.store.get_artifact(n.artifacts["returns_matrix"]))
    eq = p["equity"]
    assert eq["n_obs"] == R.shape[0] and len(eq["index"]) <= 50
    assert eq["index"][0] == 0 and eq["index"][-1] == R.shape[0] - 1
    assert eq["index"] == sorted(set(eq["index"]))
    assert [c["trial_index"] for c in eq["curves"]] == [t["trial_index"] for t in p["trials"]]
    for c in eq["curves"]:
        full = np.cumprod(1.0 + R[:, c["trial_index"]]) - 1.0
        assert len(c["values"]) == len(eq["index"])
        np.testing.assert_allclose(c["values"], full[eq["index"]], rtol=1e-7, atol=1e-12)
    small = run_payload(world.store, n.run_key, max_trials=100, max_points=2)
    assert len(small["trials"]) == 12 and small["equity"]["index"] == [0, R.shape[0] - 1]


def test_null_histograms_pbo_stepm_walk_forward_and_preview(world):
    e = world.edge
    p = run_payload(world.store, e.run_key)
    assert [x["test"] for x in p["nulls"]] == ["reality_check", "spa"]
    for x in p["nulls"]:
        doc = decode_json(world.store.get_artifact(e.artifacts[x["test"]]))
        null = decode_array(world.store.get_artifact(x["null_artifact_id"]))
        null = null[:, 1] if x["test"] == "spa" else null  # lower, consistent, upper
        assert x["artifact_id"] == e.artifacts[x["test"]]
        assert (x["pvalue"], x["statistic"], x["reps"]) == (doc["pvalue"], doc["statistic"],
                                                            doc["reps"])
        assert sum(x["counts"]) == int(np.isfinite(null).sum()) == x["reps"]
        assert len(x["bins"]) == len(x["counts"]) + 1
        assert x["bins"][0] <= x["statistic"] <= x["bins"][-1]
        assert x["bins"][0] <= null.min() and null.max() <= x["bins"][-1]
    assert p["pbo"]["pbo"] == e.summary["pbo"]
    assert p["stepm"]["superior"] == e.summary["stepm_superior"]
    wf = p["walk_forward"]
    assert wf["oos_sharpe_annual"] == e.summary["oos_sharpe_annual"]
    assert wf["fold_causality_valid"] is True and wf["n_folds"] == 3
    assert wf["attestation_id"] == e.artifacts["fold_causality"]
    assert p["eligibility"] == preview_eligibility(world.store, e.run_instance_id)
    assert p["eligibility"]["passed"] and p["eligibility"]["level"] == "candidate"
    assert not run_payload(world.store, world.noise.run_key)["eligibility"]["passed"]


def test_run_payload_limits_and_refs_are_checked(world):
    for kw in ({"max_trials": 0}, {"max_points": 1}, {"max_trials": 2.5}, {"max_points": True}):
        with pytest.raises(ConfigError):
            run_payload(world.store, world.edge.run_key, **kw)
    with pytest.raises(NotFoundError):
        run_payload(world.store, "feedfacefeed")


# ---------------------------------------------------------------------------------------------
# bundles and HTML
# ---------------------------------------------------------------------------------------------

def test_run_bundle_is_deterministic_and_rebuilds_from_its_saved_payload(world):
    b = run_bundle(world.store, world.edge.run_key, max_trials=2)
    assert set(b) == {"text/plain", "text/html", MIME_RUN}
    again = run_bundle(world.store, world.edge.run_key, max_trials=2)
    assert dumps(b) == dumps(again)  # byte-identical
    saved = json.loads(json.dumps(b[MIME_RUN]))  # what a notebook file holds
    assert bundle(saved) == b


def test_run_html_is_static_svg_quoting_every_hash(world):
    e = world.edge
    b = run_bundle(world.store, e.run_key)
    html, text = b["text/html"], b["text/plain"]
    root = parse_html(html)
    for h in [e.run_key, e.dataset_id_v2, e.run_instance_id, *e.artifacts.values()]:
        assert h in html and h in text
    svgs = embedded_svgs(root)
    assert len(svgs) == 4  # equity curves + reality check and SPA histograms + PBO logits
    assert len(svgs[0].findall("polyline")) == len(b[MIME_RUN]["trials"])
    for hist, null in zip(svgs[1:3], b[MIME_RUN]["nulls"]):
        assert len(hist.findall("rect")) == 1 + len(null["counts"])  # frame + bars
        marker = [ln for ln in hist.findall("line") if ln.get("stroke") == "#d62728"]
        assert len(marker) == 1  # the observed statistic
    assert "Eligibility preview" in html and "PASSES" in html


def test_every_string_is_escaped(world):
    p = run_payload(world.store, world.edge.run_key, max_trials=1)
    evil = '<script>alert("x")</script> & <img src=x>'
    p["run"]["name"] = evil
    p["trials"][0]["params"] = {"k": evil}
    p["eligibility"]["blockers"] = [evil]
    html = bundle(p)["text/html"]
    assert embedded_svgs(parse_html(html))  # the charts' SVG is well-formed and static too
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert ET.fromstring(html).itertext()  # still well-formed XML


def test_lineage_bundle_draws_every_node_and_lists_every_hash(world, candidate):
    b = lineage_bundle(world.store, candidate)
    assert set(b) == {"text/plain", "text/html", MIME_LINEAGE}
    p = b[MIME_LINEAGE]
    assert p == lineage_payload(world.store, candidate) and validate_payload(p) == []
    root = parse_html(b["text/html"])
    [svg] = embedded_svgs(root)
    assert len(svg.findall("g")) == len(p["nodes"])
    assert len(svg.findall("path")) == len(p["edges"])
    for n in p["nodes"]:
        for h in n["hashes"].values():
            assert h in b["text/html"]
    assert world.edge.run_key in b["text/plain"] and world.edge.dataset_id_v2 in b["text/html"]
    assert dumps(b) == dumps(lineage_bundle(world.store, candidate[:9]))
    assert bundle(json.loads(dumps(p))) == b


def test_audit_bundle_is_the_trace_with_ids_on_top(world, candidate):
    b = audit_bundle(world.store, candidate)
    p = b[MIME_AUDIT]
    assert validate_payload(p) == []
    t = trace(world.store, candidate)
    assert {k: v for k, v in p.items() if k in t} == t and p["ok"]
    assert (p["candidate_id"], p["run_key"], p["dataset_id_v2"], p["run_instance_id"]) == (
        candidate, world.edge.run_key, world.edge.dataset_id_v2, world.edge.run_instance_id)
    assert b["text/plain"] == render_trace(t)
    html = b["text/html"]
    parse_html(html)
    for h in [candidate, world.edge.run_key, world.edge.dataset_id_v2,
              *[a["artifact_id"] for a in p["artifacts"]],
              *[r["eligibility_report_id"] for r in p["reports"]]]:
        assert h in html
    assert "ALL CHECKS PASS" in html
    assert dumps(b) == dumps(audit_bundle(world.store, candidate))
    assert audit_payload(world.store, candidate[:8]) == p


def test_bundle_refuses_a_foreign_payload():
    for bad in ({"mime": "application/json"}, {}, []):
        with pytest.raises(ConfigError, match="not a QRP media type"):
            bundle(bad)


# ---------------------------------------------------------------------------------------------
# documented schema
# ---------------------------------------------------------------------------------------------

def test_schema_check_names_the_path_of_each_departure(world):
    p = run_payload(world.store, world.edge.run_key, max_trials=1)
    bad = copy.deepcopy(p)
    bad["run_key"] = "XYZ"
    bad["trials"][0]["trial_index"] = "0"
    del bad["equity"]["index"]
    bad["surprise"] = 1
    bad["eligibility"]["stored"] = True
    problems = validate_payload(bad)
    assert "$.run_key: expected hex64, got str" in problems
    assert "$.trials[0].trial_index: expected integer, got str" in problems
    assert "$.equity.index: missing" in problems
    assert "$.surprise: not a documented field" in problems
    assert "$.eligibility.stored: True is not one of [False]" in problems
    assert validate_payload({"mime": "x"}) == ["$.mime: 'x' is not a QRP media type"]


def test_schema_doctests():
    import qrp_jupyter.lineage.layout as layout
    import qrp_jupyter.views.schema as schema
    for module in (schema, layout):
        assert doctest.testmod(module).failed == 0


def test_payload_hashes_are_full_hex(world, candidate):
    p = lineage_payload(world.store, candidate)
    for n in p["nodes"]:
        assert all(HEX64.match(h) for h in n["hashes"].values())


DOC = Path(__file__).resolve().parents[2] / "docs" / "mime-types.md"


def test_the_doc_quotes_every_field_table_and_its_examples_validate():
    text = DOC.read_text(encoding="utf-8")
    for mime in MIME_TYPES:
        assert schema_markdown(mime) in text, f"regenerate the {mime} table in {DOC.name}"
        assert f"## `{mime}`" in text, mime
    examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", text, re.S)]
    assert [e["mime"] for e in examples] == list(MIME_TYPES)
    for e in examples:
        assert validate_payload(e) == []


# ---------------------------------------------------------------------------------------------
# what the renderers need: dates, the PBO logit histogram, fold boundaries
# ---------------------------------------------------------------------------------------------

def _bar_times(store, dataset_id_v2):
    """The dataset's candle open times as ISO text, computed here independently of the view."""
    from qrp_jupyter.runs.datasets import load_dataset
    ts = load_dataset(store, dataset_id_v2).timestamps()
    return [np.datetime_as_string(np.datetime64(int(t), "ns"), unit="s") + "Z" for t in ts]


def test_equity_timestamps_are_the_bar_of_each_sampled_row(world):
    n = world.noise
    p = run_payload(world.store, n.run_key, max_points=50)
    eq = p["equity"]
    bars = _bar_times(world.store, n.dataset_id_v2)
    assert len(bars) == eq["n_obs"] + 1  # T bars give T - 1 return rows
    # row i is the return earned over bar i + 1: its open time
    assert eq["timestamps"] == [bars[i + 1] for i in eq["index"]]
    assert eq["timestamps"] == sorted(set(eq["timestamps"]))
    assert "bar i + 1" in eq["timestamp_definition"]
    assert validate_payload(p) == []


def test_pbo_carries_the_logit_histogram_of_its_stored_logits(world):
    e = world.edge
    pbo = run_payload(world.store, e.run_key)["pbo"]
    logits = decode_array(world.store.get_artifact(e.artifacts["pbo_logits"]))
    assert pbo["logits_artifact_id"] == e.artifacts["pbo_logits"]
    assert len(pbo["bins"]) == len(pbo["counts"]) + 1
    assert sum(pbo["counts"]) == logits.size == pbo["n_splits"]
    assert pbo["bins"][0] <= min(logits.min(), 0.0) and max(logits.max(), 0.0) <= pbo["bins"][-1]
    # the counts are the logits' histogram: recount them bin by bin
    edges = np.array(pbo["bins"])
    recount = [int(((logits >= a) & ((logits < b) if k < len(edges) - 2 else (logits <= b))).sum())
               for k, (a, b) in enumerate(zip(edges[:-1], edges[1:]))]
    assert recount == pbo["counts"]
    assert np.count_nonzero(logits <= 0) / logits.size == pbo["pbo"]


def test_walk_forward_boundaries_are_each_test_fold_start_with_its_time(world):
    e = world.edge
    p = run_payload(world.store, e.run_key)
    wf_doc = decode_json(world.store.get_artifact(e.artifacts["walk_forward"]))
    bars = _bar_times(world.store, e.dataset_id_v2)
    bounds = p["walk_forward"]["boundaries"]
    assert [b["row"] for b in bounds] == [f["test_start"] for f in wf_doc["folds"]]
    assert len(bounds) == p["walk_forward"]["n_folds"] == 3
    assert [b["label"] for b in bounds] == ["fold 1 test", "fold 2 test", "fold 3 test"]
    assert [b["timestamp"] for b in bounds] == [bars[b["row"] + 1] for b in bounds]


def test_cpcv_boundaries_are_its_group_starts(world):
    from qrp_jupyter.runs import execute_run
    from world_configs import EDGE_TOML
    toml = EDGE_TOML.replace('name = "edge"', 'name = "edge-cpcv"').replace(
        "[walk_forward]\nn_folds = 3\n", '[walk_forward]\nmode = "cpcv"\nn_folds = 4\n')
    out = execute_run(world.store, toml, source="cpcv.toml")
    p = run_payload(world.store, out.run_instance_id)
    wf_doc = decode_json(world.store.get_artifact(out.artifacts["walk_forward"]))
    bounds = p["walk_forward"]["boundaries"]
    assert [b["row"] for b in bounds] == [g[0] for g in wf_doc["groups"]] and len(bounds) == 4
    assert [b["label"] for b in bounds] == ["group 1", "group 2", "group 3", "group 4"]
    assert validate_payload(p) == []


def test_static_equity_chart_has_dates_and_dashed_fold_markers(world):
    e = world.edge
    b = run_bundle(world.store, e.run_key)
    p = b[MIME_RUN]
    equity = embedded_svgs(parse_html(b["text/html"]))[0]
    texts = [t.text for t in equity.iter("text")]
    stamps = p["equity"]["timestamps"]
    # x ticks: the calendar-aligned UTC times inside the curve's span, as views/ticks.py
    # places them (a chart over a year and more: months)
    from qrp_jupyter.views.svg import _epoch_s
    from qrp_jupyter.views.ticks import time_ticks
    expected = [label for _, label in time_ticks(_epoch_s(stamps[0]), _epoch_s(stamps[-1]))]
    assert len(expected) >= 2 and all(label in texts for label in expected)
    assert not any(t.startswith("row ") for t in texts)
    dashed = [ln for ln in equity.findall("line") if ln.get("stroke-dasharray") == "3 3"]
    assert [ln.find("title").text for ln in dashed] == [x["label"] for x in
                                                        p["walk_forward"]["boundaries"]]
    # labels never overlap: in one lane (same y) their spans are disjoint (6 px a character)
    spans: dict[str, list[tuple[float, float]]] = {}
    for t in equity.iter("text"):
        if t.text in {x["label"] for x in p["walk_forward"]["boundaries"]}:
            w, x = 6.0 * len(t.text), float(t.get("x"))
            left = x if t.get("text-anchor") == "start" else x - w
            spans.setdefault(t.get("y"), []).append((left, left + w))
    for lane in spans.values():
        lane.sort()
        assert all(a[1] <= b[0] for a, b in zip(lane, lane[1:]))
    # without dates (a payload from before they were sent) the axis keeps row numbers
    old = copy.deepcopy(p)
    del old["equity"]["timestamps"], old["equity"]["timestamp_definition"]
    old_svg = embedded_svgs(parse_html(bundle(old)["text/html"]))[0]
    rows = [int(t.text[4:]) for t in old_svg.iter("text") if t.text.startswith("row ")]
    assert len(rows) >= 2 and rows[0] >= 0 and rows[-1] <= p["equity"]["index"][-1]


def test_crowded_fold_labels_move_down_a_lane():
    from qrp_jupyter.views.svg import equity_svg
    index = list(range(48))
    stamps = [f"2024-01-{1 + i // 24:02d}T{i % 24:02d}:00:00Z" for i in index]
    marks = [{"label": f"fold {k + 1} test", "row": r, "timestamp": stamps[r]}
             for k, r in enumerate([10, 12, 14, 40])]
    root = ET.fromstring(equity_svg(index, [{"trial_index": 0, "values": [0.0] * 48}],
                                    timestamps=stamps, markers=marks))
    ys = {t.text: t.get("y") for t in root.iter("text") if t.text.startswith("fold")}
    assert len({ys["fold 1 test"], ys["fold 2 test"], ys["fold 3 test"]}) == 3
    assert ys["fold 4 test"] == ys["fold 1 test"]  # far enough right to share the first lane
    # a span under 3 days: the axis labels carry the hour
    assert {"2024-01-01 00:00", "2024-01-02 00:00"} <= {t.text for t in root.iter("text")}


def test_static_pbo_histogram_draws_the_payload_counts_and_logit_zero(world):
    b = run_bundle(world.store, world.edge.run_key)
    pbo = b[MIME_RUN]["pbo"]
    svg = embedded_svgs(parse_html(b["text/html"]))[3]
    bars = svg.findall("rect")[1:]  # after the frame
    assert [int(r.find("title").text.rsplit(": ", 1)[1]) for r in bars] == pbo["counts"]
    zero = [ln for ln in svg.findall("line") if ln.get("stroke-dasharray") == "4 3"]
    assert [ln.find("title").text for ln in zero] == ["logit 0"]
    # without the histogram (an older payload) the section is left out, not drawn empty
    old = copy.deepcopy(b[MIME_RUN])
    for k in ("bins", "counts", "logits_artifact_id"):
        del old["pbo"][k]
    assert len(embedded_svgs(parse_html(bundle(old)["text/html"]))) == 3
