"""``verify`` results for the review panel, remembered per state of the file.

A full ``verify`` recomputes every hash in the store, so on a large store it takes seconds;
the panel shows its outcome beside the governance log and the summary. A result is kept for
as long as the file (and its write-ahead log) is where it was: the key is the real path, the
recorded digests checked, and the inode, size and modification time of the store file and of
its ``-wal``. Every commit changes the ``-wal`` (or, after a checkpoint, the file), so a result
is never shown for a later state. Someone editing the file by hand could restore its size and
mtime; so the verify endpoint recomputes when asked (``fresh=1``), and what it shows always
says it is a remembered result (``cached``).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Sequence

from ..audit import verify
from ..store import Store

__all__ = ["VerifyCache", "file_signature", "statuses"]

_KEPT = 32


def file_signature(path: Path) -> tuple:
    """What changes whenever the store's committed content changes: inode, size and mtime of
    the file and of its write-ahead log (absent: ``None``)."""
    out: list[Any] = []
    for p in (path, Path(f"{path}-wal")):
        try:
            st = p.stat()
            out.append((st.st_ino, st.st_size, st.st_mtime_ns))
        except FileNotFoundError:
            out.append(None)
    return tuple(out)


def _result(store: Store, digests: Sequence[str], label: str) -> dict[str, Any]:
    rep = verify(store, digests=list(digests))
    rep.path = label
    findings, counts = store.verify_ledger()
    d = rep.to_dict()
    chain = [p for p in d["problems"] if p["table"] == "governance_events"]
    return {
        "verify": {**d, "text": rep.text()},
        "chain": {"state": "ok" if not chain else "problems", "problems": chain,
                  "checked": d["checked"].get("governance_events", 0)},
        "ledger": {"state": "ok" if not findings else "problems",
                   "problems": [{"table": f.table, "row": f.row, "problem": f.problem}
                                for f in findings], "checked": counts},
    }


def statuses(entry: dict[str, Any] | None) -> dict[str, Any]:
    """The short form the summary and the log show: ``ok`` / ``problems`` / ``unchecked`` for
    verify, the event chain and the ledger, with counts."""
    if entry is None:
        unchecked = {"state": "unchecked",
                     "fix": "GET /qrp/review/api/verify (or add verify=1) to check the store"}
        return {"verify": unchecked, "chain": unchecked, "ledger": unchecked}
    v = entry["verify"]
    return {"verify": {"state": "ok" if v["ok"] else "problems",
                       "problems": len(v["problems"]), "checked": v["checked"]},
            "chain": {k: entry["chain"][k] for k in ("state", "checked")}
            | {"problems": len(entry["chain"]["problems"])},
            "ledger": {k: entry["ledger"][k] for k in ("state", "checked")}
            | {"problems": len(entry["ledger"]["problems"])}}


class VerifyCache:
    """The last few verify results, keyed by file state (see the module docstring).

    Safe to share between threads. A verify of a large store takes seconds, and while it runs
    the panel may ask again (another reviewer, a reload): a request for a file state that is
    being verified waits for that run instead of starting its own, so one state of the file
    is verified once at a time.
    """

    def __init__(self, kept: int = _KEPT):
        self._kept = kept
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
        self._running: dict[tuple, threading.Event] = {}

    @staticmethod
    def _key(path: Path, digests: Sequence[str]) -> tuple:
        return (str(path), tuple(digests), file_signature(path))

    def get(self, path: Path, digests: Sequence[str] = ()) -> dict[str, Any] | None:
        """The result for the file as it is now, if one was computed."""
        key = self._key(path, digests)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def compute(self, store: Store, path: Path, label: str,
                digests: Sequence[str] = ()) -> dict[str, Any]:
        """Verify ``store`` (open on ``path``) now and remember the result."""
        key = self._key(path, digests)
        with self._lock:
            running = self._running.get(key)
            if running is None:
                self._running[key] = threading.Event()
        if running is not None:
            running.wait()
            with self._lock:
                entry = self._entries.get(key)
            if entry is not None:
                return entry
            return _result(store, digests, label)  # that run's file state moved on
        try:
            entry = _result(store, digests, label)
            if self._key(path, digests) == key:  # the file did not move while it was checked
                with self._lock:
                    self._entries[key] = entry
                    while len(self._entries) > self._kept:
                        self._entries.popitem(last=False)
        finally:
            with self._lock:
                self._running.pop(key).set()
        return entry
