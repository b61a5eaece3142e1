"""The notebook workflow in a real governed kernel, executed by nbclient and saved as Jupyter
saves it: no CLI needed, no "already loaded" line, the progress bar leaves its final line, the
lineage widget's output keeps the static view and its saved widget state is verified, and the
notebook still verifies after JupyterLab re-saves it (numbers through JavaScript)."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess

import nbformat
import pytest

from qrp_jupyter.audit import progress_line_bundle
from qrp_jupyter.store import Store
from qrp_jupyter.store.migrations import MIGRATION_FILES
from qrp_jupyter.views import MIME_LINEAGE, MIME_RUN, verify_notebook

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

CELLS = [
    "%load_ext qrp_jupyter",
    "%qrp_init --db workflow.sqlite",
    "%qrp_data add --synthetic --bars 1500 --seed 12 --edge 0.15 --name edge",
    '%%qrp_run "workflow run" --dataset edge --out res\n'
    'family = "wf-trend"\n[strategy]\nkind = "ts_momentum"\n[strategy.grid]\n'
    "lookback = [1, 2, 4]\n[walk_forward]\nn_folds = 2\n[nulls.reality_check]\nreps = 49\n"
    "[nulls.spa_stepm]\nreps = 49\n[nulls.pbo]\nn_blocks = 4\n",
    "promotion = %qrp_promote {res.run_key[:12]} --to candidate\npromotion",
    "%qrp_lineage {promotion.data.candidate_id[:12]}",
    "%qrp_candidates",
    "%qrp_runs",
]
RUN, LINEAGE = 3, 5


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook executed on the governed kernel and saved, in its own folder."""
    from nbclient import NotebookClient

    folder = tmp_path_factory.mktemp("workflow")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    nb.metadata["kernelspec"] = {"name": "qrp", "display_name": "Python 3 (QRP)",
                                 "language": "python"}
    NotebookClient(nb, kernel_name="qrp", timeout=600, record_timing=False,
                   resources={"metadata": {"path": str(folder)}}).execute()
    path = folder / "workflow.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture
def saved(executed, tmp_path):
    """A private copy of the executed notebook and its store."""
    for name in ("workflow.ipynb", "workflow.sqlite"):
        shutil.copyfile(executed.parent / name, tmp_path / name)
    return tmp_path / "workflow.ipynb"


def verify(path):
    s = Store(str(path.parent / "workflow.sqlite"), readonly=True)
    try:
        return verify_notebook(s, path)
    finally:
        s.close()


def read(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write(path, nb: dict) -> None:
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def widget_models(nb: dict) -> dict:
    return nb["metadata"]["widgets"][WIDGET_STATE]["state"]


def lineage_output(nb: dict) -> dict:
    (out,) = [o for o in nb["cells"][LINEAGE]["outputs"] if "data" in o]
    return out["data"]


def test_the_cells_ran_without_the_cli_and_the_load_line_is_silent(executed):
    nb = read(executed)
    for cell in nb["cells"]:
        assert not [o for o in cell["outputs"] if o["output_type"] == "error"], cell["source"]
    assert nb["cells"][0]["outputs"] == []  # no "already loaded" on the governed kernel
    init = "".join(nb["cells"][1]["outputs"][0]["text"])
    assert init.startswith(
        f"QRP store ready at workflow.sqlite ({len(MIGRATION_FILES)} migration(s) applied)")
    assert "registered dataset_id_v2 " in "".join(
        nb["cells"][2]["outputs"][0]["data"]["text/plain"])
    assert (executed.parent / "workflow.sqlite").is_file()


def test_the_progress_bar_is_saved_as_its_final_line_only(executed):
    nb = read(executed)
    outputs = nb["cells"][RUN]["outputs"]
    assert outputs[0]["output_type"] == "display_data"
    line = {k: "".join(v) for k, v in outputs[0]["data"].items()}
    assert line == progress_line_bundle("qrp_run workflow run: all 6 stages done")
    assert MIME_RUN in outputs[-1]["data"]
    assert "<progress" not in executed.read_text(encoding="utf-8")


def test_the_lineage_output_keeps_the_static_view_beside_the_widget(executed):
    nb = read(executed)
    data = lineage_output(nb)
    assert set(data) == {WIDGET_VIEW, MIME_LINEAGE, "text/html", "text/plain"}
    html = "".join(data["text/html"])
    assert "data:image/svg+xml;base64," in html and "<script" not in html
    payload = data[MIME_LINEAGE]
    assert all(n["id"].split(":", 1)[1][:12] in html or n["kind"] == "event"
               for n in payload["nodes"] if n["kind"] in ("run", "dataset"))
    # nbclient saved the widget state: it holds the same payload as the output beside it
    model = widget_models(nb)[data[WIDGET_VIEW]["model_id"]]
    assert model["state"]["payload"] == payload


def test_the_saved_notebook_verifies_with_its_widget_state(saved):
    rep = verify(saved)
    assert rep.ok, rep.text()
    outputs = sum(1 for c in read(saved)["cells"] for o in c["outputs"]
                  if any(m.startswith("application/vnd.qrp.") for m in o.get("data", {})))
    assert rep.checked["payloads"] == outputs + 1  # + the lineage payload in widget state


def test_a_forged_widget_state_is_found(saved):
    nb = read(saved)
    model_id = lineage_output(nb)[WIDGET_VIEW]["model_id"]
    node = widget_models(nb)[model_id]["state"]["payload"]["nodes"][0]
    node["label"] = "forged label"
    write(saved, nb)
    rep = verify(saved)
    assert [p.problem for p in rep.problems] == [
        f"the saved state of widget model {model_id[:12]} (payload) differs from the payload "
        f"of the output showing the widget at $.nodes[0].label: state \"forged label\", "
        f"output {json.dumps(lineage_output(nb)[MIME_LINEAGE]['nodes'][0]['label'])}"]
    assert rep.problems[0].cell == LINEAGE


def test_a_stale_widget_state_is_checked_against_the_store(saved):
    nb = read(saved)
    models = widget_models(nb)
    model_id = lineage_output(nb)[WIDGET_VIEW]["model_id"]
    models["0" * 32] = copy.deepcopy(models[model_id])  # a widget no output shows any more
    write(saved, nb)
    assert verify(saved).ok, verify(saved).text()
    models["0" * 32]["state"]["payload"]["nodes"][0]["hashes"] = {"run_key": "f" * 64}
    write(saved, nb)
    rep = verify(saved)
    assert rep.problems and all(p.problem.startswith(
        "the saved state of widget model 000000000000 (payload), shown by no output: ")
        for p in rep.problems), rep.text()
    assert any("f" * 64 in p.problem for p in rep.problems)


JS_RESAVE = """
const fs = require("fs");
const path = process.argv[1];
// What JupyterLab does on save: the notebook is parsed into JavaScript objects in the browser
// (every JSON number becomes a double) and sent back with JSON.stringify, which writes an
// integral double as an integer (1.0 -> "1") and a large one in exponent form (1e+21).
const nb = JSON.parse(fs.readFileSync(path, "utf8"));
fs.writeFileSync(path, JSON.stringify(nb));
"""


def _integral_floats(value) -> int:
    if isinstance(value, float):
        return int(value.is_integer())
    if isinstance(value, dict):
        return sum(_integral_floats(v) for v in value.values())
    if isinstance(value, list):
        return sum(_integral_floats(v) for v in value)
    return 0


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to re-save as Lab")
def test_the_notebook_verifies_after_jupyterlab_re_saves_it(saved):
    before, text = read(saved), saved.read_text(encoding="utf-8")
    assert _integral_floats(before) > 0  # payloads hold 1.0-style numbers Lab will rewrite
    subprocess.run(["node", "-e", JS_RESAVE, str(saved)], check=True, timeout=60)
    # ... and the Jupyter server writes the model it receives with nbformat
    nbformat.write(nbformat.reads(saved.read_text(encoding="utf-8"), as_version=4), saved)
    after = read(saved)
    assert _integral_floats(after) == 0  # every integral float came back as an int
    assert after == before  # equal values (Python: 1 == 1.0) ...
    assert saved.read_text(encoding="utf-8") != text  # ... in other bytes
    rep = verify(saved)
    assert rep.ok, rep.text()


def test_without_widget_state_the_output_still_has_the_graph_and_verifies(saved):
    # A front end that saved no widget state (JupyterLab's default) reopens the notebook with
    # the output alone: the static view and the payload are in it, and it still verifies.
    nb = read(saved)
    del nb["metadata"]["widgets"]
    write(saved, nb)
    data = lineage_output(read(saved))
    assert "data:image/svg+xml;base64," in "".join(data["text/html"]) and MIME_LINEAGE in data
    rep = verify(saved)
    assert rep.ok, rep.text()
    assert rep.checked["payloads"] == sum(
        1 for c in nb["cells"] for o in c["outputs"]
        if any(m.startswith("application/vnd.qrp.") for m in o.get("data", {})))
