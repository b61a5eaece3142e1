#!/usr/bin/env bash
# Set up a development environment from a fresh clone: a virtual environment in .venv with
# QRP installed editable, plus its test dependencies. Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
# The JupyterLab extension: built (needs node and npm) and installed, so that `jupyter lab`
# shows QRP's renderers and `jupyter labextension list` lists qrp-jupyterlab as enabled.
bash scripts/build_labextension.sh
