"""The README shows a screenshot of every QRP renderer and of the review panel.

The names come from ``tests/browser/screenshots.py`` (one per media type in ``MIME_TYPES``
plus its extra shots), so a media type added without a screenshot, a shot the script makes
but the README does not show, or a README image that is not committed fails here.
"""

from __future__ import annotations

import importlib.util
import re
import struct
from pathlib import Path

from qrp_jupyter.lineage import MIME_TYPES

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "docs" / "screenshots"


def _script():
    spec = importlib.util.spec_from_file_location(
        "qrp_screenshots_script", REPO / "tests" / "browser" / "screenshots.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_every_renderer_and_the_panel_has_a_committed_screenshot_the_readme_shows():
    script = _script()
    wanted = {script.NAMES[m] for m in MIME_TYPES} | set(script.EXTRA)
    assert len({script.NAMES[m] for m in MIME_TYPES}) == len(MIME_TYPES)
    assert "review-panel" in wanted
    readme = (REPO / "README.md").read_text("utf-8")
    shown = set(re.findall(r"!\[[^\]]*\]\(docs/screenshots/([a-z-]+)\.png\)", readme))
    assert wanted - shown == set(), f"screenshots the README does not show: {wanted - shown}"
    assert shown - wanted == set(), f"README images no script makes: {shown - wanted}"
    committed = {p.stem for p in SHOTS.glob("*.png")}
    assert wanted <= committed, f"not committed: {wanted - committed}"
    assert committed <= wanted, f"stale screenshots: {committed - wanted}"
    for name in wanted:
        w, h = _png_size(SHOTS / f"{name}.png")
        assert w >= 300 and h >= 100, (name, w, h)
