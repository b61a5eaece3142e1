#!/usr/bin/env bash
# Build QRP's JupyterLab extension (labextension/) and install it into .venv, each step only
# when its inputs changed: `npm ci` when package-lock.json changed, the build when a source
# changed (tsc; `jupyter-builder build`, which JupyterLab 4.6 uses in place of the deprecated
# `jupyter labextension build`, offline: @jupyterlab/core-meta comes from node_modules; esbuild
# bundling the kernel widget's front end, src/kernel_widget, into kernel_ext/qrp_kernel/static/),
# and a reinstall of the editable package when the build differs from the installed copy
# (hatch's shared-data copies labextension/build to
# .venv/share/jupyter/labextensions/qrp-jupyterlab at install time). Called by setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
EXT=labextension
NAME=qrp-jupyterlab
# where the build also bundles the kernel widget's front end (labextension/src/kernel_widget)
WIDGET=kernel_ext/qrp_kernel/static
export PATH="$PWD/.venv/bin:$PATH"

digest() { sha256sum | cut -d' ' -f1; }

if ! command -v npm > /dev/null; then
    echo "scripts/setup.sh: npm not found; the JupyterLab extension (labextension/) is built" \
         "with node 20 and npm: install them (apt-get install -y nodejs npm), then run it again" >&2
    exit 1
fi

lock=$(digest < "$EXT/package-lock.json")
if [ "$(cat "$EXT/node_modules/.qrp-lock-sha256" 2>/dev/null || true)" != "$lock" ]; then
    npm --prefix "$EXT" ci --no-audit --no-fund --loglevel=error
    echo "$lock" > "$EXT/node_modules/.qrp-lock-sha256"
fi

sources=$(cd "$EXT" && find src style package.json package-lock.json tsconfig.json -type f \
    | LC_ALL=C sort | xargs sha256sum | digest)
if [ "$(cat "$EXT/.build-sha256" 2>/dev/null || true)" != "$sources" ] \
        || [ ! -f "$EXT/build/package.json" ] || [ ! -f "$WIDGET/lineage.js" ] \
        || [ ! -f "$WIDGET/lineage.css" ]; then
    rm -rf "$EXT/lib" "$EXT/build" "$EXT/tsconfig.tsbuildinfo"
    npm --prefix "$EXT" run --silent build > /dev/null
    echo "$sources" > "$EXT/.build-sha256"
fi

installed=".venv/share/jupyter/labextensions/$NAME/package.json"
if ! cmp -s "$EXT/build/package.json" "$installed"; then
    .venv/bin/python -m pip install --quiet --no-deps -e .
fi
