#!/usr/bin/env bash
# Command 2 of the README: set up (if needed) and run every test, the slow ones included.
# pytest exits non-zero when a test fails and also when no test ran (exit code 5).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.numba_cache}"
exec .venv/bin/python -m pytest "$@"
