"""``%qrp_lineage`` and ``LineageWidget``: interactive view + static fallback in one bundle."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import qrp_kernel
from kshell import assert_one_line_usage_error, run
from qrp_kernel.widgets import LineageWidget, merge_bundles
from tools import required_program

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
LINEAGE_JS = Path(qrp_kernel.__file__).parent / "static" / "lineage.js"
LINEAGE_CSS = LINEAGE_JS.with_suffix(".css")
LAB = Path(__file__).resolve().parents[2] / "labextension"


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


def test_the_front_end_is_the_built_bundle_of_the_lab_renderers_dag(tmp_path):
    """The widget's ES module and CSS are what the build makes from labextension/src (the
    lab renderer's DAG), byte for byte: a stale bundle (a DAG change without a rebuild) fails."""
    assert LINEAGE_JS.is_file() and LINEAGE_CSS.is_file()
    w = LineageWidget({"nodes": [], "edges": []})
    assert w._esm == LINEAGE_JS.read_text(encoding="utf-8")
    assert w._css == LINEAGE_CSS.read_text(encoding="utf-8")
    esbuild = LAB / "node_modules" / ".bin" / "esbuild"
    assert esbuild.is_file(), "labextension/node_modules is missing: run scripts/setup.sh"
    script = json.loads((LAB / "package.json").read_text("utf-8"))["scripts"]["build:widget"]
    assert script.count("../kernel_ext/qrp_kernel/static/") == 2
    env = dict(os.environ, PATH=f"{esbuild.parent}{os.pathsep}{os.environ['PATH']}")
    out = subprocess.run(script.replace("../kernel_ext/qrp_kernel/static/", f"{tmp_path}/"),
                         shell=True, cwd=LAB, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for built in (LINEAGE_JS, LINEAGE_CSS):
        assert (tmp_path / built.name).read_bytes() == built.read_bytes(), \
            f"{built.name} is stale: run scripts/build_labextension.sh"
    # the bundle is the renderer's DAG: its class names and its detail pane are in it
    source = LINEAGE_JS.read_text(encoding="utf-8")
    for needle in ("qrp-dag-reset", "qrp-dag-detail", "setPointerCapture", "pointercancel"):
        assert needle in source, needle
    assert ".qrp-dag-edge" in LINEAGE_CSS.read_text(encoding="utf-8")


def test_the_bundle_is_an_anywidget_module_with_render_and_no_jupyterlab_import(tmp_path):
    node = _node()
    copy = tmp_path / "lineage.mjs"
    copy.write_text(LINEAGE_JS.read_text(encoding="utf-8"), encoding="utf-8")
    probe = tmp_path / "probe.mjs"
    probe.write_text('const m = await import("./lineage.mjs");\n'
                     'console.log(JSON.stringify({render: typeof m.default.render, '
                     'named: typeof m.render}));\n', encoding="utf-8")
    out = subprocess.run([node, str(probe)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"render": "function", "named": "function"}
    assert "@jupyterlab" not in copy.read_text(encoding="utf-8")  # self-contained


def test_an_unbuilt_front_end_is_a_one_line_error_naming_the_fix(ip, world, counts, monkeypatch,
                                                                  tmp_path):
    from qrp_kernel import widgets

    monkeypatch.setattr(widgets, "FRONT_END", (tmp_path / "lineage.js", tmp_path / "lineage.css"))
    before = counts(world.store)
    cell = run(ip, f"%qrp_lineage {world.edge.run_key[:10]}")
    assert_one_line_usage_error(cell, "%qrp_lineage", "lineage.js, lineage.css")
    assert "scripts/setup.sh" in str(cell.error) and "--static" in str(cell.error)
    assert counts(world.store) == before
    assert run(ip, f"%qrp_lineage {world.edge.run_key[:10]} --static").error is None


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
