#!/usr/bin/env bash
# Command 1 of the README: set everything up, then run the golden path on synthetic data into
# a local SQLite file (./qrp-demo.sqlite, replaced on each run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/qrp demo --db qrp-demo.sqlite --overwrite "$@"
