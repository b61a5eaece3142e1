#!/usr/bin/env bash
# Re-execute the example notebooks in place and keep their outputs: run this after any change
# that moves a run_key or a result (an ENGINE_VERSION bump, a statistics change), then commit.
# Same clock and actor as scripts/test_notebooks.sh, on the governed `qrp` kernel, each notebook
# in its own folder with its store rebuilt from nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
export QRP_DETERMINISTIC_TIME=2024-01-01T00:00:00Z
export QRP_ACTOR=qrp-examples
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.numba_cache}"
rm -f example_notebooks/*.sqlite example_notebooks/*.sqlite-*
.venv/bin/python - "$@" <<'PY'
import sys
from pathlib import Path

import nbclient
import nbformat

paths = [Path(p) for p in sys.argv[1:]] or sorted(Path("example_notebooks").glob("*.ipynb"))
for path in paths:
    nb = nbformat.read(path, as_version=4)
    # record_timing=False: no per-cell timestamps, so a re-run only changes what really changed
    nbclient.NotebookClient(nb, kernel_name="qrp", timeout=600, record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)
    print(f"executed {path}")
PY
