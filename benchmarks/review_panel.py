"""First render of the review panel in a real JupyterLab and browser, on the demo store and on
a 10,000-run, 100,000-event store.

Usage (from the repo root, with the venv active; node, Debian's chromium and the npm package
playwright-core, found through ``--node-path`` or ``NODE_PATH``)::

    python benchmarks/review_panel.py --node-path /path/to/node_modules
    python benchmarks/review_panel.py --keep bench-review --screenshot docs/review-panel.png

Prints one JSON document to stdout (progress to stderr). The stores: ``qrp demo``, and a copy
of it grown by ``tests/review/bulk.py`` (QRP's write API; see ``benchmarks/review_api.py``).
JupyterLab runs on 127.0.0.1 with the extension as installed; ``review_panel_first_render.cjs``
times, in the page, the command ``qrp:open-review`` to the summary, the first page of
candidates and the first page of the governance log drawn: the first open of each store, then
``--repeats`` more (the figure is their median). The reference is the first page of the
candidates over HTTP (``review_api.json``): what is left is the browser's own work.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # after the sys.path line above: benchmarks run as scripts

THREADS = C.set_numba_threads()

from qrp_jupyter.demo import run_demo  # noqa: E402  (numba threads are set first)

bulk = C.load_module("review_bulk", C.REPO / "tests" / "review" / "bulk.py")
TOKEN = "qrp-review-panel-bench"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stores(folder: Path, runs: int, events: int) -> None:
    demo, big = folder / "demo.sqlite", folder / "big.sqlite"
    if not demo.exists():
        C.log(f"qrp demo -> {demo}")
        with contextlib.redirect_stdout(sys.stderr):
            if run_demo(str(demo), as_json=True) != 0:
                raise RuntimeError("qrp demo did not finish as it should")
    if not big.exists():
        C.log(f"growing a copy to {runs} runs and {events} events -> {big}")
        shutil.copyfile(demo, big)
        bulk.grow_store(big, runs=runs, events=events, family="demo-trend",
                        progress=lambda m: C.log(f"  {m}"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--keep", help="folder for the stores (reused when present)")
    ap.add_argument("--node-path", help="a node_modules folder holding playwright-core")
    ap.add_argument("--screenshot", help="write a picture of the panel on the demo store here")
    args = ap.parse_args()

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="qrp-panel-"))
    folder.mkdir(parents=True, exist_ok=True)
    stores(folder, args.runs, args.events)
    port, cfg = _free_port(), tempfile.mkdtemp(prefix="qrp-panel-jupyter-")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": cfg, "JUPYTER_RUNTIME_DIR": cfg,
           "JUPYTER_PLATFORM_DIRS": "1"}
    lab = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--ServerApp.root_dir={folder}", f"--IdentityProvider.token={TOKEN}",
         "--LabApp.expose_app_in_browser=True"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}api/status?token={TOKEN}", timeout=5)
                break
            except OSError:
                if lab.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("jupyter lab did not start") from None
                time.sleep(0.25)
        node_env = {**os.environ}
        if args.node_path:
            node_env["NODE_PATH"] = args.node_path
        cmd = ["node", str(C.BENCH_DIR / "review_panel_first_render.cjs"), url, TOKEN,
               str(args.repeats), "demo.sqlite,big.sqlite"]
        if args.screenshot:
            cmd.append(str(Path(args.screenshot).resolve()))
        C.log("timing the panel in chromium")
        done = subprocess.run(cmd, capture_output=True, text=True, env=node_env, timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"the browser run failed: {done.stderr[-2000:]}")
        raw = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        lab.terminate()
        lab.wait(timeout=30)
        shutil.rmtree(cfg, ignore_errors=True)

    result = {}
    for db, r in raw["stores"].items():
        reps = [t for t in r["repeat_ms"] if t is not None]
        result[db] = {"first_open_ms": C.sig(r["first_ms"]),
                      "median_ms": C.sig(statistics.median(reps)) if reps else None,
                      "max_ms": C.sig(max(reps)) if reps else None, "repeats": len(reps),
                      "blockers_shown": r["blockers"]}
    C.emit({
        "benchmark": "review_panel_first_render",
        "what": "command qrp:open-review -> summary, first candidates page and first log page "
                "drawn, in JupyterLab in headless chromium",
        "stores": result,
        "console_errors": raw["errors"],
        "environment": C.environment(THREADS, jupyterlab=C.versions("jupyterlab")["jupyterlab"],
                                     chromium=subprocess.run(
                                         ["/usr/bin/chromium", "--version"],
                                         capture_output=True, text=True).stdout.strip()),
    })
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
