"""The SQLite store: one file, WAL, a busy timeout, named statements, writes in ``BEGIN IMMEDIATE``
transactions."""

from __future__ import annotations

import os
import sqlite3
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from ..errors import IntegrityProblem, NotFoundError, StoreError
from ..identity import now_iso, sha256_hex
from .failures import store_error
from . import ledger
from .migrations import apply_migrations, schema_differences
from .statements import BUSY_TIMEOUT_MS, STATEMENTS, lookup_statement, prefix_statement

__all__ = ["Store", "open_store", "default_db_path", "ENV_DB"]

ENV_DB = "QRP_DB"
#: Blobs at least this large are zlib-compressed on disk; the id is always over the raw bytes.
_COMPRESS_MIN = 4096


def default_db_path() -> Path:
    """``$QRP_DB`` or ``./qrp.sqlite``."""
    return Path(os.environ.get(ENV_DB) or "qrp.sqlite")


class Store:
    """A QRP store backed by one SQLite file (or ``":memory:"`` for tests).

    Every statement is named (:data:`~.statements.STATEMENTS`) and runs through one chokepoint
    that turns each refusal of SQLite into a :class:`StoreError` naming the rule. The connection is
    private and in autocommit mode; every write goes through :meth:`transaction`, which takes the
    write lock up front (``BEGIN IMMEDIATE``) so concurrent writers queue instead of failing
    half-way, and rolls back on any exception so bad input leaves nothing behind.
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
            if p.exists():
                _refuse_foreign(p, create=create)
            p.parent.mkdir(parents=True, exist_ok=True)
        self._depth = 0
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None,
                                         timeout=BUSY_TIMEOUT_MS / 1000,
                                         check_same_thread=False)
            self._conn.execute(STATEMENTS["connection.busy_timeout"])
            if self.path != ":memory:":
                self._conn.execute(STATEMENTS["connection.journal_wal"])
            self._conn.execute(STATEMENTS["connection.synchronous_full"])
            self._conn.execute(STATEMENTS["connection.foreign_keys_on"])
            apply_migrations(self._conn)
            ledger.install_capture(self._conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path!r} is not a usable SQLite store: {exc}",
                             where="--db", fix="pass the path of a QRP store or a new file") \
                from None

    # -- the chokepoint -----------------------------------------------------------------------
    def _cursor(self, name: str, params: Any = (), *, many: bool = False) -> sqlite3.Cursor:
        """Run the named statement; SQLite's errors come out as :class:`StoreError`."""
        try:
            sql = STATEMENTS[name]
        except KeyError:
            raise StoreError(f"no store statement named {name!r}", where="qrp_jupyter.store",
                             fix="name a statement of qrp_jupyter.store.statements") from None
        try:
            cur = (self._conn.executemany(sql, params) if many
                   else self._conn.execute(sql, params))
        except sqlite3.Error as exc:
            raise store_error(exc, name) from exc
        cur.row_factory = sqlite3.Row
        return cur

    def _fetch(self, name: str, cur: sqlite3.Cursor, n: int | None) -> Any:
        try:
            return cur.fetchone() if n == 1 else cur.fetchall()
        except sqlite3.Error as exc:
            raise store_error(exc, name) from exc

    def one(self, name: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        """The first row of the named query (``None`` when there is none)."""
        return self._fetch(name, self._cursor(name, params), 1)

    def all(self, name: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Every row of the named query."""
        return self._fetch(name, self._cursor(name, params), None)

    def iterate(self, name: str, params: Sequence[Any] = ()) -> Iterator[sqlite3.Row]:
        """The rows of the named query one at a time (for scans too large to hold at once)."""
        cur = self._cursor(name, params)
        while True:
            row = self._fetch(name, cur, 1)
            if row is None:
                return
            yield row

    def write(self, name: str, params: Sequence[Any] = ()) -> int:
        """Run the named write inside the current :meth:`transaction`; returns rows changed."""
        self._require_transaction(name)
        return self._cursor(name, params).rowcount

    def write_many(self, name: str, rows: Iterable[Sequence[Any]]) -> int:
        """Run the named write once per row inside the current :meth:`transaction`."""
        self._require_transaction(name)
        return self._cursor(name, rows, many=True).rowcount

    def _require_transaction(self, name: str) -> None:
        if not self._depth:
            raise StoreError(f"write {name!r} outside a transaction", where=name,
                             fix="wrap the writes in `with store.transaction():`")

    # -- keyed look-ups (table and column from the allow-lists of .statements) -----------------
    def exists(self, table: str, column: str, value: Any) -> bool:
        """Whether a row of ``table`` has ``column = value`` (pairs of :data:`LOOKUP_KEYS`)."""
        return self.one(_allowed(lookup_statement(table, column)), (value,)) is not None

    def prefix_matches(self, table: str, column: str, prefix: str) -> list[str]:
        """Up to two ids of ``table.column`` starting with the hex ``prefix``, in order."""
        name = _allowed(prefix_statement(table, column))
        return [r["id"] for r in self.all(name, (prefix, prefix + "g"))]

    def resolve(self, table: str, column: str, ref: str, *, what: str) -> str:
        """Full id from a full id or a unique display prefix (at least 6 hex characters)."""
        ref = (ref or "").strip().lower()
        if len(ref) < 6 or any(c not in "0123456789abcdef" for c in ref):
            raise NotFoundError(f"{what} reference {ref!r} is not a hex id or prefix",
                                where=what, fix=f"pass the {what} id or at least 6 of its "
                                                "leading hex characters")
        rows = self.prefix_matches(table, column, ref)
        if not rows:
            raise NotFoundError(f"no {what} with id starting {ref!r} in {self.path}",
                                where=f"{table}.{column}",
                                fix=f"list them with `qrp {'candidates' if 'cand' in what else 'runs'}`"
                                    " or check --db")
        if len(rows) > 1:
            raise NotFoundError(f"{what} prefix {ref!r} is ambiguous", where=f"{table}.{column}",
                                fix="pass more characters of the id")
        return rows[0]

    # -- transactions -------------------------------------------------------------------------
    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write. Nested uses join the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._cursor("connection.begin")
        self._depth = 1
        try:
            yield
            self._before_commit()
        except BaseException:
            self._depth = 0
            self._rollback()
            raise
        self._depth = 0
        try:
            self._cursor("connection.commit")
        except StoreError:
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            self._cursor("connection.rollback")
        ledger.discard_pending(self._conn)  # nothing that was noted was written

    def _before_commit(self) -> None:
        """Runs inside the outermost transaction right before ``COMMIT``: the ledger's block
        over every row the transaction wrote."""
        try:
            ledger.seal(self._conn)
        except sqlite3.Error as exc:
            raise store_error(exc, "ledger.seal") from exc

    # -- the ledger and the schema (read-only checks, for verify) ----------------------------
    def ledger_head(self) -> "ledger.Block | None":
        """The newest ledger block; its hash is the store's digest."""
        return ledger.head(self._conn)

    def verify_ledger(self) -> "tuple[list[ledger.LedgerFinding], dict[str, int]]":
        return ledger.verify_ledger(self._conn)

    def ledger_extends(self, digest: str) -> tuple[bool, str]:
        return ledger.extends(self._conn, digest)

    def require_intact(self, table: str, *key_values: Any) -> None:
        """Raise :class:`IntegrityProblem` unless the ledger vouches for this row as it is now
        (the check a write makes before acting on a row as evidence)."""
        problem = ledger.row_problem(self._conn, table, list(key_values))
        if problem:
            raise IntegrityProblem(problem, where=f"{table} row {key_values[0]}",
                                   fix="the store was edited outside QRP: run `qrp verify` "
                                       "and restore the file from a backup")

    def as_of(self, block_seq: int) -> "Store":
        """A private, read-only, in-memory copy of this store as ledger block ``block_seq``
        left it (:func:`.ledger.rewind`): what a saved output recorded at that head was made
        from. Close it when done.

        Raises
        ------
        NotFoundError
            When the ledger has no block ``block_seq``.
        """
        if not isinstance(block_seq, int) or isinstance(block_seq, bool) or \
                self.one("ledger_blocks.get", (block_seq,)) is None:
            raise NotFoundError(f"the ledger has no block {block_seq!r}", where="ledger_blocks",
                                fix="pass the block_seq of a head recorded from this store")
        copy = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        try:
            self._conn.backup(copy)
            ledger.rewind(copy, block_seq)
        except sqlite3.Error as exc:
            copy.close()
            raise store_error(exc, "ledger.rewind") from exc
        snap = Store.__new__(Store)
        snap.path, snap._depth, snap._conn = self.path, 0, copy
        copy.execute(STATEMENTS["connection.foreign_keys_on"])
        ledger.install_capture(copy)
        copy.execute(STATEMENTS["connection.query_only"])
        return snap

    def schema_differences(self) -> list[tuple[str, str]]:
        return schema_differences(self._conn)

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the main file, so a plain file copy is complete."""
        self.all("connection.checkpoint")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- artifacts ----------------------------------------------------------------------------
    def put_artifact(self, data: bytes, media_type: str) -> str:
        """Store bytes by content; returns the artifact id (SHA-256). Deduplicates."""
        artifact_id = sha256_hex(data)
        with self.transaction():
            if self.exists("artifacts", "artifact_id", artifact_id):
                return artifact_id
            codec, stored = "identity", data
            if len(data) >= _COMPRESS_MIN:
                packed = zlib.compress(data, 6)
                if len(packed) < len(data):
                    codec, stored = "zlib", packed
            self.write("artifacts.insert",
                       (artifact_id, media_type, len(data), codec, stored, now_iso()))
        return artifact_id

    def get_artifact(self, artifact_id: str) -> bytes:
        """The artifact's bytes, verified against its id (raises :class:`IntegrityProblem`)."""
        row = self.one("artifacts.blob", (artifact_id,))
        if row is None:
            raise NotFoundError(f"artifact {artifact_id[:12]} is not in the store",
                                where="artifacts", fix="check the id, or the --db path")
        data = decode_blob(row[0], row[1])
        if sha256_hex(data) != artifact_id:
            raise IntegrityProblem(f"artifact {artifact_id[:12]}'s bytes do not hash to its id",
                                   where=f"artifacts row artifact_id={artifact_id}",
                                   fix="the blob was altered; restore the file from a backup")
        return data


def _allowed(name: str) -> str:
    if name not in STATEMENTS:
        raise StoreError(f"{name.split('.', 1)[1]!r} is not a key QRP looks rows up by",
                         where="qrp_jupyter.store.statements",
                         fix="use a (table, column) pair of PREFIX_KEYS or LOOKUP_KEYS")
    return name


def decode_blob(codec: str, data: bytes) -> bytes:
    if codec == "zlib":
        try:
            return zlib.decompress(data)
        except zlib.error:
            return b""  # undecodable: the hash check that follows reports it
    return bytes(data)


def _peek(path: Path) -> sqlite3.Connection:
    """A read-only connection that creates nothing beside the file and takes no write lock.

    With no ``-wal`` beside the file nobody has it open for writing, and it is opened
    ``immutable`` (no ``-shm`` is created either); while a writer has it open, its ``-wal`` and
    ``-shm`` exist and a plain read-only connection reads a consistent snapshot through them.
    """
    uri = path.resolve().as_uri() + "?mode=ro"
    if not Path(str(path) + "-wal").exists():
        uri += "&immutable=1"
    return sqlite3.connect(uri, uri=True, isolation_level=None)


def _tables(path: Path) -> list[str] | None:
    """The table names of the SQLite file at ``path`` (immutable read-only: nothing created,
    nothing locked), or ``None`` when it is not a SQLite database."""
    try:
        conn = _peek(path)
    except sqlite3.Error:
        return None
    try:
        return [r[0] for r in conn.execute(STATEMENTS["sqlite.table_names"])]
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _refuse_foreign(path: Path, *, create: bool) -> None:
    """Refuse, before any connection that could write, a file that is not a QRP store: QRP
    never adds its schema to another application's database or to a file that is not SQLite.
    An empty file becomes a store only on a path that creates one (``qrp init``, a write)."""
    if path.stat().st_size == 0:
        if create:
            return
        raise NotFoundError(f"{str(path)!r} is an empty file, not a QRP store", where="--db",
                            fix="run `qrp init` on it first, or pass the path of a QRP store")
    tables = _tables(path)
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


def first_event_kind(path: str | os.PathLike[str]) -> str | None:
    """The kind of the first governance event of the SQLite file at ``path``, read through a
    read-only connection that creates, migrates and locks nothing; ``None`` when the file is not
    a QRP store (not SQLite, no events table, no event).

    See :func:`_peek` for how it reads without creating ``-wal``/``-shm`` files.
    """
    try:
        conn = _peek(Path(path))
    except sqlite3.Error:
        return None
    try:
        row = conn.execute(STATEMENTS["governance_events.first_kind"]).fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return row[0] if row else None


def open_store(path: str | os.PathLike[str] | None = None, *, create: bool = True) -> Store:
    """Open (and migrate) the store at ``path``, ``$QRP_DB`` or ``./qrp.sqlite``."""
    return Store(path if path is not None else default_db_path(), create=create)
