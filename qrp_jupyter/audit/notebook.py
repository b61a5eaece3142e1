"""``verify_notebook``: check the QRP outputs saved in a notebook against the database.

A saved notebook is evidence only if what it shows is what the store holds. Every output whose
data carries a QRP media type is checked:

* its ids: the ``run_key`` exists and consumed the quoted ``dataset_id_v2``; the
  ``run_instance_id`` belongs to that run; every artifact hash exists, belongs to the instance's
  lineage under its kind, and its bytes hash to it; lineage node hashes exist; report ids hash
  to their reports; the static ``text/html`` quotes the payload's ``run_key`` and
  ``dataset_id_v2``;
* its provenance: ``source_sha256`` is the SHA-256 of the source of the cell it sits in (an
  output pasted under another cell, or a cell edited after it ran, is caught), and the store
  still extends the ledger head it recorded (``ledger``);
* with ``rerender`` (what :func:`qrp_jupyter.views.verify_notebook`, the CLI and
  ``%qrp_verify --notebook`` pass): the output rendered again from the store as of that head
  (:meth:`Store.as_of`) with its recorded ``render`` inputs equals what is saved, ``text/plain``
  and ``text/html`` byte for byte and the payload as parsed JSON (numbers by value, because
  JupyterLab rewrites ``1.0`` as ``1`` when it saves), so a forged number or verdict is caught
  even when every id in it is real.

A QRP payload kept in the notebook's saved widget state (``metadata.widgets``: the lineage
widget syncs its payload to the front end, and nbclient or JupyterLab may save the state) is
evidence too, shown again whenever the notebook reopens with that state: it must equal the
payload of the output that displays the widget (checked above), and a payload no output shows
(the state of a widget whose cell was re-run) is checked on its own: its ids, its recorded head
and, with ``rerender``, its content against the store. Problems name the widget model.

A cell whose last line runs a QRP magic that always answers with a payload (``%%qrp_run``,
``%qrp_promote``, ``%qrp_audit``, ``%qrp_lineage``, ``%qrp_candidates``, ``%qrp_verify``) and
shows a result without one holds a forged or stripped output: that is a problem too, except
the one line a finished ``%%qrp_run`` progress bar leaves (:func:`progress_line_bundle`),
recognised by being exactly that bundle re-made from its own text, so it can claim nothing
else. The notebook is read with :mod:`json` (nbformat 4 structure); no Jupyter package is
imported.
"""

from __future__ import annotations

import html as _html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import NotFoundError, QrpError
from ..identity import hash_payload, sha256_hex
from ..lineage.mime import (MIME_AUDIT, MIME_CANDIDATES, MIME_EVENT, MIME_LINEAGE, MIME_REPORT,
                            MIME_RUN, MIME_TYPES, MIME_VERIFY, MIME_VERSION)
from ..store import GENESIS_HASH, Store
from ..textfile import MAX_NOTEBOOK_BYTES, read_text_file

__all__ = ["verify_notebook", "NotebookReport", "NotebookProblem", "Rerender", "json_difference",
           "cell_source", "progress_line_bundle", "is_progress_line"]

#: ``rerender(store_as_of_head, saved_payload, source_hash=..., base=...) -> bundle``.
Rerender = Callable[..., dict[str, Any]]
#: The media types of a widget view and of the saved widget state (nbformat).
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
#: Magics whose output always carries a QRP payload, found on a cell's last code line.
_PAYLOAD_MAGICS = re.compile(r"^%(qrp_(?:promote|audit|lineage|candidates|verify))\b")


#: The text of a finished progress line: ``<label>: all N stages done`` or ``<label>: stopped
#: after <stage> (k/N stages done)`` (``stopped before any stage finished`` when none did);
#: the label is ``qrp_run`` and the run's name.
_PROGRESS_LINE = re.compile(r"qrp_run[^\n]*: (?:all \d+ stages done|stopped (?:after [a-z_]+|"
                            r"before any stage finished) \(\d+/\d+ stages done\))")


def progress_line_bundle(text: str) -> dict[str, str]:
    """The bundle a finished ``%%qrp_run`` progress bar is replaced by: its final line as
    ``text/plain`` and as a ``text/html`` ``<div>`` (no ``<progress>`` element)."""
    return {"text/plain": text, "text/html": f"<div>{_html.escape(text)}</div>"}


def is_progress_line(data: Any) -> bool:
    """True when a saved output's ``data`` is exactly a finished progress line: the bundle
    :func:`progress_line_bundle` makes of its own ``text/plain``, whose text has that form."""
    if not isinstance(data, dict) or not isinstance(data.get("text/plain"), (str, list)):
        return False
    text = _text(data["text/plain"])
    return bool(_PROGRESS_LINE.fullmatch(text)) and \
        {k: _text(v) for k, v in data.items()} == progress_line_bundle(text)


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
        "cells": 0, "qrp_outputs": 0, "payloads": 0, "hashes": 0, "rerendered": 0})

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
    """The notebook's JSON: a regular file of at most MAX_NOTEBOOK_BYTES, UTF-8 (a BOM is
    accepted), JSON nested no deeper than the parser can take, with a list of cells."""
    if not path.exists() and not path.is_symlink():
        raise NotFoundError(f"notebook {str(path)!r} does not exist", where="--notebook",
                            fix="pass the path of a saved .ipynb file")
    text = read_text_file(path, what="notebook", where="--notebook",
                          max_bytes=MAX_NOTEBOOK_BYTES, error=QrpError)
    try:
        nb = json.loads(text)
    except ValueError as exc:
        raise QrpError(f"{str(path)!r} is not a JSON notebook: {exc}", where=str(path),
                       fix="pass a .ipynb file saved by Jupyter (nbformat 4)") from None
    except RecursionError:
        raise QrpError(f"{str(path)!r} nests JSON arrays or objects too deeply to be a "
                       "notebook", where=str(path),
                       fix="pass a .ipynb file saved by Jupyter (nbformat 4)") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise QrpError(f"{str(path)!r} has no list of cells", where=f"{path}: cells",
                       fix="pass a .ipynb file saved by Jupyter (nbformat 4)")
    return nb


class _Mistyped(TypeError):
    """A value from a saved payload that cannot be an id (a list, a dict, a float, an integer
    beyond 64 bits) where the store is asked about one."""


_INT64 = 2**63


def _bindable(params: Any) -> Any:
    for value in params:
        if value is None or isinstance(value, str):
            continue
        if isinstance(value, int) and not isinstance(value, bool) and -_INT64 <= value < _INT64:
            continue
        shown = repr(value)
        raise _Mistyped(f"{shown if len(shown) <= 60 else shown[:59] + '~'} is not an id")
    return params


class _Guarded:
    """The store as the checks (and the re-rendering) see it: every value a payload supplies
    is checked to be bindable (a string or a 64-bit integer) before it reaches a query, so a
    forged payload is a problem in the report, never a database error."""

    def __init__(self, store: Store):
        self._store = store

    def one(self, name: str, params: Any = ()) -> Any:
        return self._store.one(name, _bindable(params))

    def all(self, name: str, params: Any = ()) -> Any:
        return self._store.all(name, _bindable(params))

    def exists(self, table: str, column: str, value: Any) -> bool:
        _bindable((value,))
        return self._store.exists(table, column, value)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


class _Checker:
    """Checks of one notebook against one store; memoises blob hashing."""

    def __init__(self, store: Store, report: NotebookReport):
        self.store, self.report = _Guarded(store), report
        self._blobs: dict[str, str | None] = {}
        self._heads: dict[int, Store] = {}
        self.at: tuple[int | None, int | None, str | None] = (None, None, None)

    def as_of(self, block_seq: int) -> Store:
        """The store as ledger block ``block_seq`` left it. Outputs come roughly in the order
        of their heads, so only the latest copy is kept (each is the whole store in memory)."""
        if block_seq not in self._heads:
            self.close()
            self._heads = {block_seq: _Guarded(self.store.as_of(block_seq))}
        return self._heads[block_seq]

    def close(self) -> None:
        for snap in self._heads.values():
            snap.close()

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
            got = None if row is None else self.store.artifact_digest(aid, row["codec"],
                                                                        row["data"])
            self._blobs[aid] = None if row is None else (
                "ok" if got is not None and got[0] == aid else "bad")
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
                          json.loads(self.store.read_artifact(r["artifact_id"])[1])["records"]}
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


    def check_report(self, p: dict[str, Any]) -> None:
        self.report_id(p["eligibility_report_id"])
        self.exists("promotion_candidates", "candidate_id", p["candidate_id"], "candidate_id")
        if self.run(p["run_key"], p["dataset_id_v2"]):
            self.instance(p["run_instance_id"], p["run_key"])

    def check_candidates(self, p: dict[str, Any]) -> None:
        for c in p["candidates"]:
            self.exists("promotion_candidates", "candidate_id", c["candidate_id"],
                        "candidate_id")

    def check_event(self, p: dict[str, Any]) -> None:
        if self.exists("governance_events", "event_hash", p["event_hash"], "event_hash"):
            row = self.store.one("governance_events.by_hash", (p["event_hash"],))
            if row["candidate_id"] != p["candidate_id"]:
                self.problem(f"event {p['event_hash']} is of candidate {row['candidate_id']}, "
                             f"not of candidate_id {p['candidate_id']}")

    def check_verify(self, p: dict[str, Any]) -> None:
        """A verify result quotes no id of its own: re-rendering is its whole check."""

    # -- provenance ----------------------------------------------------------------------------
    def provenance(self, p: dict[str, Any], cell_hash: str) -> bool:
        """The output names its cell and a head this store extends; whether to re-render."""
        render, led = p.get("render"), p.get("ledger")
        if not isinstance(render, dict) or not isinstance(led, dict) \
                or "source_sha256" not in p:
            self.problem("the output records no provenance (render, ledger, source_sha256), "
                         "so it cannot be re-rendered from the store: re-run the cell with "
                         "this QRP version and save the notebook")
            return False
        if p["source_sha256"] != cell_hash:
            self.problem(f"source_sha256 {p['source_sha256']} is not the SHA-256 of this "
                         f"cell's source ({cell_hash}): the output was pasted under another "
                         "cell, or the cell was edited after it ran")
        seq, digest = led.get("block_seq"), led.get("digest")
        self.report.checked["hashes"] += 1
        row = self.store.one("ledger_blocks.get", (seq,)) \
            if isinstance(seq, int) and not isinstance(seq, bool) else None
        if row is not None and row["block_hash"] == digest:
            return True
        found, why = self.store.ledger_extends(str(digest))
        self.problem(f"the store does not extend the ledger head the output recorded (block "
                     f"{seq}, digest {digest}): "
                     + (f"{why}, not block {seq}" if found else why))
        return False

    def compare(self, data: dict[str, Any], mime: str, fresh: dict[str, Any]) -> None:
        """What is saved equals the store's rendering: text byte for byte, payload as JSON."""
        self.report.checked["rerendered"] += 1
        for key in ("text/plain", "text/html"):
            saved = _text(data.get(key))
            if saved != fresh[key]:
                i = next((k for k, (a, b) in enumerate(zip(saved, fresh[key])) if a != b),
                         min(len(saved), len(fresh[key])))
                self.problem(f"the {key} differs from the store's rendering at character {i}: "
                             f"saved {_clip(saved[i:i + 40])!r}, store "
                             f"{_clip(fresh[key][i:i + 40])!r}")
        where = json_difference(_payload(data[mime]), fresh[mime])
        if where is not None:
            path, saved, store = where
            self.problem(f"the payload differs from the store's rendering at {path}: saved "
                         f"{_clip(json.dumps(saved))}, store {_clip(json.dumps(store))}")


_CHECKS = {MIME_RUN: _Checker.check_run, MIME_LINEAGE: _Checker.check_lineage,
           MIME_AUDIT: _Checker.check_audit, MIME_REPORT: _Checker.check_report,
           MIME_CANDIDATES: _Checker.check_candidates, MIME_VERIFY: _Checker.check_verify,
           MIME_EVENT: _Checker.check_event}
#: Media types whose payload and text/html quote a run_key and a dataset_id_v2.
_QUOTES_IDS = (MIME_RUN, MIME_LINEAGE, MIME_AUDIT, MIME_REPORT)


def _clip(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "~"


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def json_difference(saved: Any, fresh: Any, path: str = "$") -> tuple[str, Any, Any] | None:
    """The first place two parsed JSON values differ, as ``(path, saved, fresh)``, or None.

    Numbers compare by value (``1 == 1.0``: JupyterLab writes ``1.0`` back as ``1``); a
    boolean equals only a boolean; keys and lengths must match exactly.
    """
    if _number(saved) and _number(fresh):
        return None if saved == fresh else (path, saved, fresh)
    if type(saved) is not type(fresh):
        return path, saved, fresh
    if isinstance(saved, dict):
        for k in sorted(set(saved) | set(fresh)):
            if k not in saved or k not in fresh:
                return f"{path}.{k}", saved.get(k), fresh.get(k)
            found = json_difference(saved[k], fresh[k], f"{path}.{k}")
            if found:
                return found
        return None
    if isinstance(saved, list):
        for i, (a, b) in enumerate(zip(saved, fresh)):
            found = json_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None if len(saved) == len(fresh) else (f"{path} (length)", len(saved),
                                                      len(fresh))
    return None if saved == fresh else (path, saved, fresh)


def _text(value: Any) -> str:
    """A saved text field: a string, or a list of strings (Jupyter's line list); anything
    else (a number, a list with numbers in it) is no text."""
    if isinstance(value, list):
        return "".join(value) if all(isinstance(v, str) for v in value) else ""
    return value if isinstance(value, str) else ""


def _payload(value: Any) -> Any:
    """A saved payload: JSON itself, or (older front ends) its text."""
    if isinstance(value, (str, list)):
        try:
            return json.loads(_text(value))
        except (ValueError, RecursionError):
            return None
    return value


def cell_source(cell: dict[str, Any]) -> str:
    """A saved cell's source as one string (Jupyter saves it as a list of lines)."""
    return _text(cell.get("source"))


#: What a forged or damaged payload can raise while it is checked: reported, never raised.
_MALFORMED = (KeyError, TypeError, AttributeError, ValueError, OverflowError, RecursionError,
              IndexError)


def _malformed(exc: BaseException) -> str:
    if isinstance(exc, _Mistyped):
        return f"malformed payload: a field holds {exc} (ids are hex strings)"
    if isinstance(exc, RecursionError):
        return "malformed payload: it is nested too deeply"
    return f"malformed payload: missing or mistyped field {exc}"


def _check_output(checker: _Checker, mime: str, data: dict[str, Any], cell_hash: str,
                  rerender: Rerender | None, base: Path) -> None:
    try:
        _check_one_output(checker, mime, data, cell_hash, rerender, base)
    except _MALFORMED as exc:
        checker.problem(_malformed(exc))


def _check_one_output(checker: _Checker, mime: str, data: dict[str, Any], cell_hash: str,
                      rerender: Rerender | None, base: Path) -> None:
    payload = _payload(data[mime])
    if not isinstance(payload, dict):
        checker.problem("the payload is not a JSON object")
        return
    if payload.get("mime") != mime:
        checker.problem(f"the payload's mime field says {payload.get('mime')!r}")
    if not _payload_checks(checker, payload, mime):
        return
    html = _text(data.get("text/html"))
    if not html:
        checker.problem("no text/html beside the payload (the static fallback is missing)")
        return
    for key in ("run_key", "dataset_id_v2") if mime in _QUOTES_IDS else ():
        if str(payload.get(key)) not in html:
            checker.problem(f"the text/html does not quote the payload's {key} "
                            f"{payload.get(key)} (one of them was edited)")
    if not checker.provenance(payload, cell_hash) or rerender is None:
        return
    fresh = _rerendered(checker, payload, rerender, base)
    if fresh is not None:
        checker.compare(data, mime, fresh)


def _rerendered(checker: _Checker, payload: dict[str, Any], rerender: Rerender,
                base: Any) -> dict[str, Any] | None:
    """The bundle ``rerender`` makes of ``payload`` from the store as of its recorded ledger
    block, or None after naming why it could not be made."""
    block = payload["ledger"]["block_seq"]
    try:
        return rerender(checker.as_of(block), payload, source_hash=payload["source_sha256"],
                        base=base)
    except QrpError as exc:
        checker.problem(f"cannot be re-rendered from the store as of ledger block {block}: "
                        f"{exc.what}")
    except _MALFORMED as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else repr(exc)
        checker.problem(f"cannot be re-rendered from the store as of ledger block {block}: "
                        f"malformed render inputs ({why[:200]})")
    return None


def _shows_payload_magic(cell: dict[str, Any]) -> str | None:
    """The QRP magic whose result the cell shows (its last code line), if it always has a
    payload: ``%%qrp_run`` or one of :data:`_PAYLOAD_MAGICS`."""
    lines = [ln.strip() for ln in cell_source(cell).splitlines()]
    if lines and lines[0].startswith("%%qrp_run"):
        return "%%qrp_run"
    code = [ln for ln in lines if ln and not ln.startswith("#")]
    m = _PAYLOAD_MAGICS.match(code[-1]) if code else None
    return f"%{m.group(1)}" if m else None


def _check_results_have_payloads(checker: _Checker, ci: int, cell: dict[str, Any],
                                 outputs: list[Any]) -> None:
    magic = _shows_payload_magic(cell)
    kinds = [o.get("output_type") for o in outputs if isinstance(o, dict)]
    if magic is None or "error" in kinds:
        return
    for oi, out in enumerate(outputs):
        if not isinstance(out, dict):
            continue
        data = out.get("data") if isinstance(out.get("data"), dict) else {}
        # An emptied display shows, and so claims, nothing; a finished progress line claims
        # only that the run's stages ran (older notebooks hold the former, newer the latter).
        if out.get("output_type") in ("display_data", "execute_result") and data \
                and not any(m in data for m in MIME_TYPES) and not is_progress_line(data):
            checker.at = (ci, oi, None)
            checker.problem(f"the cell runs {magic}, whose result always carries a QRP "
                            "payload, but this output has none (forged or stripped)")
    if not any(isinstance(o, dict) and isinstance(o.get("data"), dict) and m in o["data"]
               for o in outputs for m in MIME_TYPES):
        checker.at = (ci, None, None)
        checker.problem(f"the cell runs {magic} but shows no output with a QRP payload "
                        "(forged or stripped)")


def _note_widget_view(shown: dict[str, Any], data: dict[str, Any], mime: str,
                      at: tuple[int, int]) -> None:
    """Remember which output shows which widget model, with the payload beside the view."""
    view = _payload(data.get(_WIDGET_VIEW))
    if isinstance(view, dict) and isinstance(view.get("model_id"), str):
        shown[view["model_id"]] = (at, mime, _payload(data[mime]))


def _widget_payloads(nb: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """``(model_id, trait, payload)`` of every QRP payload in the saved widget state."""
    meta = nb.get("metadata")
    widgets = meta.get("widgets") if isinstance(meta, dict) else None
    saved = widgets.get(_WIDGET_STATE) if isinstance(widgets, dict) else None
    models = saved.get("state") if isinstance(saved, dict) else None
    out = []
    for model_id, model in sorted(models.items()) if isinstance(models, dict) else ():
        state = model.get("state") if isinstance(model, dict) else None
        for trait, value in sorted(state.items()) if isinstance(state, dict) else ():
            if isinstance(value, dict) and value.get("mime") in MIME_TYPES:
                out.append((str(model_id), str(trait), value))
    return out


def _check_widget_state(checker: _Checker, nb: dict[str, Any], shown: dict[str, Any],
                        rerender: Rerender | None, base: Path) -> None:
    for model_id, trait, payload in _widget_payloads(nb):
        mime = payload["mime"]
        checker.report.checked["payloads"] += 1
        label = f"the saved state of widget model {model_id[:12]} ({trait})"
        if model_id in shown and shown[model_id][1] == mime:
            (ci, oi), _, beside = shown[model_id]
            checker.at = (ci, oi, mime)
            where = json_difference(payload, beside)
            if where is not None:
                spot, a, b = where
                checker.problem(f"{label} differs from the payload of the output showing the "
                                f"widget at {spot}: state {_clip(json.dumps(a))}, output "
                                f"{_clip(json.dumps(b))}")
            continue
        # Shown by no output (its cell was re-run, or the output was cleared): still evidence
        # a reopened notebook may display, so check it on its own against the store.
        checker.at = (None, None, mime)
        before = len(checker.report.problems)
        _check_stale_payload(checker, payload, rerender, base)
        for k in range(before, len(checker.report.problems)):
            p = checker.report.problems[k]
            checker.report.problems[k] = NotebookProblem(p.cell, p.output, p.mime,
                                                         f"{label}, shown by no output: "
                                                         f"{p.problem}")


def _payload_checks(checker: _Checker, payload: dict[str, Any], mime: str) -> bool:
    """The version and the type's own field checks; False when nothing more can be checked."""
    if payload.get("qrp_mime_version") != MIME_VERSION:
        checker.problem(f"qrp_mime_version {payload.get('qrp_mime_version')!r} is not "
                        f"{MIME_VERSION}: verify with the QRP version that wrote it")
        return False
    try:
        _CHECKS[mime](checker, payload)
    except _MALFORMED as exc:
        checker.problem(_malformed(exc))
        return False
    return True


def _check_stale_payload(checker: _Checker, payload: dict[str, Any],
                         rerender: Rerender | None, base: Path) -> None:
    mime = payload["mime"]
    if not _payload_checks(checker, payload, mime):
        return
    # No cell to compare with: the payload's own source hash stands for it.
    if not checker.provenance(payload, payload.get("source_sha256")) or rerender is None:
        return
    fresh = _rerendered(checker, payload, rerender, base)
    if fresh is None:
        return
    checker.report.checked["rerendered"] += 1
    where = json_difference(payload, fresh[mime])
    if where is not None:
        spot, a, b = where
        checker.problem(f"the payload differs from the store's rendering at {spot}: saved "
                        f"{_clip(json.dumps(a))}, store {_clip(json.dumps(b))}")


def verify_notebook(store: Store, path: str | Path, *,
                    rerender: Rerender | None = None) -> NotebookReport:
    """Check every QRP output saved in the notebook at ``path`` against ``store``.

    Parameters
    ----------
    store
        The QRP store the notebook's outputs came from; nothing is written.
    path
        A saved ``.ipynb`` (nbformat 4 JSON).
    rerender
        Renders a saved payload again from the store as of its recorded head; without it,
        outputs are checked for their ids and provenance only. The full check is
        :func:`qrp_jupyter.views.verify_notebook`, which passes QRP's renderer (the audit layer
        sits below the views and cannot import them).

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
    shown: dict[str, tuple[tuple[int, int], str, Any]] = {}
    try:
        for ci, cell in enumerate(nb["cells"]):
            report.checked["cells"] += 1
            if not isinstance(cell, dict):
                continue
            outputs = cell.get("outputs")
            outputs = outputs if isinstance(outputs, list) else []
            cell_hash = sha256_hex(cell_source(cell).encode("utf-8"))
            for oi, out in enumerate(outputs):
                data = out.get("data") if isinstance(out, dict) else None
                if not isinstance(data, dict):
                    continue
                found = [m for m in MIME_TYPES if m in data]
                report.checked["qrp_outputs"] += bool(found)
                for mime in found:
                    report.checked["payloads"] += 1
                    checker.at = (ci, oi, mime)
                    _check_output(checker, mime, data, cell_hash, rerender, path.parent)
                    _note_widget_view(shown, data, mime, (ci, oi))
            _check_results_have_payloads(checker, ci, cell, outputs)
        _check_widget_state(checker, nb, shown, rerender, path.parent)
    finally:
        checker.close()
    if not report.checked["payloads"]:
        checker.at = (None, None, None)
        checker.problem("nothing to verify: no output holds a QRP payload ("
                        + ", ".join(MIME_TYPES) + "); re-run the notebook and save it with "
                        "its outputs")
    return report
