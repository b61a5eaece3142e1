"""``qrp demo``: the golden path on synthetic data, end to end.

Two datasets come from the embedded seeded generator: one with a planted edge (persistent
returns that trend-following can exploit) and a pure-noise control. A modest trend grid runs on
the first; a large "data-mined" grid runs on the noise. The best trial of each becomes a
candidate. The edge is promoted through ``candidate`` to ``accepted`` (which replays the run from
the database alone); the noise strategy is refused with readable blockers. Then the accepted
candidate is audited and the whole store verified.

With ``QRP_DETERMINISTIC_TIME`` set, two demos produce identical run keys, artifact hashes,
report ids and event hashes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from .errors import QrpError

__all__ = ["run_demo", "EDGE_CONFIG", "NOISE_CONFIG", "DEMO_DATASETS", "DEMO_MARKER"]

#: (name, seed, planted edge, asset) of the demo's synthetic datasets: two years of hourly bars.
#: Two markets, so two asset names: the trial registry pools every trial on one asset and bar
#: interval, and the noise search should be deflated by its own 48 trials, not by the edge's.
DEMO_DATASETS = (("synthetic-edge", 7, 0.12, "EDGE"), ("synthetic-noise", 18, 0.0, "NOISE"))
DEMO_BARS = 17520

EDGE_CONFIG = """\
name = "trend on synthetic-edge"
family = "demo-trend"

[data]
dataset = "synthetic-edge"

[strategy]
kind = "ts_momentum"
[strategy.grid]
lookback = [1, 2, 3, 6, 12, 24]

[costs]
fee_bps = 1.0
slippage_bps = 0.5

[walk_forward]
n_folds = 4
mode = "expanding"
purge = 24

[nulls.reality_check]
reps = 1000
block_size = "auto"
"""

NOISE_CONFIG = """\
name = "data-mined crossover on synthetic-noise"
family = "demo-mined"

[data]
dataset = "synthetic-noise"

[strategy]
kind = "ma_crossover"
[strategy.grid]
fast = [2, 3, 5, 8, 12, 18, 24, 36]
slow = [48, 72, 96, 120, 168, 240]

[costs]
fee_bps = 1.0
slippage_bps = 0.5

[walk_forward]
n_folds = 4
mode = "expanding"
purge = 24

[nulls.reality_check]
reps = 1000
block_size = "auto"
"""


def _say(text: str = "", *, quiet: bool) -> None:
    if not quiet:
        print(text, flush=True)


#: The first event of every store the demo makes: what ``--overwrite`` may replace.
DEMO_MARKER = "demo_store_created"


def _prepare_path(db: str | None, overwrite: bool) -> Path:
    """Where the demo writes; ``--overwrite`` deletes only a store the demo itself created."""
    from .store import first_event_kind

    path = Path(db or os.environ.get("QRP_DB") or "qrp-demo.sqlite")
    if path.is_dir():
        raise QrpError(f"{str(path)!r} is a directory", where="--db",
                       fix="pass a file path for the demo store, e.g. qrp-demo.sqlite")
    if path.exists() and path.stat().st_size > 0:
        if not overwrite:
            raise QrpError(f"the demo needs an empty store, and {str(path)!r} exists",
                           where="--db", fix="pass --overwrite to replace it, or another --db")
        if first_event_kind(path) != DEMO_MARKER:
            raise QrpError(f"{str(path)!r} was not created by `qrp demo`; --overwrite replaces "
                           "only demo stores, and this file is left as it is", where="--db",
                           fix="pass another --db for the demo, or move the file yourself")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    return path


def run_demo(db: str | None = None, *, overwrite: bool = False, as_json: bool = False) -> int:
    """Run the golden path; returns the process exit code (0 when every step held)."""
    from .audit import ledger_digest, render_trace, trace, verify
    from .data import synthetic
    from .governance import create_candidate, current_actor, promote
    from .governance.events import append_event
    from .runs import execute_run, register_dataset
    from .store import open_store
    from .store.statements import SHELL_EXAMPLE

    q = as_json
    path = _prepare_path(db, overwrite)
    store = open_store(path)
    with store.transaction():  # the marker --overwrite looks for, first in the event chain
        append_event(store, kind=DEMO_MARKER, candidate_id=None, actor=current_actor(),
                     note="created by `qrp demo`: `qrp demo --overwrite` may replace it")
    t0 = time.perf_counter()
    out: dict[str, Any] = {"db": str(path.resolve())}

    _say("== 1. Register synthetic data (seeded generator; no files needed)", quiet=q)
    for name, seed, edge, asset in DEMO_DATASETS:
        ds = synthetic(n_bars=DEMO_BARS, seed=seed, edge=edge, assets=(asset,), name=name)
        ds_id = register_dataset(store, ds, name=name)
        out.setdefault("datasets", {})[name] = ds_id
        _say(f"   {name:<16} dataset_id_v2 {ds_id}  (edge={edge}, seed={seed})", quiet=q)

    _say("\n== 2. Run: a trend grid on the edge data, a data-mined grid on the noise", quiet=q)
    runs = {}
    for label, cfg in (("edge", EDGE_CONFIG), ("noise", NOISE_CONFIG)):
        r = execute_run(store, cfg, source=f"<demo {label} config>")
        runs[label] = r
        s = r.summary
        _say(f"   {label:<5} run_key {r.run_key[:16]}  trials {s['n_trials']:>3}  best "
             f"#{s['best_trial']} {json.dumps(s['best_params'])} SR(ann) "
             f"{s['best_sharpe_annual']:.2f}  reality-check p {s['reality_check_pvalue']:.4f}",
             quiet=q)
    out["runs"] = {k: {"run_key": v.run_key, "run_instance_id": v.run_instance_id,
                       "artifacts": v.artifacts} for k, v in runs.items()}

    _say("\n== 3. Candidates: the best trial of each run", quiet=q)
    cands = {k: create_candidate(store, r.run_instance_id) for k, r in runs.items()}
    for k, c in cands.items():
        _say(f"   {k:<5} candidate {c['candidate_id'][:16]} ({c['status']})", quiet=q)

    _say("\n== 4. Promote the edge: exploratory -> candidate -> accepted (with replay)", quiet=q)
    results = {}
    for level in ("candidate", "accepted"):
        res = promote(store, cands["edge"]["candidate_id"], level)
        results[f"edge->{level}"] = res
        _say(f"   -> {level:<9} {'PASSED' if res.passed else 'REFUSED'}  report "
             f"{res.eligibility_report_id[:16]}", quiet=q)
        if not res.passed:
            for b in res.report["blockers"]:
                _say(f"        blocker: {b}", quiet=q)

    _say("\n== 5. Promote the data-mined noise strategy: it must be refused", quiet=q)
    res = promote(store, cands["noise"]["candidate_id"], "candidate")
    results["noise->candidate"] = res
    _say(f"   -> candidate {'PASSED (unexpected!)' if res.passed else 'REFUSED'}  report "
         f"{res.eligibility_report_id[:16]}", quiet=q)
    for b in res.report["blockers"]:
        _say(f"        blocker: {b}", quiet=q)
    out["promotions"] = {k: {"passed": v.passed, "eligibility_report_id":
                             v.eligibility_report_id, "event_hash": v.event["event_hash"],
                             "blockers": v.report["blockers"]} for k, v in results.items()}

    _say("\n== 6. Audit the accepted strategy from the database alone", quiet=q)
    t = trace(store, cands["edge"]["candidate_id"])
    _say("\n".join("   " + ln for ln in render_trace(t).splitlines()), quiet=q)

    _say("\n== 7. Verify the whole store", quiet=q)
    rep = verify(store)
    _say("   " + rep.text().replace("\n", "\n   "), quiet=q)

    accepted = results["edge->accepted"].passed
    refused = not results["noise->candidate"].passed
    ok = accepted and refused and t["ok"] and rep.ok
    digest = ledger_digest(store)["digest"]
    out.update({"accepted": accepted, "noise_refused": refused, "audit_ok": t["ok"],
                "verify_ok": rep.ok, "ok": ok, "ledger_digest": digest,
                "events": [{k: r[k] for k in ("seq", "kind", "event_hash")}
                           for r in store.all("governance_events.chain")]})
    store.close()
    if as_json:
        print(json.dumps(out, indent=2, sort_keys=True))
    else:
        _say(f"\n{'DEMO OK' if ok else 'DEMO FAILED'} in {time.perf_counter() - t0:.1f}s: "
             f"edge accepted={accepted}, noise refused={refused}, audit={t['ok']}, "
             f"verify={rep.ok}", quiet=False)
        _say(f"Ledger digest (record it where others can see it; later "
             f"`qrp verify --digest` proves nothing before it changed):\n  {digest}",
             quiet=False)
        _say(f"The store is at {path.resolve()}\n"
             f"  try: qrp --help | qrp candidates --db {path} | "
             f"sqlite3 {path} '{SHELL_EXAMPLE}'", quiet=False)
    if not ok:
        print("qrp demo: a golden-path step did not hold (see above)", file=sys.stderr)
    return 0 if ok else 4
