"""The committed, executed example notebooks are evidence that can be checked against a database.

``example_notebooks/01_quickstart.ipynb`` is committed with its outputs. This test reads it as
saved (plain JSON, no kernel) and finds the static lineage SVG next to the
``application/vnd.qrp.lineage+json`` payload; re-executes a copy on the governed kernel to
rebuild its database; asserts that the rebuild reproduces every QRP payload of the committed
notebook (determinism: this is what makes a saved notebook checkable against a database
rebuilt anywhere); then runs ``qrp verify --notebook`` on the committed notebook against the
rebuilt database (exit 0), and on a copy with one artifact hash edited (exit 4, cell named).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qrp_jupyter.views import MIME_LINEAGE, MIME_RUN

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

REPO = Path(__file__).resolve().parents[2]
NB_DIR = REPO / "example_notebooks"
QUICKSTART = NB_DIR / "01_quickstart.ipynb"
DB_NAME = "quickstart.sqlite"  # the store the quickstart builds next to itself
#: The clock and actor the committed outputs were executed with (scripts/test_notebooks.sh).
RECORDED = {"QRP_DETERMINISTIC_TIME": "2024-01-01T00:00:00Z", "QRP_ACTOR": "qrp-examples"}
EXIT_OK, EXIT_PROBLEMS = 0, 4


def qrp_outputs(nb) -> list[tuple[int, int, dict]]:
    """(cell index, output index, data) of every output carrying a QRP media type."""
    found = []
    for ci, cell in enumerate(nb["cells"]):
        for oi, out in enumerate(cell.get("outputs", [])):
            data = out.get("data", {})
            if any(k.startswith("application/vnd.qrp.") for k in data):
                found.append((ci, oi, data))
    return found


def payload(data: dict, mime: str) -> dict:
    value = data[mime]
    return json.loads(value) if isinstance(value, str) else value


def qrp_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "import sys; from qrp_jupyter.cli import main; "
                           "sys.exit(main())", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **RECORDED})


@pytest.fixture(scope="module")
def committed():
    return nbformat.read(QUICKSTART, as_version=4)


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    """The quickstart re-executed on the governed kernel in a copy dir: (notebook, its DB)."""
    work = tmp_path_factory.mktemp("quickstart")
    shutil.copy(QUICKSTART, work / QUICKSTART.name)
    nb = nbformat.read(work / QUICKSTART.name, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="qrp", timeout=300,
                                     resources={"metadata": {"path": str(work)}})
    client.execute(env={**os.environ, **RECORDED})
    db = work / DB_NAME
    assert db.is_file()
    return nb, db


def test_the_example_notebooks_name_the_governed_kernel_and_no_machine_path():
    for path in sorted(NB_DIR.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata.kernelspec.name == "qrp", path.name
        text = path.read_text(encoding="utf-8")
        for local in {str(REPO), str(Path.home()), "/tmp/"}:
            assert local not in text, (path.name, local)
        # committed executed: every code cell ran, none failed
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.execution_count for c in code), path.name
        assert not any(o.output_type == "error" for c in code for o in c.outputs), path.name


def test_the_saved_quickstart_holds_static_lineage_html_and_its_json_payload(committed):
    hits = [(ci, data) for ci, _, data in qrp_outputs(committed)
            if MIME_LINEAGE in data and "data:image/svg+xml;base64," in data.get("text/html", "")]
    assert hits, "no saved output with a static lineage SVG and the lineage payload"
    _, data = hits[0]
    lineage = payload(data, MIME_LINEAGE)
    assert lineage["mime"] == MIME_LINEAGE and lineage["qrp_mime_version"] == 1
    assert lineage["nodes"] and lineage["edges"]
    kinds = {n["kind"] for n in lineage["nodes"]}
    assert {"dataset", "run", "run_instance", "artifact", "candidate", "report"} <= kinds
    # the static fallback quotes the identities the payload carries
    assert lineage["run_key"] in data["text/html"]
    assert lineage["dataset_id_v2"] in data["text/html"]
    assert data["text/plain"].startswith("QRP lineage of candidate")


def test_re_execution_reproduces_every_saved_qrp_payload(committed, rebuilt):
    nb, _ = rebuilt
    saved, fresh = qrp_outputs(committed), qrp_outputs(nb)
    assert [(c, o) for c, o, _ in saved] == [(c, o) for c, o, _ in fresh]
    assert {m for _, _, d in saved for m in d if m.startswith("application/vnd.qrp.")} == {
        MIME_RUN, MIME_LINEAGE, "application/vnd.qrp.audit+json",
        "application/vnd.qrp.report+json", "application/vnd.qrp.verify+json"}
    for (ci, _, old), (_, _, new) in zip(saved, fresh):
        for mime in (m for m in old if m.startswith("application/vnd.qrp.")):
            assert payload(old, mime) == payload(new, mime), (ci, mime)
        assert old["text/html"] == new["text/html"], ci


def test_qrp_verify_notebook_passes_on_the_committed_notebook(rebuilt):
    _, db = rebuilt
    proc = qrp_cli("verify", "--notebook", str(QUICKSTART), "--db", str(db))
    assert proc.returncode == EXIT_OK, proc.stdout + proc.stderr
    assert "OK" in proc.stdout


def test_qrp_verify_notebook_fails_on_an_edited_artifact_hash(committed, rebuilt, tmp_path):
    _, db = rebuilt
    edited = copy.deepcopy(committed)
    (ci, oi, data), = [(c, o, d) for c, o, d in qrp_outputs(edited) if MIME_RUN in d]
    run = payload(data, MIME_RUN)
    old = run["artifacts"]["returns_matrix"]
    new = ("0" if old[0] != "0" else "1") + old[1:]
    run["artifacts"]["returns_matrix"] = new
    edited.cells[ci].outputs[oi]["data"][MIME_RUN] = run
    path = tmp_path / QUICKSTART.name
    nbformat.write(edited, str(path))

    proc = qrp_cli("verify", "--notebook", str(path), "--db", str(db))
    assert proc.returncode == EXIT_PROBLEMS, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    assert f"cell {ci} output {oi}" in out, out
    assert new in out or new[:12] in out, out
