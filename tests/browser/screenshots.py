"""Screenshots of each QRP renderer and of the review panel in a real JupyterLab, for docs/.

    .venv/bin/python tests/browser/screenshots.py [OUT_DIR]   # default: docs/screenshots

Starts the same isolated ``jupyter lab`` and Chromium as the browser tests, opens the example
notebooks (untrusted, with their committed outputs) and the hostile-strings notebook built from
a real store, and saves one PNG per QRP media type (``lab-<kind>.png``): the first output Lab
drew with that type, as QRP's renderer drew it; the first parameter-grid heatmap
(``lab-run-grid.png``). The DAG is shot again after a click on its
run-instance node, to show the detail pane (``lab-lineage-selected.png``), and the review
panel over the demo store with its refused candidate's report open (``review-panel.png``),
and the static view a sanitizer keeps, without QRP's extension (``static-run.png``).

Framing: an element screenshot scrolls whatever ancestor it finds, and Lab's shell (which is
not meant to scroll) then stays shifted for every later shot. So the page is made tall enough
for the tallest output, the notebook's own scroller alone brings an output to its top, every
other ancestor is put back at scroll 0, and the shot is a clip of the page at the output's box.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

from hostile_evidence import build  # noqa: E402  (imported from this folder, added above)
from lab_harness import (CHROMIUM, CHROMIUM_ARGS, PAGE_READY_MS, Browser,  # noqa: E402
                         Console, saved_qrp_outputs, start_lab, stop_lab, wait_for_qrp_outputs)

from qrp_jupyter.demo import run_demo  # noqa: E402
from qrp_jupyter.lineage import MIME_LINEAGE, MIME_TYPES  # noqa: E402

#: File name of each media type's screenshot (docs/screenshots/lab-<kind>.png, the names the
#: README shows), then the two shots that are not one output each.
NAMES = {m: "lab-" + m.split(".")[-1].split("+")[0] for m in MIME_TYPES}
EXTRA = ("lab-lineage-selected", "lab-run-grid", "review-panel", "static-run")
#: A notebook page tall enough that the tallest output fits without scrolling inside it.
NOTEBOOK_VIEWPORT = {"width": 1100, "height": 3200}
PANEL_VIEWPORT = {"width": 1500, "height": 1000}

#: Bring the index-th output drawn for a type to the top of the notebook's scroller and put
#: every other scrolled ancestor back at 0; return the output's box in page pixels.
FRAME_JS = """([mime, pad]) => {
  const root = document.querySelector(`.qrp-render[data-qrp-mime="${mime}"]`);
  const out = root.closest('.jp-OutputArea-output');
  const scroller = out.closest('.jp-WindowedPanel-outer') || out.closest('.jp-Notebook');
  for (let el = out.parentElement; el; el = el.parentElement)
    if (el !== scroller && el.scrollTop) el.scrollTop = 0;
  document.scrollingElement.scrollTop = 0;
  const top = out.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
  scroller.scrollTop += top - pad;
  // a wide table may run past the root's right edge: the shot takes in every descendant
  const r = root.getBoundingClientRect();
  let right = r.right;
  for (const el of root.querySelectorAll('*')) {
    const b = el.getBoundingClientRect();
    if (b.width && b.height) right = Math.max(right, b.right);
  }
  return {x: r.left, y: r.top, width: right - r.left, height: r.height};
}"""


def _clip(box: dict, pad: float = 6.0) -> dict:
    return {"x": max(0.0, box["x"] - pad), "y": max(0.0, box["y"] - pad),
            "width": box["width"] + 2 * pad, "height": box["height"] + 2 * pad}


def _shoot_notebook(browser: Browser, nb_name: str, out: Path, done: set[str]) -> None:
    saved = saved_qrp_outputs(json.loads((browser.lab.root / nb_name).read_text("utf-8")))
    browser.open(nb_name)
    page = browser.page
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # the notebook's full width
    wait_for_qrp_outputs(browser, len(saved))
    page.evaluate("document.fonts.ready")
    for mime in sorted({m for _, m in saved} - {m for m in MIME_TYPES if NAMES[m] in done}):
        if page.locator(f'.qrp-render[data-qrp-mime="{mime}"]').count() == 0:
            continue
        box = page.evaluate(FRAME_JS, [mime, 8])
        page.wait_for_timeout(150)  # one frame after the scroll
        box = page.evaluate(FRAME_JS, [mime, 8])
        page.screenshot(path=str(out / f"{NAMES[mime]}.png"), clip=_clip(box))
        done.add(NAMES[mime])
        if mime == MIME_LINEAGE:
            _select_run_instance(page, mime, out, done)
    if "lab-run-grid" not in done and page.locator("section.qrp-section:has(svg.qrp-heatmap)").count():
        _shoot_heatmap(page, out, done)


def _shoot_heatmap(page, out: Path, done: set[str]) -> None:
    """The parameter-grid section of the first run output that has one (a two-parameter
    grid): its heatmap and the null and PBO sections below it are the run view's lower half."""
    sec = page.locator("section.qrp-section:has(svg.qrp-heatmap)").first
    sec.evaluate("(s) => { s.setAttribute('data-qrp-shot', '1'); }")
    box = page.evaluate("""() => {
      const s = document.querySelector('[data-qrp-shot]');
      const scroller = s.closest('.jp-WindowedPanel-outer') || s.closest('.jp-Notebook');
      scroller.scrollTop += s.getBoundingClientRect().top - scroller.getBoundingClientRect().top - 8;
      const r = s.getBoundingClientRect();
      return {x: r.left, y: r.top, width: r.width, height: r.height}; }""")
    page.screenshot(path=str(out / "lab-run-grid.png"), clip=_clip(box))
    done.add("lab-run-grid")


def _select_run_instance(page, mime: str, out: Path, done: set[str]) -> None:
    root = page.locator(f'.qrp-render[data-qrp-mime="{mime}"]').first
    node = root.locator('.qrp-dag-node[data-node-id^="run_instance:"]').first
    if node.count() == 0:
        return
    node.click()
    label = node.get_attribute("data-node-id")
    root.locator(".qrp-dag-detail h4").first.wait_for(timeout=10_000)
    assert root.locator(".qrp-dag-detail").inner_text().find(label) >= 0, \
        f"the click on {label} selected another node"
    box = page.evaluate(FRAME_JS, [mime, 8])
    page.screenshot(path=str(out / "lab-lineage-selected.png"), clip=_clip(box))
    done.add("lab-lineage-selected")


def _shoot_static(page, nb: Path, out: Path, done: set[str]) -> None:
    """The static view of the notebook's first run output: its saved ``text/html`` alone, as
    nbconvert's HTML or GitHub's viewer shows it (charts as SVG data-URI images)."""
    from qrp_jupyter.lineage import MIME_RUN
    for cell in json.loads(nb.read_text("utf-8"))["cells"]:
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            if MIME_RUN in data and "text/html" in data:
                html = data["text/html"]
                html = html if isinstance(html, str) else "".join(html)
                page.set_viewport_size({"width": 900, "height": 1000})
                page.set_content("<!doctype html><html><body style='margin:8px;"
                                 "font-family:sans-serif;width:860px'>"
                                 f"<div id='shot'>{html}</div></body></html>")
                page.wait_for_function("() => [...document.images].every(i => i.complete)")
                page.locator("#shot").screenshot(path=str(out / "static-run.png"))
                done.add("static-run")
                return


def _shoot_panel(browser: Browser, out: Path, done: set[str]) -> None:
    """The review panel over the demo store, the refused candidate's report open."""
    page = browser.page
    page.set_viewport_size(PANEL_VIEWPORT)
    browser.home()
    page.evaluate("() => window.jupyterapp.commands.execute('qrp:open-review')")
    panel = page.locator("#qrp-review-panel")
    panel.wait_for(state="visible", timeout=60_000)
    panel.locator("select.qrp-review-store").select_option("demo.sqlite")
    panel.locator("tr.qrp-review-blockers-row").first.wait_for(timeout=60_000)
    page.wait_for_function(
        """() => { const b = [...document.querySelectorAll(
                     '#qrp-review-panel .qrp-review-summary .qrp-review-integrity .qrp-review-badge')];
                   return b.length === 3 && b.every(x => !x.textContent.includes('unchecked')); }""",
        timeout=60_000)
    cid = panel.locator("tr.qrp-review-blockers-row").first.get_attribute("data-candidate")
    panel.locator(f'tr.qrp-review-row[data-candidate="{cid}"] button.qrp-review-link').click()
    panel.locator(".qrp-review-candidate h3").first.wait_for(timeout=60_000)
    # the panel widened the way a reviewer does it: its split handle dragged to the left
    handle = page.evaluate("""() => {
      const hs = [...document.querySelectorAll('#jp-main-split-panel > .lm-SplitPanel-handle')]
        .map(h => h.getBoundingClientRect()).filter(r => r.width > 0 && r.height > 0);
      hs.sort((a, b) => b.x - a.x);
      return hs.length ? {x: hs[0].x + hs[0].width / 2, y: hs[0].y + 300} : null; }""")
    if handle:
        page.mouse.move(handle["x"], handle["y"])
        page.mouse.down()
        page.mouse.move(560, handle["y"], steps=10)
        page.mouse.up()
    page.wait_for_timeout(300)
    page.screenshot(path=str(out / "review-panel.png"))
    done.add("review-panel")


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else REPO / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    base = Path(tempfile.mkdtemp(prefix="qrp-shots-"))
    lab = start_lab(base)
    try:
        for p in sorted((REPO / "example_notebooks").glob("*.ipynb")):
            shutil.copy(p, lab.root / p.name)
        hostile = build(lab.root)
        with contextlib.redirect_stdout(io.StringIO()):
            if run_demo(str(lab.root / "demo.sqlite"), as_json=True) != 0:
                raise RuntimeError("qrp demo did not finish as it should")
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                str(base / "profile"), executable_path=CHROMIUM, headless=True,
                args=CHROMIUM_ARGS, viewport=NOTEBOOK_VIEWPORT)
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            page.set_default_navigation_timeout(PAGE_READY_MS)
            page.on("dialog", lambda d: d.accept())
            browser = Browser(page=page, console=Console(), lab=lab)
            done: set[str] = set()
            for p in sorted(lab.root.glob("0*.ipynb")):
                _shoot_notebook(browser, p.name, out, done)
            _shoot_notebook(browser, hostile.notebook, out, done)
            _shoot_panel(browser, out, done)
            _shoot_static(page, lab.root / "01_quickstart.ipynb", out, done)
            ctx.close()
    finally:
        stop_lab(lab)
        shutil.rmtree(base, ignore_errors=True)
    wanted = sorted(set(NAMES.values()) | set(EXTRA))
    missing = sorted(set(wanted) - done)
    print(json.dumps({"written": sorted(done), "missing": missing, "out": str(out)}))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
