"""The lineage DAG in a real JupyterLab, driven with a real mouse: it draws every node and edge
and fits on open, no edge runs over a node, a background drag pans (and selects no text, and
stops when the button is released or the browser cancels the pointer), the wheel zooms, labels stay readable or hide at every
zoom, a click shows the node's full hashes whole while a drag from a node selects nothing, and
reset brings back the fitted view.

The DAG is a rejected candidate's lineage from a real store (26 nodes: dataset, run, instance,
artifacts, seeds, the refused report, the events), saved in a notebook opened untrusted.
Positions are read from the screen (``getBoundingClientRect`` of each ``.qrp-dag-node``), so
the tests hold whatever the renderer uses inside (a transform, a viewBox).
"""

from __future__ import annotations

import json
import re

import pytest

from lab_harness import qrp_output, saved_qrp_outputs, wait_for_qrp_outputs
from hostile_evidence import build
from qrp_jupyter.lineage import MIME_LINEAGE

HEX64 = re.compile(r"^[0-9a-f]{64}$")
#: Pixels of slack for screen positions (sub-pixel rounding, borders).
SLACK = 2.0

#: Screen boxes of the svg and of every node, by node id.
BOXES_JS = """(out) => {
  const svg = out.querySelector('svg.qrp-dag');
  const box = (el) => { const r = el.getBoundingClientRect();
                        return {x: r.left, y: r.top, w: r.width, h: r.height}; };
  const nodes = {};
  for (const n of out.querySelectorAll('.qrp-dag-node'))
    nodes[n.getAttribute('data-node-id')] = box(n);
  return {svg: svg ? box(svg) : null, nodes};
}"""

#: A point of the svg's background: inside it, on no node (the pan starts there).
BACKGROUND_JS = """(out) => {
  const svg = out.querySelector('svg.qrp-dag');
  const r = svg.getBoundingClientRect();
  for (let fy = 0.1; fy < 0.95; fy += 0.05)
    for (let fx = 0.05; fx < 0.95; fx += 0.05) {
      const x = r.left + fx * r.width, y = r.top + fy * r.height;
      const el = document.elementFromPoint(x, y);
      if (el && svg.contains(el) && !el.closest('.qrp-dag-node')) return {x, y};
    }
  return null;
}"""

#: A node whose centre is on screen and not covered: clicking there reaches it.
CLICKABLE_JS = """(out, kinds) => {
  for (const kind of kinds)
    for (const n of out.querySelectorAll('.qrp-dag-node')) {
      if (!n.getAttribute('data-node-id').startsWith(kind + ':')) continue;
      const r = n.getBoundingClientRect();
      const x = r.left + r.width / 2, y = r.top + r.height / 2;
      const el = document.elementFromPoint(x, y);
      if (el && el.closest('.qrp-dag-node') === n)
        return {id: n.getAttribute('data-node-id'), x, y};
    }
  return null;
}"""


#: Where a full hash stands in the detail pane: for each text node holding it, the lines its
#: characters take and whether they all lie within the pane's box (not cut off at its edge).
HASH_SHOWN_JS = """(pane, h) => {
  const box = pane.getBoundingClientRect();
  const walk = document.createTreeWalker(pane, NodeFilter.SHOW_TEXT);
  const seen = [];
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const i = n.data.indexOf(h);
    if (i < 0) continue;
    const r = document.createRange();
    r.setStart(n, i);
    r.setEnd(n, i + h.length);
    const rects = [...r.getClientRects()].filter(x => x.width > 0);
    seen.push({lines: new Set(rects.map(x => Math.round(x.top))).size,
               inside: rects.length > 0 && rects.every(x => x.left >= box.left - 1 &&
                                                             x.right <= box.right + 1)});
  }
  return seen;
}"""


@pytest.fixture(scope="module")
def evidence(lab):
    return build(lab.root, name="dag.ipynb")


@pytest.fixture
def dag(browser, evidence):
    """The lineage output of a freshly opened notebook, scrolled into view, once it is drawn."""
    saved = saved_qrp_outputs(json.loads((browser.lab.root / evidence.notebook)
                                         .read_text("utf-8")))
    browser.open(evidence.notebook)
    drawn = wait_for_qrp_outputs(browser, len(saved))
    assert [o["mime"] for o in drawn if o["root"]] == [m for _, m in saved], drawn
    out = qrp_output(browser.page, MIME_LINEAGE)
    assert out.count() == 1
    out = out.first
    svg = out.locator("svg.qrp-dag")
    assert svg.count() == 1, "the lineage output has no svg.qrp-dag"
    svg.scroll_into_view_if_needed()
    settle(browser, out)
    return out


def settle(browser, dag) -> None:
    """Wait until the nodes stand still (a fit or zoom transition, if any, is over): their
    boxes equal across two animation frames."""
    browser.page.wait_for_function(
        """(out) => new Promise(done => { const s = () => JSON.stringify(
             [...out.querySelectorAll('.qrp-dag-node')].map(n => {
               const r = n.getBoundingClientRect(); return [r.left, r.top, r.width]; }));
           const a = s(); requestAnimationFrame(() => requestAnimationFrame(
             () => done(a === s()))); })""", arg=dag.element_handle(), timeout=10_000)


def boxes(dag) -> dict:
    return dag.evaluate(BOXES_JS)


def _inside(node: dict, svg: dict) -> bool:
    return (node["x"] >= svg["x"] - SLACK and node["y"] >= svg["y"] - SLACK
            and node["x"] + node["w"] <= svg["x"] + svg["w"] + SLACK
            and node["y"] + node["h"] <= svg["y"] + svg["h"] + SLACK)


def _moves(before: dict, after: dict) -> dict[str, tuple[float, float]]:
    """How far each node moved on screen between two readings."""
    return {k: (after[k]["x"] - b["x"], after[k]["y"] - b["y"]) for k, b in before.items()}


def _centre(svg: dict) -> tuple[float, float]:
    return svg["x"] + svg["w"] / 2, svg["y"] + svg["h"] / 2


def test_the_dag_draws_every_node_and_fits_on_open(dag, evidence):
    b = boxes(dag)
    assert b["svg"]["w"] > 200 and b["svg"]["h"] > 100, b["svg"]
    assert set(b["nodes"]) == {n["id"] for n in evidence.lineage["nodes"]}
    outside = [k for k, n in b["nodes"].items() if not _inside(n, b["svg"])]
    assert outside == [], f"{len(outside)} of {len(b['nodes'])} nodes outside the view"
    assert all(n["w"] > 0 and n["h"] > 0 for n in b["nodes"].values())


#: Every drawn edge (``path[data-source][data-target]``) sampled every 3 px on screen; for
#: each, the nodes other than its own two that a sample falls inside (2 px in from the edge).
EDGE_HITS_JS = """(out) => {
  const boxes = {};
  for (const n of out.querySelectorAll('.qrp-dag-node'))
    boxes[n.getAttribute('data-node-id')] = n.getBoundingClientRect();
  const res = [];
  for (const p of out.querySelectorAll('svg.qrp-dag path[data-source][data-target]')) {
    const s = p.getAttribute('data-source'), t = p.getAttribute('data-target');
    const m = p.getScreenCTM(), len = p.getTotalLength(), hits = new Set();
    for (let d = 0; d <= len; d += 3) {
      const q = p.getPointAtLength(d);
      const x = m.a * q.x + m.c * q.y + m.e, y = m.b * q.x + m.d * q.y + m.f;
      for (const [id, b] of Object.entries(boxes))
        if (id !== s && id !== t && x > b.left + 2 && x < b.right - 2 &&
            y > b.top + 2 && y < b.bottom - 2) hits.add(id);
    }
    res.push({source: s, target: t, hits: [...hits]});
  }
  return res;
}"""


def test_every_edge_is_drawn_and_crosses_no_node(dag, evidence):
    edges = dag.evaluate(EDGE_HITS_JS)
    assert sorted((e["source"], e["target"]) for e in edges) == \
        sorted((e["source"], e["target"]) for e in evidence.lineage["edges"])
    crossing = [e for e in edges if e["hits"]]
    assert crossing == [], f"{len(crossing)} edges run over other nodes: {crossing[:3]}"


def test_a_background_drag_pans_selects_nothing_and_stops_on_release(browser, dag):
    page, before = browser.page, boxes(dag)
    start = dag.evaluate(BACKGROUND_JS)
    assert start is not None, "no background point inside the svg"
    dx, dy = 60, 40
    page.mouse.move(start["x"], start["y"])
    page.mouse.down()
    page.mouse.move(start["x"] + dx / 2, start["y"] + dy / 2, steps=4)
    page.mouse.move(start["x"] + dx, start["y"] + dy, steps=4)
    page.mouse.up()
    settle(browser, dag)
    after = boxes(dag)
    # Every node followed the pointer, by the pointer's own distance.
    off = {k: m for k, m in _moves(before["nodes"], after["nodes"]).items()
           if abs(m[0] - dx) > SLACK or abs(m[1] - dy) > SLACK}
    assert off == {}, f"{len(off)} nodes did not follow the drag of ({dx}, {dy}): " \
                      f"{list(off.items())[:3]}"
    selected = page.evaluate("() => String(window.getSelection())")
    assert selected == "", f"the drag selected text: {selected[:80]!r}"
    # Released: moving the mouse with no button pressed leaves the graph where it is.
    page.mouse.move(start["x"] + dx + 120, start["y"] + dy + 80, steps=6)
    settle(browser, dag)
    assert boxes(dag)["nodes"] == after["nodes"], "the graph kept following the released mouse"


def test_a_cancelled_touch_drag_ends_the_pan(browser, dag):
    """A touch pan the browser cancels (a real ``pointercancel``, from Chromium's own touch
    input) ends the drag: the graph stays where the touch left it, and the next drag pans."""
    page, start = browser.page, dag.evaluate(BACKGROUND_JS)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1})
    try:
        _cancelled_touch_pan(browser, dag, cdp, start)
    finally:  # the page is shared by the module's other tests: mouse only again
        cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": False})
        cdp.detach()


def _cancelled_touch_pan(browser, dag, cdp, start) -> None:
    page = browser.page

    def touch(kind: str, points: list[dict]) -> None:
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    before = boxes(dag)["nodes"]
    touch("touchStart", [{"x": start["x"], "y": start["y"]}])
    for i in range(1, 6):
        touch("touchMove", [{"x": start["x"] + 10 * i, "y": start["y"] + 6 * i}])
    touch("touchCancel", [])
    settle(browser, dag)
    left = boxes(dag)["nodes"]
    off = {k: m for k, m in _moves(before, left).items()
           if abs(m[0] - 50) > SLACK or abs(m[1] - 30) > SLACK}
    assert off == {}, f"the touch pan did not move the graph by (50, 30): {list(off.items())[:3]}"
    page.mouse.move(start["x"] + 200, start["y"] + 120, steps=6)
    settle(browser, dag)
    assert boxes(dag)["nodes"] == left, "the graph followed the mouse after the cancelled drag"
    start = dag.evaluate(BACKGROUND_JS)
    page.mouse.move(start["x"], start["y"])
    page.mouse.down()
    page.mouse.move(start["x"] - 40, start["y"] - 20, steps=4)
    page.mouse.up()
    settle(browser, dag)
    off = {k: m for k, m in _moves(left, boxes(dag)["nodes"]).items()
           if abs(m[0] + 40) > SLACK or abs(m[1] + 20) > SLACK}
    assert off == {}, f"the next drag did not pan by (-40, -20): {list(off.items())[:3]}"


def test_the_wheel_zooms_in_and_out(browser, dag):
    page, before = browser.page, boxes(dag)
    x, y = _centre(before["svg"])
    page.mouse.move(x, y)
    page.mouse.wheel(0, -400)
    settle(browser, dag)
    zin = boxes(dag)
    grew = [zin["nodes"][k]["w"] / b["w"] for k, b in before["nodes"].items()]
    assert min(grew) > 1.05, f"zoom in: widths scaled by {min(grew):.3f}..{max(grew):.3f}"
    page.mouse.wheel(0, 800)
    settle(browser, dag)
    zout = boxes(dag)
    shrank = [zout["nodes"][k]["w"] / zin["nodes"][k]["w"] for k in before["nodes"]]
    assert max(shrank) < 0.95, f"zoom out: widths scaled by {min(shrank):.3f}..{max(shrank):.3f}"
    # The page itself did not scroll away under the wheel: the svg stayed put.
    assert abs(zout["svg"]["y"] - before["svg"]["y"]) <= SLACK, \
        f"the wheel scrolled the page: the svg moved from y={before['svg']['y']} to " \
        f"{zout['svg']['y']}"


def test_a_click_on_a_node_shows_its_full_hashes_without_panning(browser, dag, evidence):
    by_id = {n["id"]: n for n in evidence.lineage["nodes"]}
    target = dag.evaluate(CLICKABLE_JS, ["run_instance", "report", "artifact", "dataset"])
    assert target is not None, "no node can be clicked"
    hashes = by_id[target["id"]]["hashes"]
    assert hashes and all(HEX64.match(h) for h in hashes.values())
    before = boxes(dag)
    browser.page.mouse.click(target["x"], target["y"])
    settle(browser, dag)
    detail = dag.locator(".qrp-dag-detail")
    assert detail.count() == 1 and detail.is_visible()
    for key, h in hashes.items():
        seen = detail.evaluate(HASH_SHOWN_JS, h)
        assert seen, f"full {key} {h} of {target['id']} not in the detail pane"
        # Readable whole: on one line and inside the pane, not wrapped or cut off at its edge.
        assert any(s["lines"] == 1 and s["inside"] for s in seen), \
            f"{key} of {target['id']} is not shown whole on one line in the pane: {seen}"
    assert boxes(dag)["nodes"] == before["nodes"], "a click on a node moved the graph"


#: Rendered heights (px) of the node labels a user can see at the current zoom.
LABELS_JS = """(out) => [...out.querySelectorAll('svg.qrp-dag .qrp-dag-node text')]
  .filter(t => t.textContent.trim() && t.checkVisibility({opacityProperty: true,
                                                         visibilityProperty: true}))
  .map(t => t.getBoundingClientRect().height).filter(h => h > 0)"""
#: Smallest label height (px) that still reads; the issue saw 5 px labels when zoomed out.
MIN_LABEL_PX = 8


def test_labels_are_readable_or_hidden_at_every_zoom(browser, dag):
    page = browser.page
    x, y = _centre(boxes(dag)["svg"])
    page.mouse.move(x, y)
    for step in (0, 1200, 1200):  # as fitted, then zoomed out twice
        if step:
            page.mouse.wheel(0, step)
            settle(browser, dag)
        heights = dag.evaluate(LABELS_JS)
        assert all(h >= MIN_LABEL_PX for h in heights), \
            f"labels {min(heights):.1f} px high are shown (zoom step {step})"
    dag.locator(".qrp-dag-reset").click()
    settle(browser, dag)
    page.mouse.move(x, y)
    page.mouse.wheel(0, -1500)
    settle(browser, dag)
    heights = dag.evaluate(LABELS_JS)
    assert heights, "zoomed in, still no label is shown"
    assert min(heights) >= MIN_LABEL_PX


def test_a_drag_that_starts_on_a_node_does_not_select_it(browser, dag, evidence):
    by_id = {n["id"]: n for n in evidence.lineage["nodes"]}
    target = dag.evaluate(CLICKABLE_JS, ["run_instance", "report", "artifact"])
    assert target is not None, "no node can be reached"
    page = browser.page
    page.mouse.move(target["x"], target["y"])
    page.mouse.down()
    page.mouse.move(target["x"] + 50, target["y"] + 35, steps=6)
    page.mouse.up()
    settle(browser, dag)
    detail = dag.locator(".qrp-dag-detail")
    for h in by_id[target["id"]]["hashes"].values():
        assert detail.evaluate(HASH_SHOWN_JS, h) == [], \
            f"a drag from {target['id']} selected it (its hash is in the detail pane)"
    selected = page.evaluate("() => String(window.getSelection())")
    assert selected == "", f"the drag selected text: {selected[:80]!r}"


def test_reset_restores_the_fitted_view(browser, dag):
    page, fitted = browser.page, boxes(dag)
    x, y = _centre(fitted["svg"])
    page.mouse.move(x, y)
    page.mouse.wheel(0, -500)
    settle(browser, dag)
    start = dag.evaluate(BACKGROUND_JS)
    page.mouse.move(start["x"], start["y"])
    page.mouse.down()
    page.mouse.move(start["x"] - 90, start["y"] + 30, steps=6)
    page.mouse.up()
    settle(browser, dag)
    assert boxes(dag)["nodes"] != fitted["nodes"]
    reset = dag.locator(".qrp-dag-reset")
    assert reset.count() == 1, "no .qrp-dag-reset control"
    reset.click()
    settle(browser, dag)
    back = boxes(dag)
    for k, f in fitted["nodes"].items():
        b = back["nodes"][k]
        assert all(abs(b[c] - f[c]) <= SLACK for c in ("x", "y", "w", "h")), (k, f, b)


def test_the_console_stayed_clean(browser, dag):
    """Last in the module: no console error, uncaught error or dialog in the whole session."""
    assert browser.console.errors == []
    assert browser.console.dialogs == []
