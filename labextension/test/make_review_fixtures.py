"""Write the review panel's test fixtures: answers of the review API over a real store.

Usage: `.venv/bin/python labextension/test/make_review_fixtures.py FOLDER` where FOLDER holds
`demo.sqlite`, made by `qrp demo --db FOLDER/demo.sqlite`. A copy of it, `xss.sqlite`, gets the
refused candidate rejected with the reason and actor `<img src=x onerror=alert(1)>` through
QRP's API; the answers are what `qrp_jupyter.review.ReviewService` (the server extension's
core) gives for both stores.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from qrp_jupyter.governance import reject
from qrp_jupyter.review import ReviewService, json_text
from qrp_jupyter.store import open_store

OUT = Path(__file__).resolve().parent / "fixtures" / "review"
XSS = "<img src=x onerror=alert(1)>"


def main(folder: str) -> None:
    root = Path(folder)
    xss = root / "xss.sqlite"
    if not xss.exists():
        shutil.copyfile(root / "demo.sqlite", xss)
        with open_store(xss) as s:
            refused = [c for c in s.all("promotion_candidates.all")
                       if c["status"] == "exploratory"][0]
            reject(s, refused["candidate_id"], XSS, actor=XSS)
    svc = ReviewService(root)
    demo, evil = {"db": "demo.sqlite"}, {"db": "xss.sqlite"}
    cands = svc.answer("candidates", demo)
    refused = next(c for c in cands["items"] if c["blockers"])
    answers = {
        "summary": svc.answer("summary", {**demo, "verify": "1"}),
        "candidates": cands,
        "runs": svc.answer("runs", demo),
        "candidate": svc.answer("candidate", demo, refused["candidate_id"]),
        "report": svc.answer("report", demo, refused["last_report"]["eligibility_report_id"]),
        "events": svc.answer("events", {**evil, "order": "desc"}),
        "verify": svc.answer("verify", demo),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    for name, answer in answers.items():
        (OUT / f"{name}.json").write_text(json.dumps(json.loads(json_text(answer)), indent=1,
                                                     sort_keys=True) + "\n")
        print(f"wrote {OUT / (name + '.json')}")


if __name__ == "__main__":
    main(sys.argv[1])
