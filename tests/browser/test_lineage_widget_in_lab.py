"""``%qrp_lineage`` run on a live governed kernel in a real JupyterLab, with and without QRP's
extension: one DAG implementation, and no "model not found" when a notebook is reopened.

The cell's output carries the widget view (``application/vnd.jupyter.widget-view+json``), the
lineage payload and the static HTML. With QRP's extension, Lab draws the payload with QRP's
renderer (ranked before the widget view), live and after a reopen without the kernel, trusted.
Without it, Lab draws the widget through anywidget: the bundle of the same DAG code
(``labextension/src/kernel_widget``), which fits, selects on click and shows full hashes like
the renderer; reopened without a kernel, that Lab says "model not found" (the control: the
failure the renderer's rank prevents). The store is the hostile one, so its markup-laden names
also pass through the widget as text.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from hostile_evidence import Evidence, build
from lab_harness import MARKUP_JS, TRUSTED_JS, start_lab, stop_lab
from test_lab_dag import BOXES_JS, CLICKABLE_JS, HASH_SHOWN_JS, SLACK
from test_static_fallback import PACKAGE

from qrp_jupyter.lineage import MIME_LINEAGE

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
HEX64 = re.compile(r"[0-9a-f]{64}")
#: What JupyterLab's widget manager shows for a widget view whose model is gone.
MODEL_NOT_FOUND = "model not found"
#: Seconds for the governed kernel to start and the cell to run on a busy machine.
KERNEL_S = 180


def _notebook(root, name: str, evidence: Evidence) -> str:
    """A notebook on the governed kernel whose one cell shows the candidate's lineage."""
    nb = {"nbformat": 4, "nbformat_minor": 5,
          "metadata": {"kernelspec": {"name": "qrp", "display_name": "Python 3 (QRP)",
                                      "language": "python"}},
          "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": [f"%qrp_lineage {evidence.candidate_id} --db hostile.sqlite"]}]}
    (root / name).write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return name


def _run_all_and_save(browser, name: str) -> dict:
    """Run every cell on the notebook's kernel, save it through Lab, return the saved file."""
    page = browser.page
    browser.open(name)
    page.wait_for_function(
        "() => { const s = window.jupyterapp.shell.currentWidget.sessionContext;"
        " return !!s.session && !!s.session.kernel && s.session.kernel.status === 'idle'; }",
        timeout=KERNEL_S * 1000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        "() => { const c = window.jupyterapp.shell.currentWidget.content.widgets[0];"
        " return c.model.executionCount !== null && c.model.outputs.length > 0; }",
        timeout=KERNEL_S * 1000)
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    path = browser.lab.root / name
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        saved = json.loads(path.read_text("utf-8"))
        if saved["cells"][0]["outputs"]:
            return saved
        time.sleep(0.2)
    raise AssertionError(f"Lab did not save {name} with its output")


def _shut_down_kernels(lab) -> None:
    status, body = lab.api("/api/kernels")
    assert status == 200, body
    for kernel in json.loads(body):
        assert lab.api(f"/api/kernels/{kernel['id']}", method="DELETE")[0] == 204


def _saved_bundle(saved: dict) -> dict:
    outputs = saved["cells"][0]["outputs"]
    assert len(outputs) == 1, outputs
    return outputs[0]["data"]


def _output(page):
    return page.locator(".jp-Notebook .jp-OutputArea-output").first


def _page_text(page) -> str:
    return page.evaluate("() => document.body.innerText")


@pytest.fixture(scope="module")
def evidence(lab):
    return build(lab.root, name="hostile-evidence.ipynb")


def test_with_the_extension_lab_draws_the_payload_live_and_reopened(browser, evidence):
    page, lab = browser.page, browser.lab
    name = _notebook(lab.root, "lineage-live.ipynb", evidence)
    saved = _run_all_and_save(browser, name)
    data = _saved_bundle(saved)
    assert {WIDGET_MIME, MIME_LINEAGE, "text/html", "text/plain"} <= set(data)
    assert data[MIME_LINEAGE]["root"]["id"] == evidence.candidate_id
    # Live, with the widget's model in the kernel: QRP's renderer is Lab's choice.
    out = _output(page)
    out.locator("svg.qrp-dag").wait_for(timeout=30_000)
    assert out.get_attribute("data-mime-type") == MIME_LINEAGE
    assert "qrp-output" in out.evaluate("o => [...o.classList]")
    # Reopened with no kernel holding the model (and no widget state saved): trusted, so the
    # widget view would be eligible, and the renderer is still drawn, not "model not found".
    _shut_down_kernels(lab)
    browser.open(name)
    out = _output(page)
    out.locator("svg.qrp-dag").wait_for(timeout=30_000)
    assert all(page.evaluate(TRUSTED_JS)), "Lab did not sign the notebook it ran and saved"
    assert out.get_attribute("data-mime-type") == MIME_LINEAGE
    nodes = {n["id"] for n in data[MIME_LINEAGE]["nodes"]}
    assert set(out.evaluate(BOXES_JS)["nodes"]) == nodes
    assert MODEL_NOT_FOUND not in _page_text(page).lower()
    assert browser.console.errors == [] and browser.console.dialogs == []


@pytest.fixture(scope="module")
def plain_lab(playwright_api, tmp_path_factory):
    """A real ``jupyter lab`` in which QRP's lab extension is disabled (ipywidgets and
    anywidget, which the package depends on, are there)."""
    server = start_lab(tmp_path_factory.mktemp("lab-without-qrp"), disabled=(PACKAGE,))
    yield server
    stop_lab(server)


@pytest.fixture(scope="module")
def plain(browser, plain_lab):
    """The module's browser, pointed at the Lab without QRP's extension."""
    own = browser.lab
    browser.lab = plain_lab
    try:
        yield browser
    finally:
        browser.lab = own


def test_without_the_extension_the_widget_draws_the_same_dag(plain):
    browser, page, lab = plain, plain.page, plain.lab
    evidence = build(lab.root, name="hostile-evidence.ipynb")
    name = _notebook(lab.root, "lineage-widget.ipynb", evidence)
    saved = _run_all_and_save(browser, name)
    payload = _saved_bundle(saved)[MIME_LINEAGE]
    assert page.evaluate(f"() => window.jupyterapp.hasPlugin('{PACKAGE}:renderers')") is False
    out = _output(page)
    try:
        out.locator("svg.qrp-dag").wait_for(timeout=60_000)
    except PlaywrightTimeout:
        raise AssertionError(f"no DAG in the widget's output: {out.inner_text()!r}") from None
    # drawn by the widget view (jupyterlab_widgets' renderer is a Lumino panel holding the
    # anywidget view), not by a rendermime renderer (QRP's marks its node .qrp-output)
    classes = out.evaluate("o => [...o.classList]")
    assert "lm-Panel" in classes and "qrp-output" not in classes, classes
    assert out.get_attribute("data-mime-type") is None
    # the widget's stylesheet came with it (Lab has no QRP css here): the canvas's own rules
    svg = out.locator("svg.qrp-dag")
    style = svg.evaluate("s => { const c = getComputedStyle(s);"
                         " return {cursor: c.cursor, touch: c.touchAction,"
                         " h: s.getBoundingClientRect().height}; }")
    assert style["cursor"] == "grab" and style["touch"] == "none", style
    assert 240 - SLACK <= style["h"] <= 560 + SLACK, style
    # fitted on open: every node of the payload drawn, inside the canvas
    svg.scroll_into_view_if_needed()
    boxes = out.evaluate(BOXES_JS)
    assert set(boxes["nodes"]) == {n["id"] for n in payload["nodes"]}
    s = boxes["svg"]
    for node_id, b in boxes["nodes"].items():
        assert (b["x"] >= s["x"] - SLACK and b["y"] >= s["y"] - SLACK
                and b["x"] + b["w"] <= s["x"] + s["w"] + SLACK
                and b["y"] + b["h"] <= s["y"] + s["h"] + SLACK), (node_id, b, s)
    # a click selects and shows the node's full hash on one line, with a copy button
    target = out.evaluate(CLICKABLE_JS, ["run_instance", "run", "dataset"])
    assert target is not None, "no node of the DAG can be clicked"
    page.mouse.click(target["x"], target["y"])
    pane = out.locator(".qrp-dag-detail")
    full = next(n for n in payload["nodes"] if n["id"] == target["id"])
    digest = next(v for v in full["hashes"].values() if HEX64.fullmatch(v))
    pane.locator(f"text={digest}").first.wait_for(timeout=10_000)
    assert pane.evaluate(HASH_SHOWN_JS, digest)[0] == {"lines": 1, "inside": True}
    assert pane.locator("button.qrp-copy").count() >= 1
    assert out.locator(".qrp-dag-selected").get_attribute("data-node-id") == target["id"]
    # the store's markup (a dataset named <img src=x onerror=...>) is text in the widget too
    assert out.evaluate(MARKUP_JS) == []
    assert browser.console.errors == [] and browser.console.dialogs == []

    # The control: reopened in this Lab with the kernel gone, the widget view has no model and
    # Lab says so. (With QRP's extension the payload is drawn instead: the test above.)
    _shut_down_kernels(lab)
    browser.open(name)
    assert all(page.evaluate(TRUSTED_JS))
    page.wait_for_function(
        f"() => document.body.innerText.toLowerCase().includes('{MODEL_NOT_FOUND}')",
        timeout=60_000)
    browser.console.errors.clear()  # the widget manager logs the missing model: expected here
