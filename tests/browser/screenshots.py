"""Screenshots of each QRP renderer in a real JupyterLab, for docs/ and the README.

    .venv/bin/python tests/browser/screenshots.py [OUT_DIR]   # default: docs/screenshots

Starts the same isolated ``jupyter lab`` and Chromium as the browser tests, opens the example
notebooks (untrusted, with their committed outputs) and the hostile-strings notebook built from
a real store, and saves one PNG per QRP media type: the first output Lab drew with that type,
as QRP's renderer drew it. The DAG is also shot after a click on its run-instance node, to show
the detail pane (``lab-lineage-selected.png``).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

from hostile_evidence import build  # noqa: E402  (imported from this folder, added above)
from lab_harness import (CHROMIUM, CHROMIUM_ARGS, PAGE_READY_MS, VIEWPORT, Browser,  # noqa: E402
                         Console, qrp_output, saved_qrp_outputs, start_lab, stop_lab,
                         wait_for_qrp_outputs)

from qrp_jupyter.lineage import MIME_LINEAGE, MIME_TYPES  # noqa: E402

#: File name of each media type's screenshot (docs/screenshots/lab-<kind>.png, the names the
#: README shows).
NAMES = {m: "lab-" + m.split(".")[-1].split("+")[0] for m in MIME_TYPES}


def _shoot(browser: Browser, nb_name: str, out: Path, done: set[str]) -> None:
    saved = saved_qrp_outputs(json.loads((browser.lab.root / nb_name).read_text("utf-8")))
    browser.open(nb_name)
    wait_for_qrp_outputs(browser, len(saved))
    page = browser.page
    for mime in sorted({m for _, m in saved} - done):
        loc = qrp_output(page, mime).locator(".qrp-render").first
        if loc.count() == 0:
            continue
        loc.scroll_into_view_if_needed()
        loc.screenshot(path=str(out / f"{NAMES[mime]}.png"))
        done.add(mime)
        if mime == MIME_LINEAGE:
            node = loc.locator('.qrp-dag-node[data-node-id^="run_instance:"]').first
            if node.count():
                node.click()
                loc.screenshot(path=str(out / "lab-lineage-selected.png"))


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
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                str(base / "profile"), executable_path=CHROMIUM, headless=True,
                args=CHROMIUM_ARGS, viewport=VIEWPORT)
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            page.set_default_navigation_timeout(PAGE_READY_MS)
            page.on("dialog", lambda d: d.accept())
            browser = Browser(page=page, console=Console(), lab=lab)
            done: set[str] = set()
            for p in sorted(lab.root.glob("0*.ipynb")):
                _shoot(browser, p.name, out, done)
            _shoot(browser, hostile.notebook, out, done)
            ctx.close()
    finally:
        stop_lab(lab)
        shutil.rmtree(base, ignore_errors=True)
    missing = sorted(set(MIME_TYPES) - done)
    print(json.dumps({"written": sorted(NAMES[m] for m in done), "missing": missing,
                      "out": str(out)}))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
