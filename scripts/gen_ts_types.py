"""Write labextension/src/payloads.ts from qrp_jupyter/views/schema.py (the source of truth).

Run after changing a payload schema: `.venv/bin/python scripts/gen_ts_types.py`. With
`--check` it writes nothing and exits 1 when the committed file is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from qrp_jupyter.views.typescript import typescript_types

TARGET = Path(__file__).resolve().parent.parent / "labextension" / "src" / "payloads.ts"


def main(argv: list[str]) -> int:
    text = typescript_types()
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.name} is out of date: run scripts/gen_ts_types.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
