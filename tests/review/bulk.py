"""Grow a QRP store to many runs, candidates and governance events through QRP's write API.

Shared by the review tests (a few hundred rows, to page through) and
``benchmarks/review_api.py`` (10,000 runs and 100,000 events). Every row goes through the
store layer (``store.research``, ``store.promotion``, ``governance.append_event``) inside
transactions that the ledger seals, as any QRP write is. The runs are copies of one stored run
(its config with one cost changed per copy, so each has its own ``run_key``), carrying that
run's trial rows and its instance's result, so ``verify`` finds them consistent; they are not
re-executed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qrp_jupyter.governance import append_event
from qrp_jupyter.identity import canonical_json, candidate_id, now_iso, run_instance_id, run_key
from qrp_jupyter.store import open_store, promotion, research

__all__ = ["grow_store"]

_RUN_BATCH = 500
_EVENT_BATCH = 5000


def grow_store(path: str | Path, *, runs: int, events: int, candidate_every: int = 10,
               family: str | None = None, progress: Any = None) -> list[str]:
    """Add ``runs`` copies of the store's first run (a candidate for every
    ``candidate_every``-th, with its ``candidate_created`` event), then ``bench_note`` events
    until the log holds ``events``. Returns the new candidate ids."""
    cands: list[str] = []
    with open_store(path) as s:
        base = s.all("runs.all")[0]
        if family is not None:
            base = next(r for r in s.all("runs.all") if r["family"] == family)
        config = json.loads(base["config_json"])
        trials = s.all("trials.of_run", (base["run_key"],))
        inst = s.one("run_instances.get", (s.one("run_instances.latest_original",
                                                (base["run_key"],))["run_instance_id"],))
        fee = config["costs"]["fee_bps"]
        for start in range(0, runs, _RUN_BATCH):
            with s.transaction():
                for i in range(start, min(start + _RUN_BATCH, runs)):
                    cfg = json.loads(json.dumps(config))
                    cfg["costs"]["fee_bps"] = round(fee + (i + 1) / 1000, 6)
                    at = now_iso()
                    key = run_key(cfg, dataset_id_v2=base["dataset_id_v2"], code_hash=None,
                                  engine_version=base["engine_version"])
                    research.insert_run(s, (
                        key, f"bulk run {i}", f"bulk-{i % 20}", base["dataset_id_v2"],
                        canonical_json(cfg), None, None, None, base["engine_version"],
                        base["identity_schema_version"], at),
                        [(key, t["trial_index"], t["params_json"], t["sharpe"],
                          t["sharpe_annual"], t["total_return"], t["max_drawdown"],
                          t["turnover"], t["n_trades"], t["n_obs"], t["metrics_json"])
                         for t in trials])
                    iid = run_instance_id(key, started_at=at, seq=1)
                    research.insert_instance(s, (iid, key, 1, "run", None, at, at,
                                                 inst["actor"], inst["result_json"]))
                    if i % candidate_every == 0:
                        cid = candidate_id(key, 0)
                        promotion.insert_candidate(s, candidate_id=cid, run_key=key,
                                                   trial_index=0, run_instance_id=iid, at=at)
                        append_event(s, kind="candidate_created", candidate_id=cid,
                                     actor="bulk", from_status=None, to_status="exploratory",
                                     run_key=key, run_instance_id=iid, trial_index=0)
                        cands.append(cid)
            if progress:
                progress(f"runs {min(start + _RUN_BATCH, runs)}/{runs}")
        have = s.one("review.counts")["governance_events"]
        for start in range(have, events, _EVENT_BATCH):
            with s.transaction():
                for j in range(start, min(start + _EVENT_BATCH, events)):
                    append_event(s, kind="bench_note",
                                 candidate_id=cands[j % len(cands)] if cands else None,
                                 actor="bulk", note=f"bulk event {j}")
            if progress:
                progress(f"events {min(start + _EVENT_BATCH, events)}/{events}")
        s.checkpoint()
    return cands
