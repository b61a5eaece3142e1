"""QRP in a real JupyterLab: the extension is active, untrusted saved notebooks draw through
QRP's renderers, strings from the store that are markup show as text, and a notebook Lab
saved still verifies against its store.

Every notebook here is opened from disk, as a received notebook is: none of it was executed in
this browser, so Lab holds it untrusted (the tests check Lab's own trust flags) and its
sanitizer strips the inline SVG of the static ``text/html``. Only QRP's renderers can draw it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lab_harness import (MARKUP_JS, TRUSTED_JS, qrp_output, saved_qrp_outputs, shows,
                         wait_for_qrp_outputs)
from hostile_evidence import ACTOR, DATASET_NAME, REASON, RUN_NAME, build
from qrp_jupyter.lineage import (MIME_AUDIT, MIME_EVENT, MIME_LINEAGE, MIME_RUN, MIME_TYPES)

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (REPO / "example_notebooks").glob("*.ipynb")
                  if saved_qrp_outputs(json.loads(p.read_text(encoding="utf-8"))))
#: QRP types whose view is a picture (curves, histograms, the DAG): an <svg> or a canvas.
DRAWN = {MIME_RUN, MIME_LINEAGE}


def _package_name() -> str:
    pkg = REPO / "labextension" / "package.json"
    assert pkg.is_file(), (f"{pkg.relative_to(REPO)} is missing: the QRP JupyterLab extension "
                           "is not in this checkout")
    return json.loads(pkg.read_text(encoding="utf-8"))["name"]


@pytest.fixture(scope="module")
def notebooks(lab):
    """The example notebooks with their committed outputs, and the hostile store's notebook,
    copied into the Lab root."""
    for p in EXAMPLES:
        shutil.copy(p, lab.root / p.name)
    return build(lab.root)


def test_lab_loads_with_the_qrp_extension_active(browser, notebooks):
    name = _package_name()
    browser.open(notebooks.notebook)
    page = browser.page
    config = json.loads(page.text_content("#jupyter-config-data"))
    assert name in [e["name"] for e in config.get("federated_extensions", [])], \
        f"{name} is not among the extensions Lab loaded"
    plugins = page.evaluate("(name) => window.jupyterapp.listPlugins()"
                            ".filter(id => id.startsWith(name + ':'))"
                            ".map(id => [id, window.jupyterapp.isPluginActivated(id)])", name)
    assert plugins, f"no plugin of {name} is registered"
    assert all(active for _, active in plugins), plugins
    # Every QRP media type has a renderer in the notebook's registry.
    known = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.rendermime"
                          ".mimeTypes")
    assert sorted(set(MIME_TYPES) - set(known)) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_an_untrusted_example_notebook_draws_through_qrp_renderers(browser, notebooks, path):
    saved = saved_qrp_outputs(json.loads((browser.lab.root / path.name).read_text("utf-8")))
    browser.open(path.name)
    trusted = browser.page.evaluate(TRUSTED_JS)
    assert trusted and not any(trusted), "the notebook should open untrusted"
    drawn = wait_for_qrp_outputs(browser, len(saved))
    # Each saved QRP output is shown by Lab with its QRP type, not with the static HTML...
    assert [(o["cell"], o["mime"]) for o in drawn] == saved
    for o in drawn:
        # ...through QRP's renderer, which marks its node as Lab's own renderers do and draws
        # the pictures.
        assert o["root"] == o["mime"] and o["marked"], o
        if o["mime"] in DRAWN:
            assert o["drawing"], f"no <svg> or canvas in the {o['mime']} output of cell {o['cell']}"


def _output(browser, mime: str):
    loc = qrp_output(browser.page, mime)
    assert loc.count() == 1, f"{loc.count()} outputs of {mime}"
    return loc.first


def test_markup_in_names_reasons_and_actors_shows_as_text(browser, notebooks):
    browser.open(notebooks.notebook)
    saved = saved_qrp_outputs(json.loads((browser.lab.root / notebooks.notebook)
                                         .read_text("utf-8")))
    drawn = wait_for_qrp_outputs(browser, len(saved))
    assert [(o["cell"], o["mime"]) for o in drawn] == saved
    assert all(o["root"] == o["mime"] for o in drawn), drawn
    for mime in {m for _, m in saved}:
        assert _output(browser, mime).evaluate(MARKUP_JS) == [], mime
    run, event, audit = (_output(browser, m) for m in (MIME_RUN, MIME_EVENT, MIME_AUDIT))
    assert shows(run, RUN_NAME)
    assert shows(event, REASON) and shows(event, ACTOR)
    assert shows(audit, REASON)
    # The dataset's name is the label of its lineage node: its detail pane shows it whole.
    dag = _output(browser, MIME_LINEAGE)
    node = dag.locator(f'.qrp-dag-node[data-node-id="dataset:{notebooks.dataset_id_v2}"]')
    node.scroll_into_view_if_needed()
    node.click()
    assert shows(dag.locator(".qrp-dag-detail"), DATASET_NAME)
    assert dag.evaluate(MARKUP_JS) == []
    assert browser.console.dialogs == []


def test_a_payload_of_another_version_is_refused_and_its_static_html_shown(browser, notebooks):
    """A renderer refuses a ``qrp_mime_version`` it does not know; the output's static HTML is
    shown instead, through Lab's sanitizer (the notebook is untrusted), and the markup in the
    store's strings is still only text there."""
    lab = browser.lab
    nb = json.loads((lab.root / notebooks.notebook).read_text("utf-8"))
    (ci, mime), = [(c, m) for c, m in saved_qrp_outputs(nb) if m == MIME_RUN]
    nb["cells"][ci]["outputs"][0]["data"][MIME_RUN]["qrp_mime_version"] = 2
    (lab.root / "future.ipynb").write_text(json.dumps(nb, indent=1), encoding="utf-8")
    browser.open("future.ipynb")
    out = qrp_output(browser.page, MIME_RUN)
    out.locator(".qrp-fallback-html").first.wait_for()
    text = out.inner_text()
    assert "qrp_mime_version 2" in text
    assert notebooks.run_key in text  # the static HTML quotes the run_key
    assert shows(out, RUN_NAME)
    assert out.evaluate(MARKUP_JS) == []
    assert browser.console.dialogs == []


def _verify(lab, notebook: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qrp_jupyter.cli", "verify", "--db",
                           str(lab.root / "hostile.sqlite"), "--notebook",
                           str(lab.root / notebook)], capture_output=True, text=True, timeout=120)


def test_a_notebook_saved_by_lab_still_verifies_against_its_store(browser, notebooks):
    """Lab re-serialises what it saves (JSON.stringify writes the float 1.0 as 1): the saved
    outputs must still be checkable evidence, re-rendered from the store byte for byte."""
    lab, name = browser.lab, "resaved.ipynb"
    shutil.copy(lab.root / notebooks.notebook, lab.root / name)
    before = (lab.root / name).read_text("utf-8")
    assert '"fee_bps": 1.0' in before  # a float Lab will rewrite
    first = _verify(lab, name)
    assert first.returncode == 0, first.stdout + first.stderr
    browser.open(name)
    # Saved once its kernel session is up (the kernel's language info may change the
    # notebook's metadata), through Lab's own save command, whose promise ends with the write.
    browser.page.evaluate("""async () => {
      const w = window.jupyterapp.shell.currentWidget;
      await w.sessionContext.ready;
      await window.jupyterapp.commands.execute('docmanager:save');
      return true;
    }""")
    after = (lab.root / name).read_text("utf-8")
    assert after != before and re.search(r'"fee_bps": 1[,\n]', after), "Lab did not re-save it"
    again = _verify(lab, name)
    assert again.returncode == 0, again.stdout + again.stderr


def test_the_console_stayed_clean(browser, notebooks):
    """Last in the module: no console error, uncaught error or dialog in the whole session
    (every notebook above, and the hostile one once more)."""
    browser.open(notebooks.notebook)
    wait_for_qrp_outputs(browser, len(saved_qrp_outputs(json.loads(
        (browser.lab.root / notebooks.notebook).read_text("utf-8")))))
    assert browser.console.errors == []
    assert browser.console.dialogs == []
