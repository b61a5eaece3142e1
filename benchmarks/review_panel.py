"""First render of the review panel in a real JupyterLab and browser, on the demo store and on
a 10,000-run, 100,000-event store.

Usage (from the repo root, with the venv active and Debian's chromium; Playwright is the
browser tests' Python package)::

    python benchmarks/review_panel.py
    python benchmarks/review_panel.py --keep bench-review   # keep (and reuse) the stores

Prints one JSON document to stdout (progress to stderr). The stores: ``qrp demo``, and a copy
of it grown by ``tests/review/bulk.py`` (QRP's write API; see ``benchmarks/review_api.py``).
JupyterLab runs on 127.0.0.1 with the extension as installed; the page times the command
``qrp:open-review`` to the summary, the first page of candidates and the first page of the
governance log drawn: the first open of each store, then ``--repeats`` more (the figure is
their median). The reference, measured in the same run right after the browser on the same
server: the summary, the first page of candidates and the first page of the log over HTTP
without a browser (what the panel requests); ``ratio_panel_to_http_pages`` is what the browser
adds, ``ratio_big_to_demo_median`` what 10,000 runs cost over the demo.
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
import urllib.parse
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


#: In the page: run ``qrp:open-review`` on a store and wait until the summary, a candidates row
#: and a log row are drawn; milliseconds, or null after 60 s.
OPEN_AND_WAIT_JS = """async (p) => {
  const t0 = performance.now();
  await window.jupyterapp.commands.execute('qrp:open-review', { path: p });
  const q = s => document.querySelector(`#qrp-review-panel ${s}`);
  const end = t0 + 60000;
  while (!(q('.qrp-review-summary') && q('.qrp-review-candidates tbody tr') &&
           q('.qrp-review-events tbody tr'))) {
    if (performance.now() > end) return null;
    await new Promise(r => setTimeout(r, 2));
  }
  return performance.now() - t0;
}"""


def _time_panel(url: str, repeats: int, dbs: tuple[str, ...]) -> dict:
    """Each store's first open and ``repeats`` more (the panel reset to no store in between),
    the blockers it shows and the page's console errors, with Playwright and Debian's
    chromium (the browser tests' flags)."""
    from playwright.sync_api import sync_playwright

    out: dict = {"stores": {}, "errors": []}
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        ctx = pw.chromium.launch_persistent_context(
            profile, executable_path="/usr/bin/chromium", headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update"], viewport={"width": 1600, "height": 1000})
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.on("console", lambda m: out["errors"].append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: out["errors"].append(str(e)))
        page.goto(f"{url}lab?token={TOKEN}")
        page.wait_for_function("() => window.jupyterapp && "
                               "window.jupyterapp.commands.hasCommand('qrp:open-review')",
                               timeout=120_000)
        for db in dbs:
            times = []
            for _ in range(repeats + 1):
                page.evaluate("() => window.jupyterapp.commands.execute('qrp:open-review', "
                              "{ path: '' })")
                times.append(page.evaluate(OPEN_AND_WAIT_JS, db))
            blockers = page.locator("#qrp-review-panel .qrp-review-blockers-row li")
            out["stores"][db] = {"first_ms": times[0], "repeat_ms": times[1:],
                                 "blockers": blockers.all_text_contents()}
        ctx.close()
    return out


def _http_pages_ms(url: str, db: str, repeats: int) -> float:
    """Median milliseconds of the three first pages the panel asks for, over HTTP."""
    pages = ("summary", "candidates", "events")
    times = []
    for _ in range(repeats + 1):  # the first round is the warm-up
        t0 = time.perf_counter()
        for page in pages:
            query = urllib.parse.urlencode({"db": db, **({"order": "desc"} if page == "events"
                                                         else {})})
            req = urllib.request.Request(f"{url}qrp/review/api/{page}?{query}",
                                         headers={"Authorization": f"token {TOKEN}"})
            with urllib.request.urlopen(req, timeout=120) as answer:
                json.loads(answer.read())
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times[1:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--keep", help="folder for the stores (reused when present)")
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
        C.log("timing the panel in chromium")
        raw = _time_panel(url, args.repeats, ("demo.sqlite", "big.sqlite"))
        C.log("the reference: the same three first pages over HTTP, no browser")
        reference = {db: _http_pages_ms(url, db, args.repeats)
                     for db in ("demo.sqlite", "big.sqlite")}
    finally:
        lab.terminate()
        lab.wait(timeout=30)
        shutil.rmtree(cfg, ignore_errors=True)

    result = {}
    for db, r in raw["stores"].items():
        reps = [t for t in r["repeat_ms"] if t is not None]
        med = statistics.median(reps) if reps else None
        result[db] = {"first_open_ms": C.sig(r["first_ms"]),
                      "median_ms": C.sig(med) if reps else None,
                      "max_ms": C.sig(max(reps)) if reps else None, "repeats": len(reps),
                      "reference_http_pages_ms_median": C.sig(reference[db]),
                      "ratio_panel_to_http_pages": C.sig(med / reference[db]) if reps else None,
                      "blockers_shown": r["blockers"]}
    demo_med, big_med = (result[d]["median_ms"] for d in ("demo.sqlite", "big.sqlite"))
    scaling = C.sig(big_med / demo_med) if demo_med and big_med else None
    C.emit({
        "benchmark": "review_panel_first_render",
        "what": "command qrp:open-review -> summary, first candidates page and first log page "
                "drawn, in JupyterLab in headless chromium",
        "stores": result,
        "ratio_big_to_demo_median": scaling,
        "reference": "the same run, after the browser: GET summary, the first candidates page "
                     "and the first events page over HTTP with the token (what the panel "
                     "requests), their summed median; the ratio is what the browser adds",
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
