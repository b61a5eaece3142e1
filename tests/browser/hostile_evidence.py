"""A real store whose user strings are HTML, and a saved notebook of its real QRP outputs.

The store is built through the QRP API as a quant would (register a dataset, run a grid, make
a candidate, promote it, reject it with a reason), with a dataset name, a run name, an actor and
a rejection reason that are markup. The notebook holds the outputs the magics would make of it
(:func:`qrp_jupyter.views.render_bundle`: ``text/plain``, the static ``text/html`` and the QRP
payload, stamped with the cell source), written as Jupyter saves them. Opened from disk in Lab
it is untrusted: nothing was executed in the browser.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from qrp_jupyter.data import synthetic
from qrp_jupyter.governance import create_candidate, promote, reject
from qrp_jupyter.lineage import (MIME_AUDIT, MIME_CANDIDATES, MIME_EVENT, MIME_LINEAGE,
                                 MIME_REPORT, MIME_RUN)
from qrp_jupyter.runs import execute_run, register_dataset
from qrp_jupyter.store import Store
from qrp_jupyter.views import render_bundle

#: One string per place a user types, each an attack that fires if it is ever parsed as HTML
#: (the alert would open a dialog, the image element would exist).
DATASET_NAME = "<img src=x onerror=alert(1)>"
RUN_NAME = "<img src=x onerror=alert('run')> run"
ACTOR = "<img src=x onerror=alert('actor')>"
REASON = "<img src=x onerror=alert('reason')> overfit"
HOSTILE = {"dataset name": DATASET_NAME, "run name": RUN_NAME, "actor": ACTOR,
           "reason": REASON}

RUN_TOML = f"""\
name = "{RUN_NAME}"
family = "browser-hostile"
[data]
dataset = "{DATASET_NAME}"
[strategy]
kind = "ts_momentum"
[strategy.grid]
lookback = [1, 2, 4, 8]
[costs]
fee_bps = 1.0
slippage_bps = 0.5
[walk_forward]
n_folds = 3
purge = 10
[nulls.reality_check]
reps = 99
[nulls.spa_stepm]
reps = 99
"""


@dataclass
class Evidence:
    """What the notebook shows: the ids the tests look for, and the notebook's file name."""

    notebook: str
    run_key: str
    run_instance_id: str
    dataset_id_v2: str
    candidate_id: str
    report_id: str
    event_hash: str
    lineage: dict  # the lineage payload as saved (nodes with their full hashes)


@contextmanager
def _actor(name: str):
    old = os.environ.get("QRP_ACTOR")
    os.environ["QRP_ACTOR"] = name
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("QRP_ACTOR", None)
        else:
            os.environ["QRP_ACTOR"] = old


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _cell(source: str, bundle: dict, n: int) -> dict:
    data = {k: _lines(v) if k.startswith("text/") else v for k, v in bundle.items()}
    return {"cell_type": "code", "execution_count": n, "metadata": {}, "source": _lines(source),
            "outputs": [{"output_type": "display_data", "metadata": {}, "data": data}]}


def build(folder: Path, name: str = "hostile.ipynb") -> Evidence:
    """Build ``folder/hostile.sqlite`` and ``folder/<name>``; return what they hold."""
    db = folder / "hostile.sqlite"
    store = Store(db)
    try:
        with _actor(ACTOR):
            ds = register_dataset(store, synthetic(n_bars=1500, seed=3, edge=0.0),
                                  name=DATASET_NAME)
            run = execute_run(store, RUN_TOML, source="hostile.toml")
            cand = create_candidate(store, run.run_instance_id, actor=ACTOR)["candidate_id"]
            refused = promote(store, cand, "candidate", actor=ACTOR)
            ended = reject(store, cand, REASON, actor=ACTOR)
        cells = [
            ("%qrp_show run", MIME_RUN, {"ref": run.run_instance_id, "max_trials": 10,
                                         "max_points": 400}),
            ("%qrp_lineage cand", MIME_LINEAGE, {"ref": cand}),
            ("%qrp_promote cand --to candidate", MIME_REPORT,
             {"ref": refused.eligibility_report_id}),
            ("%qrp_promote cand --to rejected", MIME_EVENT, {"ref": ended["event"]["event_hash"]}),
            ("%qrp_candidates", MIME_CANDIDATES, {}),
            ("%qrp_audit cand", MIME_AUDIT, {"ref": cand}),
        ]
        out = []
        lineage = None
        for n, (source, mime, render) in enumerate(cells, start=1):
            b = render_bundle(store, mime, render, source=source)
            if mime == MIME_LINEAGE:
                lineage = b[mime]
            out.append(_cell(source, b, n))
    finally:
        store.close()
    nb = {"nbformat": 4, "nbformat_minor": 5,
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}},
          "cells": [{"cell_type": "markdown", "metadata": {},
                     "source": ["# hostile strings, real outputs\n"]}] + out}
    (folder / name).write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return Evidence(notebook=name, run_key=run.run_key, run_instance_id=run.run_instance_id,
                    dataset_id_v2=ds, candidate_id=cand,
                    report_id=refused.eligibility_report_id,
                    event_hash=ended["event"]["event_hash"], lineage=lineage)
