"""Without QRP's extension, an untrusted saved notebook still shows every chart and the DAG.

A reviewer may open a notebook in a JupyterLab that has no QRP extension. Lab then shows each
QRP output's ``text/html`` and, the notebook being untrusted, sanitizes it: an inline ``<svg>``
would be stripped to a run-on line of its labels. QRP's static HTML carries its charts as
``<img src="data:image/svg+xml;base64,...">``, which the sanitizer keeps. Here Lab runs with
the QRP extension disabled through its own switch (``page_config.json``), and every image must
be in the page, decoded by the browser, with its size.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from lab_harness import TRUSTED_JS, saved_qrp_outputs, start_lab, stop_lab

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "example_notebooks" / "02_research.ipynb"
PACKAGE = json.loads((REPO / "labextension" / "package.json").read_text("utf-8"))["name"]

#: The images the page shows inside outputs, with whether the browser decoded each one.
IMAGES_JS = """() => {
  const out = [];
  for (const img of document.querySelectorAll('.jp-OutputArea-output img')) {
    out.push({src: img.getAttribute('src').slice(0, 26), done: img.complete,
              width: img.naturalWidth, height: img.naturalHeight,
              alt: img.getAttribute('alt')});
  }
  return out;
}"""


@pytest.fixture(scope="module")
def lab(playwright_api, tmp_path_factory):
    """A real ``jupyter lab`` in which QRP's lab extension is disabled."""
    server = start_lab(tmp_path_factory.mktemp("lab-without-qrp"), disabled=(PACKAGE,))
    yield server
    stop_lab(server)


def _saved_images(nb: dict) -> list[str]:
    """The alt text of every chart image in the notebook's saved QRP outputs."""
    alts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if any(k.startswith("application/vnd.qrp.") for k in data):
                html = "".join(data.get("text/html", ""))
                alts += re.findall(r'<img src="data:image/svg\+xml;base64,[^"]+" width="[^"]+" '
                                   r'height="[^"]+" alt="([^"]*)"', html)
    return alts


def test_untrusted_notebook_without_the_extension_shows_every_chart(browser, lab):
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    expected = _saved_images(nb)
    assert len(expected) >= 4 and saved_qrp_outputs(nb)  # equity, nulls, the DAG at least
    shutil.copy(NOTEBOOK, lab.root / NOTEBOOK.name)
    browser.open(NOTEBOOK.name)
    page = browser.page
    assert page.evaluate(f"() => window.jupyterapp.hasPlugin('{PACKAGE}:renderers')") is False
    assert page.locator(".qrp-render").count() == 0  # no QRP renderer: Lab shows text/html
    assert page.evaluate(TRUSTED_JS) and not any(page.evaluate(TRUSTED_JS))
    try:
        page.wait_for_function(
            f"() => ({IMAGES_JS})().filter(i => i.done && i.width > 0).length >= "
            f"{len(expected)}", timeout=30_000)
    except PlaywrightTimeout:  # the assertions below say which image is missing
        pass
    shown = page.evaluate(IMAGES_JS)
    assert sorted(i["alt"] for i in shown) == sorted(
        a.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        .replace("&quot;", '"').replace("&#x27;", "'") for a in expected)
    for img in shown:
        assert img["src"] == "data:image/svg+xml;base64," and img["done"], img
        assert img["width"] > 100 and img["height"] > 50, img
    # No inline SVG was needed, and none survived to leak its labels as text.
    assert page.locator(".jp-OutputArea-output svg").count() == 0
    assert browser.console.errors == [] and browser.console.dialogs == []
