"""The example notebooks verify when a user runs them without the pinned clock, as Run All of
02 then of 03 in JupyterLab does: 03 verifies the notebook of the execution that made its
database, so the clock of any earlier run of 02 does not matter."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from qrp_jupyter.store import Store
from qrp_jupyter.views import verify_notebook

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

EXAMPLES = Path(__file__).resolve().parents[2] / "example_notebooks"
PINNED = ("QRP_DETERMINISTIC_TIME", "QRP_ACTOR")


def execute(path: Path, env: dict[str, str]) -> dict:
    """Execute and save ``path`` in place, as a user's Run All then Save does."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, kernel_name="qrp", timeout=900, record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute(
        env=env, stderr=subprocess.DEVNULL)
    nbformat.write(nb, path)
    return json.loads(path.read_text(encoding="utf-8"))


def test_run_all_of_02_then_03_without_the_pinned_clock(tmp_path):
    for name in ("02_research.ipynb", "03_reviewer_audit.ipynb"):
        shutil.copyfile(EXAMPLES / name, tmp_path / name)
    env = {k: v for k, v in os.environ.items() if k not in PINNED}
    quant = execute(tmp_path / "02_research.ipynb", env)  # a fresh clock: new ids
    committed = json.loads((EXAMPLES / "02_research.ipynb").read_text(encoding="utf-8"))
    assert json.dumps(quant["cells"]) != json.dumps(committed["cells"])  # the ids moved
    review = execute(tmp_path / "03_reviewer_audit.ipynb", env)  # raises on a failed cell
    (cell,) = [c for c in review["cells"] if c["cell_type"] == "code"
               and "%qrp_verify --notebook" in "".join(c["source"])]
    text = "".join(cell["outputs"][0]["data"]["text/plain"])
    assert text.startswith("verify notebook .qrp-quant/02_research.ipynb: OK"), text
    # the user's own run of 02 verifies against the database that run made, as 03 says, and
    # the saved 03 verifies later against its own database: its notebook-verify output is
    # re-derived from the quant folder 03 keeps (removing it is reported, below)
    for nb, db, outputs in (("02_research.ipynb", "research.sqlite", 7),
                            ("03_reviewer_audit.ipynb", "review.sqlite", 4)):
        s = Store(str(tmp_path / db), readonly=True)
        try:
            rep = verify_notebook(s, tmp_path / nb)
        finally:
            s.close()
        assert rep.ok and rep.checked["rerendered"] == outputs, rep.text()
    shutil.rmtree(tmp_path / ".qrp-quant")
    s = Store(str(tmp_path / "review.sqlite"), readonly=True)
    try:
        rep = verify_notebook(s, tmp_path / "03_reviewer_audit.ipynb")
    finally:
        s.close()
    assert not rep.ok and "/.qrp-quant/02_research.ipynb' does not exist" in rep.text()
