"""QRP's JupyterLab extension is built, shipped and enabled (scripts/setup.sh did it).

These tests look at the real outcome: what `jupyter labextension list` says for this
environment, what the installed copy holds, and what a freshly built (non-editable) wheel
carries under its shared-data.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAME = "qrp-jupyterlab"
INSTALLED = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / NAME
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _labextension_list() -> str:
    proc = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return ANSI.sub("", proc.stdout + proc.stderr)


def test_listed_as_enabled_and_ok():
    version = json.loads((ROOT / "labextension" / "package.json").read_text())["version"]
    lines = [ln.strip() for ln in _labextension_list().splitlines()]
    ours = [ln for ln in lines if ln.startswith(f"{NAME} ")]
    assert ours == [f"{NAME} v{version} enabled OK"], lines


def test_installed_copy_is_the_build():
    built = ROOT / "labextension" / "build"
    assert (INSTALLED / "package.json").read_bytes() == (built / "package.json").read_bytes()
    meta = json.loads((INSTALLED / "package.json").read_text())
    entry = INSTALLED / meta["jupyterlab"]["_build"]["load"]
    assert entry.is_file() and entry.stat().st_size > 0
    for js in (built / "static").glob("*.js"):
        assert (INSTALLED / "static" / js.name).read_bytes() == js.read_bytes()


def test_build_loads_nothing_from_the_network():
    # Every script and style is in the bundle: no CDN, no remote module at run time.
    for js in (INSTALLED / "static").glob("*.js"):
        text = js.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href|import\()\s*=?\s*["']https?://""", text), js.name
        for host in ("unpkg.com", "jsdelivr.net", "cdnjs.", "esm.sh"):
            assert host not in text, (js.name, host)


def test_renderers_are_safe_and_cover_every_qrp_type():
    # The factories say safe: true (drawn in untrusted notebooks) for each media type.
    from qrp_jupyter.views import MIME_TYPES
    bundle = "".join(p.read_text(encoding="utf-8")
                     for p in (INSTALLED / "static").glob("*.js"))
    for mime in MIME_TYPES:
        assert mime in bundle, mime
    assert re.search(r"safe:\s*(!0|true)", bundle)


def test_no_inner_html_in_the_sources():
    # Strings from the store reach the DOM as text only.
    for src in (ROOT / "labextension" / "src").rglob("*.ts"):
        text = src.read_text(encoding="utf-8")
        sinks = re.findall(r"\.(?:innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML\(|"
                           r"document\.write\(|createContextualFragment\(|DOMParser", text)
        assert sinks == [], (src.name, sinks)


@pytest.mark.slow
def test_wheel_ships_the_extension(tmp_path):
    # A real (non-editable) wheel carries the build under share/jupyter/labextensions.
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                           str(tmp_path), str(ROOT)], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("qrp_jupyter-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    prefix = f"qrp_jupyter-{wheel.name.split('-')[1]}.data/data/share/jupyter/labextensions/{NAME}/"
    assert prefix + "package.json" in names
    assert any(n.startswith(prefix + "static/remoteEntry.") for n in names)
    # the kernel widget's front end, a build output git ignores, ships inside qrp_kernel
    for name in ("lineage.js", "lineage.css"):
        built = ROOT / "kernel_ext" / "qrp_kernel" / "static" / name
        assert zipfile.ZipFile(wheel).read(f"qrp_kernel/static/{name}") == built.read_bytes()
