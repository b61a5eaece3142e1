"""The review API on a large store: first-page answers of every endpoint on 10,000 runs and
100,000 governance events, each against a full unpaged read of the same listing.

Usage (from the repo root, with the venv active)::

    python benchmarks/review_api.py                          # builds the store in a temp folder
    python benchmarks/review_api.py --keep bench-review      # builds it there, or reuses it
    python benchmarks/review_api.py --runs 500 --events 5000 # quick smoke run

Prints one JSON document to stdout (progress to stderr).

How the store is made: ``qrp demo`` (two real runs, an accepted and a refused candidate), then
``tests/review/bulk.py`` through QRP's own write API (``store.research``, ``store.promotion``,
``governance.append_event``, each transaction sealed into the ledger as any write is):
``--runs`` runs that copy the demo's edge run with one cost changed per run (so every run has
its own ``run_key``, computed by ``identity.run_key``, with the edge run's trials and one
instance each), a candidate for every tenth of them, and governance events up to ``--events``
(one ``candidate_created`` per candidate, the rest ``bench_note`` events). The copies are not
re-executed: each carries the edge run's trial rows and its instance's result (so its metrics
table), which is what ``verify`` checks them against.

What is timed (median of ``--repeats`` calls after one warm-up), each in-process through
:class:`qrp_jupyter.review.ReviewService` (opening the store per request, as the server does)
and over HTTP through a real ``jupyter server`` with the extension enabled:

* the first page (50 rows) of runs, candidates and events (oldest and newest first), the last
  page of events (the keyset cursor of row 99,950: as cheap as the first), the summary, the
  refused candidate, its report and the accepted candidate's lineage;
* the references, in the same process: the full unpaged read of each listing
  (``runs.listing``, ``candidates_payload``, every event parsed), so ``ratio`` = page / full.

``verify`` (the whole store recomputed) is timed once, cold; the panel asks it once per state
of the file and shows the remembered result after.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
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
from qrp_jupyter.review import ReviewService, encode_cursor  # noqa: E402
from qrp_jupyter.store import open_store  # noqa: E402
from qrp_jupyter.views import candidates_payload  # noqa: E402

# The bulk writer is shared with the review tests, which page through a smaller store of it.
bulk = C.load_module("review_bulk", C.REPO / "tests" / "review" / "bulk.py")

TOKEN = "qrp-review-bench"


def build(path: Path, n_runs: int, n_events: int) -> dict:
    """The demo store at ``path`` grown to ``n_runs`` more runs and ``n_events`` events."""
    C.log(f"qrp demo -> {path}")
    with contextlib.redirect_stdout(sys.stderr):  # stdout stays this script's one document
        done = run_demo(str(path), as_json=True)
    if done != 0:
        raise RuntimeError("qrp demo did not finish as it should")
    t0 = time.perf_counter()
    bulk.grow_store(path, runs=n_runs, events=n_events, family="demo-trend",
                    progress=lambda m: C.log(f"  {m}"))
    return {"build_s": C.sig(time.perf_counter() - t0)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Http:
    """A real ``jupyter server`` over the store's folder (the extension enabled by its
    installed config), and a GET that returns the parsed JSON."""

    def __init__(self, root: Path):
        self.port = _free_port()
        self._tmp = tempfile.mkdtemp(prefix="qrp-review-bench-")
        env = {**os.environ, "JUPYTER_CONFIG_DIR": self._tmp,
               "JUPYTER_RUNTIME_DIR": self._tmp, "JUPYTER_PLATFORM_DIRS": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
             "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}",
             f"--IdentityProvider.token={TOKEN}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 90
        while True:
            try:
                self.get("api/status")
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("jupyter server did not start") from None
                time.sleep(0.25)

    def get(self, path: str, params: dict | None = None) -> dict:
        q = ("?" + urllib.parse.urlencode(params)) if params else ""
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/{path}{q}",
                                     headers={"Authorization": f"token {TOKEN}"})
        with urllib.request.urlopen(req, timeout=600) as r:
            return json.loads(r.read())

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self._tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--keep", help="folder to build the store in (reused when present)")
    args = ap.parse_args()

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="qrp-review-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "review-bench.sqlite"
    built = {"reused": True}
    if not db.exists():
        built = {"reused": False, **build(db, args.runs, args.events)}
    svc = ReviewService(folder)
    label = db.name
    q = {"db": label}
    counts = svc.answer("summary", q)["counts"]
    C.log(f"store: {counts}")
    with open_store(db, readonly=True, create=False) as s:
        demo_cands = {r["status"]: r["candidate_id"] for r in s.all("review.candidates_page",
                                                                    ("", None, 10 ** 9))
                      if r["family"].startswith("demo")}
        refused_report = s.one("review.candidate", (demo_cands["exploratory"],))[
            "last_report_id"]
        last_cursor = None
        last_seq = counts["governance_events"] - 50
        if last_seq > 0:
            last_cursor = encode_cursor([last_seq])

    cases = {
        "summary": ("summary", {}, None),
        "runs_first_page": ("runs", {}, None),
        "candidates_first_page": ("candidates", {}, None),
        "events_first_page_oldest": ("events", {}, None),
        "events_first_page_newest": ("events", {"order": "desc"}, None),
        "events_last_page_by_cursor": ("events", {"cursor": last_cursor} if last_cursor
                                       else {}, None),
        "refused_candidate": ("candidate", {}, demo_cands["exploratory"]),
        "refused_report": ("report", {}, refused_report),
        "accepted_lineage": ("lineage", {}, demo_cands["accepted"]),
    }

    def full_runs():
        with open_store(db, readonly=True, create=False) as s:
            return s.all("runs.listing")

    def full_candidates():
        with open_store(db, readonly=True, create=False) as s:
            return candidates_payload(s)

    def full_events():
        with open_store(db, readonly=True, create=False) as s:
            return [json.loads(e["payload_json"]) for e in s.iterate("governance_events.chain")]

    refs = {"runs": full_runs, "candidates": full_candidates, "events": full_events}
    ref_times = {}
    for name, fn in refs.items():
        C.log(f"reference: full {name}")
        ref_times[name] = C.measure(fn, repeats=max(3, args.repeats // 2))["steady_median_s"]

    inproc = {}
    for name, (ep, params, arg) in cases.items():
        m = C.measure(lambda: svc.answer(ep, {**q, **params}, arg), repeats=args.repeats)
        inproc[name] = {"median_s": C.sig(m["steady_median_s"]),
                        "max_s": C.sig(m["steady_max_s"])}
        listing = ep if ep in refs else None
        if listing:
            inproc[name]["full_unpaged_read_s"] = C.sig(ref_times[listing])
            inproc[name]["ratio_page_to_full"] = C.sig(m["steady_median_s"] / ref_times[listing])
        C.log(f"  {name}: {inproc[name]}")

    C.log("verify (cold, whole store)")
    t_verify, out = C.timed(lambda: svc.answer("verify", {**q, "fresh": "1"}))
    t_cached, _ = C.timed(lambda: svc.answer("verify", q))

    C.log("over HTTP: jupyter server")
    http = _Http(folder)
    over_http = {}
    try:
        routes = {"candidate": "candidates/", "report": "reports/", "lineage": "lineage/"}
        for name, (ep, params, arg) in cases.items():
            path = f"qrp/review/api/{routes.get(ep, ep)}{arg or ''}"
            m = C.measure(lambda: http.get(path, {**q, **params}), repeats=args.repeats)
            over_http[name] = {"median_s": C.sig(m["steady_median_s"]),
                               "max_s": C.sig(m["steady_max_s"])}
            if ep in refs:
                over_http[name]["ratio_page_to_full_in_process"] = C.sig(
                    m["steady_median_s"] / ref_times[ep])
            C.log(f"  {name}: {over_http[name]}")
    finally:
        http.close()

    C.emit({
        "benchmark": "review_api",
        "store": {"counts": counts, "file_mb": C.sig(db.stat().st_size / 2 ** 20), **built,
                  "made_by": "qrp demo, then bulk rows through QRP's write API (see the "
                             "module docstring of benchmarks/review_api.py)"},
        "page_size": 50,
        "in_process": inproc,
        "over_http": over_http,
        "references_full_unpaged_read_s": {k: C.sig(v) for k, v in ref_times.items()},
        "verify_cold_s": C.sig(t_verify),
        "verify_remembered_s": C.sig(t_cached),
        "verify_problems": len(out["verify"]["problems"]),
        "environment": C.environment(THREADS),
    })
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
