#!/usr/bin/env bash
# Command 2 of the README: set up (if needed) and run every test, the slow ones included.
# pytest exits non-zero when a test fails and also when no test ran (exit code 5).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.numba_cache}"
# One worker per core (QRP_TEST_WORKERS overrides); --dist loadfile keeps each file's tests, and
# so its module fixtures (a demo store, a real kernel), on one worker.
.venv/bin/python -m pytest -n "${QRP_TEST_WORKERS:-auto}" --dist loadfile "$@"
# The TypeScript unit tests of the JupyterLab extension (vitest with jsdom; setup.sh ran npm ci).
npm --prefix labextension test
# The example notebooks, executed on the governed kernel under nbval.
bash scripts/test_notebooks.sh "$@"
# The numba kernels once more as plain Python (house style: every kernel body is exercised
# and compared with its twin without the JIT; the slow calibration runs are left out).
NUMBA_DISABLE_JIT=1 .venv/bin/python -m pytest tests/engine tests/stats -q -m "not slow"
