"""``verify_notebook``: check the QRP outputs saved in a notebook against the database.

A saved notebook is evidence only if what it shows is what the store holds. Every output whose
data carries a QRP media type is checked: the ``run_key`` exists and consumed the quoted
``dataset_id_v2``; the ``run_instance_id`` belongs to that run; every artifact hash exists,
belongs to the instance's lineage under its kind, and its bytes hash to it; lineage node hashes
exist; audit report ids hash to their reports; and the static ``text/html`` beside the payload
quotes the same ``run_key`` and ``dataset_id_v2`` (editing either one is caught). The notebook
is read with :mod:`json` (nbformat 4 structure); no Jupyter package is imported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import NotFoundError, QrpError
from ..identity import hash_payload, sha256_hex
from ..lineage.mime import MIME_AUDIT, MIME_LINEAGE, MIME_RUN, MIME_TYPES, MIME_VERSION
from ..store import GENESIS_HASH, Store, decode_blob

__all__ = ["verify_notebook", "NotebookReport", "NotebookProblem"]


@dataclass(frozen=True)
class NotebookProblem:
    """One disagreement, located by cell index and output index (both 0-based)."""

    cell: int | None
    output: int | None
    mime: str | None
    problem: str

    def where(self) -> str:
        if self.cell is None:
            return "notebook"
        return f"cell {self.cell} output {self.output}" + (f" ({self.mime})" if self.mime else "")

    def to_dict(self) -> dict[str, Any]:
        return {"cell": self.cell, "output": self.output, "mime": self.mime,
                "problem": self.problem}


@dataclass
class NotebookReport:
    """What :func:`verify_notebook` checked and every problem it found."""

    path: str
    problems: list[NotebookProblem] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=lambda: {
        "cells": 0, "qrp_outputs": 0, "payloads": 0, "hashes": 0})

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "path": self.path, "checked": dict(self.checked),
                "problems": [p.to_dict() for p in self.problems]}

    def text(self) -> str:
        lines = [f"verify notebook {self.path}: "
                 + ("OK" if self.ok else f"{len(self.problems)} problem(s)"),
                 "  checked: " + ", ".join(f"{k} {v}" for k, v in self.checked.items())]
        lines += [f"  - {p.where()}: {p.problem}" for p in self.problems]
        return "\n".join(lines)


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise NotFoundError(f"notebook {str(path)!r} does not exist", where="--notebook",
                            fix="pass the path of a saved .ipynb file")
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise QrpError(f"{str(path)!r} is not a JSON notebook: {exc}", where=str(path),
                       fix="pass a .ipynb file saved by Jupyter (nbformat 4)") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise QrpError(f"{str(path)!r} has no list of cells", where=f"{path}: cells",
                       fix="pass a .ipynb file saved by Jupyter (nbformat 4)")
    return nb


class _Checker:
    """Checks of one notebook against one store; memoises blob hashing."""

    def __init__(self, store: Store, report: NotebookReport):
        self.store, self.report = store, report
        self._blobs: dict[str, str | None] = {}
        self.at: tuple[int | None, int | None, str | None] = (None, None, None)

    def problem(self, text: str) -> None:
        self.report.problems.append(NotebookProblem(*self.at, text))

    def exists(self, table: str, column: str, value: Any, what: str) -> bool:
        self.report.checked["hashes"] += 1
        if not self.store.exists(table, column, value):
            self.problem(f"{what} {value} is not in the store ({table}.{column})")
            return False
        return True

    def artifact(self, aid: Any, what: str) -> bool:
        """The artifact exists and its bytes hash to its id."""
        self.report.checked["hashes"] += 1
        if aid not in self._blobs:
            row = self.store.one("artifacts.blob", (aid,))
            self._blobs[aid] = None if row is None else (
                "ok" if sha256_hex(decode_blob(row["codec"], row["data"])) == aid else "bad")
        state = self._blobs[aid]
        if state is None:
            self.problem(f"{what} {aid} is not in the store")
        elif state == "bad":
            self.problem(f"{what} {aid}: the stored bytes do not hash to it")
        return state == "ok"

    def run(self, run_key: Any, dataset_id: Any) -> bool:
        """The run exists and consumed ``dataset_id``."""
        self.report.checked["hashes"] += 1
        row = self.store.one("runs.get", (run_key,))
        if row is None:
            self.problem(f"run_key {run_key} is not in the store")
            return False
        if row["dataset_id_v2"] != dataset_id:
            self.problem(f"dataset_id_v2 differs: the notebook says {dataset_id}, the store's "
                         f"run consumed {row['dataset_id_v2']}")
        return True

    def instance(self, instance_id: Any, run_key: Any) -> bool:
        self.report.checked["hashes"] += 1
        row = self.store.one("run_instances.get", (instance_id,))
        if row is None:
            self.problem(f"run_instance_id {instance_id} is not in the store")
        elif row["run_key"] != run_key:
            self.problem(f"run_instance_id {instance_id} belongs to run {row['run_key']}, "
                         f"not to run_key {run_key}")
        return row is not None and row["run_key"] == run_key

    def report_id(self, rid: Any) -> None:
        self.report.checked["hashes"] += 1
        row = self.store.one("eligibility_reports.get", (rid,))
        if row is None:
            self.problem(f"eligibility_report_id {rid} is not in the store")
        elif hash_payload(json.loads(row["payload_json"])) != rid:
            self.problem(f"eligibility report {rid}: the stored report does not hash to its id")

    # -- one payload per media type ------------------------------------------------------------
    def check_run(self, p: dict[str, Any]) -> None:
        run_ok = self.run(p["run_key"], p["dataset_id_v2"])
        inst = p["run_instance_id"]
        inst_ok = run_ok and self.instance(inst, p["run_key"])
        for kind, aid in sorted(p["artifacts"].items()):
            if not self.artifact(aid, f"artifacts.{kind}") or not inst_ok:
                continue
            if self.store.one("artifact_lineage.links", (inst, kind, aid)) is None:
                self.problem(f"artifacts.{kind} {aid} is not the {kind} of run instance {inst} "
                             f"(artifact_lineage)")
        listed = set(p["artifacts"].values())
        for section in ("nulls", "pbo", "stepm", "walk_forward"):
            value = p.get(section)
            for i, doc in enumerate(value if isinstance(value, list) else [value]):
                for key in ("artifact_id", "null_artifact_id", "attestation_id"):
                    aid = (doc or {}).get(key)
                    if aid is not None and aid not in listed:
                        self.problem(f"{section}{f'[{i}]' if isinstance(value, list) else ''}"
                                     f".{key} {aid} is not among the run's artifacts")

    def check_lineage(self, p: dict[str, Any]) -> None:
        self.run(p["run_key"], p["dataset_id_v2"])
        table, column = {"run": ("runs", "run_key"),
                         "run_instance": ("run_instances", "run_instance_id"),
                         "candidate": ("promotion_candidates", "candidate_id")}.get(
            p["root"]["kind"], (None, None))
        if table is None:
            self.problem(f"root kind {p['root']['kind']!r} is not run/run_instance/candidate")
        else:
            self.exists(table, column, p["root"]["id"], f"root {p['root']['kind']}")
        seeds = self._seed_roots(p["run_key"])
        checks: dict[str, Callable[[str, str], Any]] = {
            "dataset_id_v2": lambda v, w: self.exists("datasets", "dataset_id_v2", v, w),
            "run_key": lambda v, w: self.exists("runs", "run_key", v, w),
            "code_hash": lambda v, w: self.exists("runs", "code_hash", v, w),
            "run_instance_id": lambda v, w: self.exists("run_instances", "run_instance_id",
                                                        v, w),
            "artifact_id": self.artifact,
            "candidate_id": lambda v, w: self.exists("promotion_candidates", "candidate_id",
                                                     v, w),
            "eligibility_report_id": lambda v, w: self.report_id(v),
            "policy_hash": lambda v, w: self.exists("policies", "policy_hash", v, w),
            "event_hash": lambda v, w: self.exists("governance_events", "event_hash", v, w),
            "prev_hash": lambda v, w: v == GENESIS_HASH or self.exists(
                "governance_events", "event_hash", v, w),
            "seed_root": lambda v, w: v in seeds or self.problem(
                f"{w} {v} is in no seed record of run {p['run_key']}"),
        }
        for node in p["nodes"]:
            for name, value in sorted(node["hashes"].items()):
                what = f"{node['kind']} node {node['label']!r} {name}"
                if name in checks:
                    checks[name](value, what)
                else:
                    self.problem(f"{what}: unknown hash name")

    def _seed_roots(self, run_key: str) -> set[str]:
        roots: set[str] = set()
        for r in self.store.all("artifact_lineage.seed_blobs_of_run", (run_key,)):
            try:
                roots |= {rec["root"] for rec in
                          json.loads(decode_blob(r["codec"], r["data"]))["records"]}
            except (ValueError, KeyError, TypeError):
                continue  # a damaged blob: its artifact hash check reports it
        return roots

    def check_audit(self, p: dict[str, Any]) -> None:
        cid = p["candidate_id"]
        if self.exists("promotion_candidates", "candidate_id", cid, "candidate_id"):
            row = self.store.one("promotion_candidates.get", (cid,))
            if row["run_key"] != p["run_key"]:
                self.problem(f"candidate {cid} belongs to run {row['run_key']}, not to "
                             f"run_key {p['run_key']}")
        if self.run(p["run_key"], p["dataset_id_v2"]):
            self.instance(p["run_instance_id"], p["run_key"])
        for r in p["reports"]:
            self.report_id(r["eligibility_report_id"])
        linked = p["candidate"].get("eligibility_report_id")
        if linked is not None:
            self.report_id(linked)
        for a in p["artifacts"]:
            self.artifact(a["artifact_id"], f"artifact {a['kind']}")
        for e in p["events"]:
            self.exists("governance_events", "event_hash", e["event_hash"], f"event #{e['seq']}")


_CHECKS = {MIME_RUN: _Checker.check_run, MIME_LINEAGE: _Checker.check_lineage,
           MIME_AUDIT: _Checker.check_audit}


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else value if isinstance(value, str) else ""


def _check_output(checker: _Checker, mime: str, data: dict[str, Any]) -> None:
    payload = data[mime]
    if isinstance(payload, (str, list)):
        try:
            payload = json.loads(_text(payload))
        except ValueError:
            payload = None
    if not isinstance(payload, dict):
        checker.problem("the payload is not a JSON object")
        return
    if payload.get("mime") != mime:
        checker.problem(f"the payload's mime field says {payload.get('mime')!r}")
    if payload.get("qrp_mime_version") != MIME_VERSION:
        checker.problem(f"qrp_mime_version {payload.get('qrp_mime_version')!r} is not "
                        f"{MIME_VERSION}: verify with the QRP version that wrote it")
        return
    try:
        _CHECKS[mime](checker, payload)
    except (KeyError, TypeError, AttributeError) as exc:
        checker.problem(f"malformed payload: missing or mistyped field {exc}")
        return
    html = _text(data.get("text/html"))
    if not html:
        checker.problem("no text/html beside the payload (the static fallback is missing)")
        return
    for key in ("run_key", "dataset_id_v2"):
        if str(payload.get(key)) not in html:
            checker.problem(f"the text/html does not quote the payload's {key} "
                            f"{payload.get(key)} (one of them was edited)")


def verify_notebook(store: Store, path: str | Path) -> NotebookReport:
    """Check every QRP output saved in the notebook at ``path`` against ``store``.

    Parameters
    ----------
    store
        The QRP store the notebook's outputs came from; nothing is written.
    path
        A saved ``.ipynb`` (nbformat 4 JSON).

    Returns
    -------
    NotebookReport
        ``ok`` is true only when at least one QRP output was found and every check passed;
        each problem names the cell index, the output index (both 0-based), the media type and
        what differs. ``text()`` and ``to_dict()`` render it.

    Raises
    ------
    NotFoundError
        When the file does not exist.
    QrpError
        When the file is not a JSON notebook.
    """
    path = Path(path)
    nb = _read(path)
    report = NotebookReport(path=str(path))
    checker = _Checker(store, report)
    for ci, cell in enumerate(nb["cells"]):
        report.checked["cells"] += 1
        outputs = cell.get("outputs") if isinstance(cell, dict) else None
        for oi, out in enumerate(outputs if isinstance(outputs, list) else []):
            data = out.get("data") if isinstance(out, dict) else None
            if not isinstance(data, dict):
                continue
            found = [m for m in MIME_TYPES if m in data]
            report.checked["qrp_outputs"] += bool(found)
            for mime in found:
                report.checked["payloads"] += 1
                checker.at = (ci, oi, mime)
                _check_output(checker, mime, data)
    if not report.checked["payloads"]:
        checker.at = (None, None, None)
        checker.problem("nothing to verify: no output holds a QRP payload ("
                        + ", ".join(MIME_TYPES) + "); re-run the notebook and save it with "
                        "its outputs")
    return report
