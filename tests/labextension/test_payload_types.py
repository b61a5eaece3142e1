"""labextension/src/payloads.ts is generated from qrp_jupyter/views/schema.py and current."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from qrp_jupyter.views import SCHEMAS
from qrp_jupyter.views.typescript import INTERFACE_NAMES, typescript_types

ROOT = Path(__file__).resolve().parents[2]
PAYLOADS = ROOT / "labextension" / "src" / "payloads.ts"


def test_committed_file_equals_the_generated_one():
    assert PAYLOADS.read_text(encoding="utf-8") == typescript_types(), (
        "labextension/src/payloads.ts is stale: run scripts/gen_ts_types.py")


def test_check_mode_of_the_script():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_ts_types.py"),
                           "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def _interface(text: str, name: str) -> str:
    start = text.index(f"export interface {name} {{")
    depth, i = 0, text.index("{", start)
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i:j + 1]
    raise AssertionError(name)


def test_every_top_level_field_is_typed():
    text = typescript_types()
    for mime, schema in SCHEMAS.items():
        body = _interface(text, INTERFACE_NAMES[mime])
        top = set(re.findall(r"^  (\w+)\??:", body, flags=re.M))
        assert top == set(schema["fields"]), mime
        for name, node in schema["fields"].items():
            mark = "?" if node.get("optional") else ""
            assert re.search(rf"^  {name}{re.escape(mark)}: ", body, flags=re.M), (mime, name)
        assert f'mime: "{mime}";' in body


def test_nullable_and_enum_fields():
    text = typescript_types()
    run = _interface(text, "RunPayload")
    assert re.search(r'^    purpose: "run" \| "replay";$', run, flags=re.M)
    assert re.search(r"^    code_hash: string \| null;$", run, flags=re.M)
    assert "eligibility: EligibilityPreview;" in run
    assert "qrp_mime_version: 1;" in run
