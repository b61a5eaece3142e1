"""``%qrp_lineage`` and ``LineageWidget``: interactive view + static fallback in one bundle."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import qrp_kernel
from kshell import assert_one_line_usage_error, run
from qrp_kernel.widgets import LineageWidget, merge_bundles
from tools import required_program

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
LINEAGE_JS = Path(qrp_kernel.__file__).parent / "static" / "lineage.js"


def _node() -> str:
    """The node executable: the widget's JS is checked under CI, never skipped."""
    return required_program("node", install="Node.js 20 from your package manager")


def test_lineage_magic_returns_the_widget_with_the_core_payload(ip, world, counts):
    from qrp_jupyter.views import MIME_LINEAGE, render_bundle

    before = counts(world.store)
    source = f"%qrp_lineage {world.edge.run_key[:10]}"
    cell = run(ip, source)
    assert cell.error is None, cell.error
    w = cell.value
    assert isinstance(w, LineageWidget)
    assert counts(world.store) == before
    core = render_bundle(world.store, MIME_LINEAGE, {"ref": world.edge.run_key}, source=source)
    assert w.payload == core[MIME_LINEAGE]
    assert {n["kind"] for n in w.payload["nodes"]} >= {"dataset", "run", "run_instance"}

    data, metadata = w._repr_mimebundle_()
    assert data[WIDGET_MIME]["model_id"] == w.model_id
    for mime in ("text/plain", "text/html", MIME_LINEAGE):
        assert data[mime] == core[mime], mime
    assert "data:image/svg+xml;base64," in data["text/html"]
    assert isinstance(metadata, dict)
    json.dumps(data)  # what a notebook saves must be JSON


def test_what_the_shell_displays_keeps_every_type(ip, world):
    from qrp_jupyter.views import MIME_LINEAGE

    w = run(ip, f"%qrp_lineage {world.noise.run_instance_id}").value
    data, _ = ip.display_formatter.format(w)
    assert {WIDGET_MIME, "text/plain", "text/html", MIME_LINEAGE} <= set(data)
    assert data["text/plain"].startswith("QRP lineage of")


def test_lineage_of_a_candidate(ip, world):
    cid = run(ip, f"%qrp_promote {world.edge.run_key} --to candidate").value.data.candidate_id
    w = run(ip, f"%qrp_lineage {cid[:12]}").value
    assert "candidate" in {n["kind"] for n in w.payload["nodes"]}


@pytest.mark.parametrize("line, needle", [("0123456789abcdef", "0123456789abcdef"),
                                          ("", "the following arguments are required"),
                                          ("abc --zoom 2", "--zoom")])
def test_bad_lineage_ref_is_one_line_and_writes_nothing(ip, world, counts, line, needle):
    before = counts(world.store)
    assert_one_line_usage_error(run(ip, f"%qrp_lineage {line}"), "%qrp_lineage", needle)
    assert counts(world.store) == before


def test_merge_keeps_the_widget_view_and_prefers_the_static_text():
    static = {"text/plain": "QRP lineage", "text/html": "<svg/>", "application/x": {}}
    view = {WIDGET_MIME: {"model_id": "m"}}
    for widget_repr in ((dict(view, **{"text/plain": "LineageWidget()"}), {"k": 1}),
                        dict(view, **{"text/plain": "LineageWidget()"})):
        data, meta = merge_bundles(widget_repr, static)
        assert data == {**view, **static}
    assert merge_bundles(None, static) == (static, {})


def test_esm_is_the_real_file_and_parses_as_an_es_module(tmp_path):
    assert LINEAGE_JS.is_file()
    w = LineageWidget({"nodes": [], "edges": []})
    assert w._esm == LINEAGE_JS.read_text(encoding="utf-8")
    source = LINEAGE_JS.read_text(encoding="utf-8")
    assert "export default" in source and "function render" in source
    node = _node()
    copy = tmp_path / "lineage.mjs"
    copy.write_text(source, encoding="utf-8")
    out = subprocess.run([node, "--check", str(copy)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_layout_scaling_in_node_maps_the_python_layout_linearly(tmp_path):
    node = _node()
    (tmp_path / "lineage.mjs").write_text(LINEAGE_JS.read_text(encoding="utf-8"),
                                          encoding="utf-8")
    script = tmp_path / "probe.mjs"
    script.write_text(
        'import { scaleLayout } from "./lineage.mjs";\n'
        'const pos = scaleLayout([{id: "a", x: 0, y: -0.5}, {id: "b", x: 0, y: 0.5},'
        ' {id: "c", x: 2, y: 0}]);\n'
        "console.log(JSON.stringify(Object.fromEntries(pos)));\n", encoding="utf-8")
    out = subprocess.run([node, str(script)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    pos = json.loads(out.stdout)
    assert pos["a"]["x"] == pos["b"]["x"] < pos["c"]["x"]
    assert pos["a"]["y"] < pos["c"]["y"] < pos["b"]["y"]
    # one layout unit is a fixed number of pixels on each axis (COLUMN_GAP, ROW_GAP)
    assert (pos["c"]["x"] - pos["a"]["x"], pos["b"]["y"] - pos["a"]["y"]) == (2 * 190, 48)


def test_static_lineage_is_the_core_bundle_without_a_widget(ip, world):
    from kshell import run
    from qrp_jupyter.views import MIME_LINEAGE

    cell = run(ip, f"%qrp_lineage {world.edge.run_instance_id[:12]} --static")
    assert cell.error is None, cell.error
    data, _ = ip.display_formatter.format(cell.value)
    assert set(data) == {"text/plain", "text/html", MIME_LINEAGE}
    assert "data:image/svg+xml;base64," in data["text/html"]
    widget = run(ip, f"%qrp_lineage {world.edge.run_instance_id[:12]}").value
    wdata, _ = ip.display_formatter.format(widget)
    # the widget's output carries the very same static view and payload beside its view
    # (the payload's source hash differs: another cell made it)
    for key in ("text/html", "text/plain"):
        assert wdata[key].split("ledger head:")[0] == data[key].split("ledger head:")[0]
    assert {k: v for k, v in wdata[MIME_LINEAGE].items() if k != "source_sha256"} == \
        {k: v for k, v in data[MIME_LINEAGE].items() if k != "source_sha256"}
