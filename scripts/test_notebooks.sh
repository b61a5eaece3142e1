#!/usr/bin/env bash
# Execute the example notebooks under nbval (called by scripts/test.sh; runs alone too).
#
# Every code cell must run without error; cells marked `# NBVAL_CHECK_OUTPUT` must reproduce
# their committed output exactly, after example_notebooks/nbval_sanitize.cfg. The committed
# outputs were made with the clock and actor pinned below (see the README, "In JupyterLab"),
# so run keys, artifact hashes, report ids and event hashes reproduce bit for bit.
# Extra arguments go to pytest (e.g. -x, or one notebook path instead of the folder).
set -euo pipefail
cd "$(dirname "$0")/.."
export QRP_DETERMINISTIC_TIME=2024-01-01T00:00:00Z
export QRP_ACTOR=qrp-examples
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.numba_cache}"
# testpaths in pyproject.toml is tests/: the notebooks folder is passed explicitly.
.venv/bin/python -m pytest --nbval-lax --nbval-kernel-name qrp \
    --nbval-sanitize-with example_notebooks/nbval_sanitize.cfg example_notebooks \
    -p no:cacheprovider "$@"
# The committed outputs against the stores nbval just rebuilt (same pinned clock, so the same
# bytes): every saved QRP output re-rendered and compared, as a reviewer's `qrp verify
# --notebook` does. A notebook's own outputs name their store; so does this list.
if [ "$#" -eq 0 ] || [ "$*" = "-q" ]; then
    cd example_notebooks
    for pair in 01_quickstart:quickstart 02_research:research 03_reviewer_audit:review; do
        ../.venv/bin/qrp verify --notebook "${pair%%:*}.ipynb" --db "${pair##*:}.sqlite"
    done
fi
