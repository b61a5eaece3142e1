"""SQLite's refusals as :class:`~qrp_jupyter.errors.StoreError`, each naming the rule that refused.

Triggers raise ``qrp[<trigger name>]: <text>`` (older stores: ``qrp: <text>``); constraint
failures read ``UNIQUE constraint failed: ...`` and the like. Python checks first and explains
(house style), so reaching these means a write bypassed or raced those checks.
"""

from __future__ import annotations

import re
import resource
import shutil
import sqlite3
from pathlib import Path

from ..errors import StoreError

__all__ = ["store_error", "environment_fault", "StoreDamaged", "CONSTRAINT_RULES", "DriverError"]

#: The driver's base error: the CLI's last net recognises a fault of the machine met outside the
#: store's chokepoint by it, without importing the driver (only the store layer does).
DriverError = sqlite3.Error

_TRIGGER = re.compile(r"^qrp(?:\[(?P<rule>[A-Za-z0-9_:.-]+)\])?:\s*(?P<text>.*)$", re.S)
_CONSTRAINT = re.compile(r"^(?P<kind>UNIQUE|FOREIGN KEY|CHECK|NOT NULL) constraint failed"
                         r"(?::\s*(?P<detail>.*))?$", re.S)

#: rule -> what to do about a plain constraint failure.
CONSTRAINT_RULES = {
    "sqlite:UNIQUE": "that row already exists; stored rows are never replaced, so write a new "
                     "one or use the existing row",
    "sqlite:FOREIGN KEY": "the row refers to one that is not in the store; write that row first",
    "sqlite:CHECK": "a value is outside what the column allows (see the schema)",
    "sqlite:NOT NULL": "a required column has no value",
}

_TRIGGER_FIX = ("the store enforces this rule itself; change governed rows only through QRP "
                "(qrp promote / reject / retire, register a new version), never by hand")
_APPEND_ONLY_FIX = "rows of this table are permanent: record a new row instead of changing one"
_OTHER_FIX = "check the --db path and that no other process holds the store; `qrp verify` " \
             "reports damage"


class StoreDamaged(StoreError):
    """SQLite found the file damaged (a corrupt page, not a database): reported like a
    problem ``verify`` finds, with exit code 4."""

    exit_code = 4


_NOTHING = "nothing was written (the transaction rolled back)"


def _io_cause(path: str | None) -> tuple[str, str]:
    """The likeliest cause of a write's I/O error: the file-size limit or a full disk."""
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft != resource.RLIM_INFINITY:
        return (f"the file-size limit of this process ({soft:,} bytes, `ulimit -f`) was "
                "reached", "raise the limit (`ulimit -f unlimited`) or move the store")
    if path:
        try:
            free = shutil.disk_usage(Path(path).resolve().parent).free
        except OSError:
            free = None
        if free is not None and free < 64 << 20:
            return (f"the disk holding the store is full ({free:,} bytes free)",
                    "free space on that disk or move the store, then run the command again")
    return ("the disk reported an I/O error (full, a file-size limit, or a failing device)",
            "check the disk (`df -h`, `ulimit -f`, the system log) and run the command again")


def environment_fault(exc: sqlite3.Error, statement: str, path: str | None = None
                      ) -> StoreError | None:
    """The error for a fault of the machine rather than of the input: a lock held past the
    busy timeout, a full disk, a file-size limit, an I/O error, a read-only file, a damaged
    file; ``None`` for anything else."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    where = f"{path} ({statement})" if path else statement
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        from .opening import busy_timeout_s
        return StoreError(f"the store is locked: another process held its write lock longer "
                          f"than the busy timeout of {busy_timeout_s():g} s; {_NOTHING}",
                          where=where, rule="store:locked",
                          fix="let the other qrp command or notebook kernel finish (or stop "
                              "it) and run again; QRP_BUSY_TIMEOUT=SECONDS waits longer")
    if name == "SQLITE_FULL":
        return StoreError(f"the disk holding the store is full; {_NOTHING}", where=where,
                          rule="store:disk-full",
                          fix="free space on that disk or move the store, then run again")
    if name.startswith("SQLITE_IOERR"):
        cause, fix = _io_cause(path)
        return StoreError(f"writing the store failed: {cause}; {_NOTHING}", where=where,
                          rule="store:io-error", fix=fix)
    if name.startswith("SQLITE_READONLY"):
        return StoreError(f"the store cannot be written (read-only file, folder or mount); "
                          f"{_NOTHING}", where=where, rule="store:read-only",
                          fix="copy the store somewhere writable for commands that record; "
                              "the read-only commands work on it as it is")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return StoreDamaged(f"the store file is damaged: SQLite reports "
                            f"{' '.join(str(exc).split())!r}", where=where,
                            rule="store:damaged",
                            fix="run `qrp verify` for where the damage is, and restore the "
                                "file from a backup")
    if name == "SQLITE_CANTOPEN":
        return StoreError("SQLite cannot open the store file or its -wal/-shm files",
                          where=where, rule="store:cannot-open",
                          fix="check that the path exists and that its folder is readable "
                              "(and writable for commands that record)")
    return None


def _trigger_fix(rule: str | None) -> str:
    if rule and (rule.endswith("_no_update") or rule.endswith("_no_delete")):
        return _APPEND_ONLY_FIX
    return _TRIGGER_FIX


def store_error(exc: sqlite3.Error, statement: str, path: str | None = None) -> StoreError:
    """The :class:`StoreError` for ``exc`` raised while running the named ``statement``."""
    fault = environment_fault(exc, statement, path)
    if fault is not None:
        return fault
    message = " ".join(str(exc).split())  # one line, whatever SQLite put in it
    m = _TRIGGER.match(message)
    if m:
        rule = m["rule"]
        return StoreError(m["text"], where=statement, fix=_trigger_fix(rule), rule=rule)
    m = _CONSTRAINT.match(message)
    if m:
        rule = f"sqlite:{m['kind']}"
        what = f"{m['kind']} constraint failed" + (f" on {m['detail']}" if m["detail"] else "")
        return StoreError(what, where=statement, fix=CONSTRAINT_RULES[rule], rule=rule)
    return StoreError(f"SQLite refused {statement}: {message}", where=statement, fix=_OTHER_FIX)
