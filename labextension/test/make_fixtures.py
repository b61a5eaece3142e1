"""Write the payload fixtures of the TypeScript unit tests from a QRP store.

Usage: `.venv/bin/python labextension/test/make_fixtures.py STORE` with a store made by
`qrp demo --db STORE`. Every payload is checked against views/schema.py before it is
written, so the fixtures are real payloads of the current format.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from qrp_jupyter.store import open_store
from qrp_jupyter.views import (audit_payload, candidates_payload, event_payload,
                               lineage_payload, report_payload, run_payload, validate_payload,
                               verify_payload)

OUT = Path(__file__).resolve().parent / "fixtures"


def main(path: str) -> None:
    store = open_store(path, create=False)
    cands = candidates_payload(store)
    edge = next(c for c in cands["candidates"] if c["status"] == "accepted")
    payloads = {
        "run": run_payload(store, edge["run_key"]),
        "lineage": lineage_payload(store, edge["candidate_id"]),
        "audit": audit_payload(store, edge["candidate_id"]),
        "candidates": cands,
        "report": report_payload(store, edge["eligibility_report_id"]),
        "verify": verify_payload(store, {"subject": "store", "target": "demo.sqlite",
                                         "digests": []}),
    }
    events = audit_payload(store, edge["candidate_id"])["events"]
    payloads["event"] = event_payload(store, events[-1]["event_hash"])
    for name, payload in payloads.items():
        problems = validate_payload(payload)
        assert not problems, (name, problems[:5])
        (OUT / f"{name}.json").write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
