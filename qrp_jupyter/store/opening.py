"""Opening a store file: for writing, for reading only, or just to look at what a file is.

Three ways in, each with one promise:

* :func:`connect_read` never writes, never locks out a writer and never migrates. It opens the
  file ``mode=ro``, so a writer in another process goes on while a reader reads a consistent
  snapshot through the write-ahead log. Where SQLite cannot coordinate through the ``-shm``
  file (a read-only mount, a folder the reader may not write), the file cannot change under
  the reader, so it is opened ``immutable``; if that folder holds a write-ahead log with
  commits not yet folded into the file, reading without it would show an older store, so that
  case is refused with what to do.
* :func:`connect_write` opens for writing only a file this process can write (and whose folder
  it can write: WAL needs its ``-wal`` and ``-shm`` files), so a read-only mount, an immutable
  file or a missing permission is named before SQLite says "attempt to write a readonly
  database" half-way.
* :func:`refuse_foreign` looks at an existing file through :func:`_peek_rows` (read-only)
  and refuses one that is not a QRP store before anything could add QRP's schema to it.

``QRP_BUSY_TIMEOUT`` (seconds, default 60) is how long a writer waits for another's lock.
"""

from __future__ import annotations

import errno
import os
import shlex
import sqlite3
from pathlib import Path

from ..errors import NotFoundError, StoreError
from .statements import BUSY_TIMEOUT_MS, STATEMENTS

__all__ = ["ENV_BUSY_TIMEOUT", "busy_timeout_s", "connect_read", "connect_write",
           "table_names", "refuse_foreign", "first_event_kind", "write_refusal",
           "sidecar_paths"]

ENV_BUSY_TIMEOUT = "QRP_BUSY_TIMEOUT"
_READ_FIX = "pass the path of a QRP store (`qrp init` makes one)"


def busy_timeout_s() -> float:
    """``$QRP_BUSY_TIMEOUT`` in seconds, or the default of 60 s."""
    raw = os.environ.get(ENV_BUSY_TIMEOUT, "").strip()
    if not raw:
        return BUSY_TIMEOUT_MS / 1000
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86_400:
        raise StoreError(f"{ENV_BUSY_TIMEOUT}={raw!r} is not a number of seconds",
                         where=ENV_BUSY_TIMEOUT, fix="set it to seconds between 0 and 86400, "
                                                     "or unset it for the default of 60")
    return value


def sidecar_paths(path: Path) -> tuple[Path, Path]:
    """The write-ahead log and shared-memory files SQLite keeps beside a WAL store."""
    return Path(f"{path}-wal"), Path(f"{path}-shm")


def _uri(path: Path, *flags: str) -> str:
    return path.resolve().as_uri() + "?" + "&".join(("mode=ro",) + flags)


def _peek_rows(path: Path, statement: str) -> list[tuple] | None:
    """The rows of one small query over a read-only connection that creates nothing beside
    the file and takes no lock; ``None`` when the file cannot be read as SQLite.

    With no ``-wal`` beside the file nobody has it open for writing, and it is opened
    ``immutable``; while a writer has it open, a plain read-only connection reads a consistent
    snapshot through its ``-wal`` and ``-shm``. Where that is impossible (a ``-wal`` with no
    ``-shm`` in a folder the reader cannot write), the file alone is read: enough to tell what
    it is (:func:`connect_read` then refuses to read the store without its log).
    """
    wal, _ = sidecar_paths(path)
    for flags in ((), ("immutable=1",)) if wal.exists() else (("immutable=1",),):
        try:
            conn = sqlite3.connect(_uri(path, *flags), uri=True, isolation_level=None)
        except sqlite3.Error:
            continue
        try:
            return conn.execute(STATEMENTS[statement]).fetchall()
        except sqlite3.Error:
            continue
        finally:
            conn.close()
    return None


def table_names(path: Path) -> list[str] | None:
    """The table names of the SQLite file at ``path``, or ``None`` when it is not SQLite."""
    rows = _peek_rows(path, "sqlite.table_names")
    return None if rows is None else [r[0] for r in rows]


def refuse_foreign(path: Path, *, create: bool) -> None:
    """Refuse, before any connection that could write, a file that is not a QRP store: QRP
    never adds its schema to another application's database or to a file that is not SQLite.
    An empty file becomes a store only on a path that creates one (``qrp init``, a write)."""
    if path.stat().st_size == 0:
        if create:
            return
        raise NotFoundError(f"{str(path)!r} is an empty file, not a QRP store", where="--db",
                            fix="run `qrp init` on it first, or pass the path of a QRP store")
    tables = table_names(path)
    if tables is None and _sqlite_header(path):
        from .failures import StoreDamaged
        raise StoreDamaged(f"{str(path)!r} is a SQLite file whose schema cannot be read: the "
                           "file is damaged (its first page or the schema's pages)",
                           where="--db", rule="store:damaged",
                           fix="restore the file from a backup; nothing in it can be checked "
                               "while its schema is unreadable")
    if tables is None:
        raise StoreError(f"{str(path)!r} is not a SQLite database (left as it is)",
                         where="--db", fix="pass the path of a QRP store or of a new file")
    if not tables:
        if create:
            return
        raise NotFoundError(f"{str(path)!r} is a SQLite database with no tables, not a QRP "
                            "store", where="--db", fix="run `qrp init` on it first")
    if "schema_migrations" not in tables:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise StoreError(f"{str(path)!r} is another application's SQLite database (tables: "
                         f"{shown}); QRP leaves it as it is", where="--db",
                         fix="pass the path of a QRP store or of a new file")


def _sqlite_header(path: Path) -> bool:
    """Whether the file starts with SQLite's magic string."""
    try:
        with open(path, "rb") as f:
            return f.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def first_event_kind(path: str | os.PathLike[str]) -> str | None:
    """The kind of the first governance event of the SQLite file at ``path`` (read as
    :func:`_peek_rows` reads); ``None`` when the file is not a QRP store or has no event."""
    rows = _peek_rows(Path(path), "governance_events.first_kind")
    return rows[0][0] if rows else None


def _why_unwritable(target: Path) -> str | None:
    """Why this process cannot write ``target`` (a file or a folder), or ``None``.

    A file is probed by opening it for writing (which changes neither its bytes nor its
    times); a folder by ``access``, which sees read-only mounts and permissions.
    """
    try:
        if target.is_dir():
            if os.access(target, os.W_OK | os.X_OK):
                return None
            code = errno.EROFS if os.statvfs(target).f_flag & os.ST_RDONLY else errno.EACCES
        else:
            os.close(os.open(target, os.O_WRONLY))
            return None
    except OSError as exc:
        code = exc.errno
    if code == errno.EROFS:
        return "is on a read-only file system"
    if code == errno.EPERM:
        return "is marked immutable (chattr +i) or otherwise protected"
    return "is not writable by this user"


def write_refusal(path: Path) -> StoreError | None:
    """The error for a write to the store at ``path`` that cannot succeed, or ``None``."""
    if not path.parent.is_dir():
        missing = next((p for p in reversed(path.parents) if not p.is_dir()), path.parent)
        return StoreError(f"{str(path)!r} cannot be created: the folder {str(missing)!r} does "
                          "not exist", where="--db", rule="store:no-folder",
                          fix=f"create it first (mkdir -p {shlex.quote(str(path.parent))}), or "
                              "pass a path in an existing folder with --db")
    for target, what in ((path, "the store file"), (path.parent, "the folder holding it")):
        if what == "the store file" and not target.exists():
            continue
        why = _why_unwritable(target)
        if why:
            return StoreError(f"{str(path)!r} cannot be written: {what} {why}",
                              where="--db", rule="store:read-only",
                              fix="this command records something, so it needs a writable "
                                  "store: copy the file somewhere writable and pass that copy "
                                  "with --db; the read-only commands (verify, audit, runs, "
                                  "candidates, lineage, digest, data list) work on it as it is")
    return None


def connect_write(path: Path) -> sqlite3.Connection:
    """A connection for writing (the file is created if absent), after checking that a write
    can succeed at all."""
    refusal = write_refusal(path)
    if refusal:
        raise refusal
    return sqlite3.connect(str(path), isolation_level=None, timeout=busy_timeout_s(),
                           check_same_thread=False)


def connect_read(path: Path) -> sqlite3.Connection:
    """A connection that can only read: no lock against writers, nothing migrated.

    Raises
    ------
    StoreError
        When the folder holds commits in a write-ahead log that this location does not let
        a reader use.
    """
    def attempt(*flags: str) -> sqlite3.Connection:
        conn = sqlite3.connect(_uri(path, *flags), uri=True, isolation_level=None,
                               timeout=busy_timeout_s(), check_same_thread=False)
        try:
            conn.execute(STATEMENTS["sqlite.table_names"]).fetchall()
        except BaseException:
            conn.close()
            raise
        return conn

    try:
        conn = attempt()
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorname != "SQLITE_CANTOPEN" or _why_unwritable(path.parent) is None:
            raise
        wal, _ = sidecar_paths(path)
        if wal.exists() and wal.stat().st_size > 0:
            raise StoreError(
                f"{str(path)!r} has commits in its write-ahead log {wal.name!r} that a reader "
                "cannot use here (the folder is read-only and the -shm file is missing)",
                where="--db", fix="copy the store together with its -wal file to a writable "
                                  "folder, or run `qrp init --db` on it once where it is "
                                  "writable (closing folds the log into the file)") from None
        conn = attempt("immutable=1")
    conn.execute(STATEMENTS["connection.query_only"])
    return conn
