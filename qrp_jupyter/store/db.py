"""The SQLite store: one file, WAL, a busy timeout, writes in ``BEGIN IMMEDIATE`` transactions."""

from __future__ import annotations

import os
import sqlite3
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import IntegrityProblem, NotFoundError, StoreError
from ..identity import now_iso, sha256_hex
from .migrations import apply_migrations

__all__ = ["Store", "open_store", "default_db_path", "ENV_DB"]

ENV_DB = "QRP_DB"
_BUSY_TIMEOUT_MS = 60_000
#: Blobs at least this large are zlib-compressed on disk; the id is always over the raw bytes.
_COMPRESS_MIN = 4096


def default_db_path() -> Path:
    """``$QRP_DB`` or ``./qrp.sqlite``."""
    return Path(os.environ.get(ENV_DB) or "qrp.sqlite")


class Store:
    """A QRP store backed by one SQLite file (or ``":memory:"`` for tests).

    The connection is in autocommit mode; every write goes through :meth:`transaction`, which
    takes the write lock up front (``BEGIN IMMEDIATE``) so concurrent writers queue instead of
    failing half-way, and rolls back on any exception so bad input leaves nothing behind.
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True):
        self.path = str(path)
        if self.path != ":memory:":
            p = Path(self.path)
            if not p.exists() and not create:
                raise NotFoundError(f"no QRP store at {self.path!r}", where="--db",
                                    fix="run `qrp init` first or pass the right --db path")
            if p.exists() and p.is_dir():
                raise StoreError(f"{self.path!r} is a directory, not a SQLite file",
                                 where="--db", fix="pass a file path such as ./qrp.sqlite")
            p.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None,
                                        timeout=_BUSY_TIMEOUT_MS / 1000,
                                        check_same_thread=False)
            self.conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            if self.path != ":memory:":
                self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            apply_migrations(self.conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path!r} is not a usable SQLite store: {exc}",
                             where="--db", fix="pass the path of a QRP store or a new file") \
                from None
        self._depth = 0

    # -- transactions -------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write. Nested uses join the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self.conn
        except BaseException:
            self._depth = 0
            self.conn.execute("ROLLBACK")
            raise
        self._depth = 0
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- queries ------------------------------------------------------------------------------
    def one(self, sql: str, params: tuple = ()) -> sqlite3.Row | None:
        cur = self.conn.execute(sql, params)
        cur.row_factory = sqlite3.Row
        return cur.fetchone()

    def all(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        cur = self.conn.execute(sql, params)
        cur.row_factory = sqlite3.Row
        return cur.fetchall()

    def resolve(self, table: str, column: str, ref: str, *, what: str) -> str:
        """Full id from a full id or a unique display prefix (at least 6 hex characters)."""
        ref = (ref or "").strip().lower()
        if len(ref) < 6 or any(c not in "0123456789abcdef" for c in ref):
            raise NotFoundError(f"{what} reference {ref!r} is not a hex id or prefix",
                                where=what, fix=f"pass the {what} id or at least 6 of its "
                                                "leading hex characters")
        rows = self.conn.execute(
            f"SELECT {column} FROM {table} WHERE {column} >= ? AND {column} < ? LIMIT 2",
            (ref, ref + "g")).fetchall()
        if not rows:
            raise NotFoundError(f"no {what} with id starting {ref!r} in {self.path}",
                                where=f"{table}.{column}",
                                fix=f"list them with `qrp {'candidates' if 'cand' in what else 'runs'}`"
                                    " or check --db")
        if len(rows) > 1:
            raise NotFoundError(f"{what} prefix {ref!r} is ambiguous", where=f"{table}.{column}",
                                fix="pass more characters of the id")
        return rows[0][0]

    # -- artifacts ----------------------------------------------------------------------------
    def put_artifact(self, data: bytes, media_type: str) -> str:
        """Store bytes by content; returns the artifact id (SHA-256). Deduplicates."""
        artifact_id = sha256_hex(data)
        if self.conn.execute("SELECT 1 FROM artifacts WHERE artifact_id = ?",
                             (artifact_id,)).fetchone():
            return artifact_id
        codec, stored = "identity", data
        if len(data) >= _COMPRESS_MIN:
            packed = zlib.compress(data, 6)
            if len(packed) < len(data):
                codec, stored = "zlib", packed
        self.conn.execute(
            "INSERT INTO artifacts (artifact_id, media_type, size, codec, data, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (artifact_id, media_type, len(data), codec, stored, now_iso()))
        return artifact_id

    def get_artifact(self, artifact_id: str) -> bytes:
        """The artifact's bytes, verified against its id (raises :class:`IntegrityProblem`)."""
        row = self.conn.execute("SELECT codec, data FROM artifacts WHERE artifact_id = ?",
                                (artifact_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"artifact {artifact_id[:12]} is not in the store",
                                where="artifacts", fix="check the id, or the --db path")
        data = decode_blob(row[0], row[1])
        if sha256_hex(data) != artifact_id:
            raise IntegrityProblem(f"artifact {artifact_id[:12]}'s bytes do not hash to its id",
                                   where=f"artifacts row artifact_id={artifact_id}",
                                   fix="the blob was altered; restore the file from a backup")
        return data


def decode_blob(codec: str, data: bytes) -> bytes:
    if codec == "zlib":
        try:
            return zlib.decompress(data)
        except zlib.error:
            return b""  # undecodable: the hash check that follows reports it
    return bytes(data)


def open_store(path: str | os.PathLike[str] | None = None, *, create: bool = True) -> Store:
    """Open (and migrate) the store at ``path``, ``$QRP_DB`` or ``./qrp.sqlite``."""
    return Store(path if path is not None else default_db_path(), create=create)
