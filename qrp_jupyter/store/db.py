"""The SQLite store: one file, WAL, a busy timeout, named statements, writes in ``BEGIN IMMEDIATE``
transactions."""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from ..errors import AmbiguousReference, IntegrityProblem, NotFoundError, StoreError
from ..identity import now_iso, sha256_hex
from . import blobs
from .blobs import decode_value, digest_and_size, encode_parts, encode_value
from .damage import Damage, lenient_text, locate as locate_damage
from .failures import environment_fault, store_error
from . import ledger
from .migrations import apply_migrations, check_current, schema_differences
from .opening import (connect_read, connect_write, first_event_kind, refuse_foreign,
                      sidecar_paths)
from .statements import (STATEMENTS, lookup_statement, prefix_count_statement,
                         prefix_statement)

__all__ = ["Store", "open_store", "default_db_path", "ENV_DB", "first_event_kind"]

ENV_DB = "QRP_DB"
#: Blobs at least this large are zlib-compressed on disk; the id is always over the raw bytes.


def default_db_path() -> Path:
    """``$QRP_DB`` or ``./qrp.sqlite``."""
    return Path(os.environ.get(ENV_DB) or "qrp.sqlite")


def checked_store_path(path: str, *, lasts: str, otherwise: str) -> str:
    """``path`` as given for ``--db``, refused when no file could hold the store: an empty
    path, and ``:memory:`` (a store that would vanish after ``lasts``, e.g. "until qrp
    exits"). ``otherwise`` ends the fix of an empty path (e.g. "or leave --db out")."""
    from ..errors import StoreError

    if not path.strip():
        raise StoreError("--db is empty", where="--db",
                         fix=f"pass a file path such as ./qrp.sqlite ({otherwise})")
    if path == ":memory:":
        raise StoreError(f"--db :memory: would keep the store only {lasts}", where="--db",
                         fix="pass a file path such as ./qrp.sqlite")
    return path


_HEX = frozenset("0123456789abcdef")


def normal_hex_ref(ref: Any) -> str | None:
    """``ref`` stripped and lower-cased when it is all ASCII hex digits, else None (a name,
    unicode, a control character, or not a string at all)."""
    if not isinstance(ref, str):
        return None
    text = ref.strip()
    if not text or not text.isascii():
        return None
    text = text.lower()
    return text if _HEX.issuperset(text) else None


def clipped_ref(ref: Any) -> str:
    """A reference as shown in a message: its repr, at most 80 characters."""
    if not isinstance(ref, str):
        return f"of type {type(ref).__name__}"
    shown = repr(ref)
    return shown if len(shown) <= 80 else shown[:78] + "~'"


def ambiguous(what: str, ref: str, hits: list[tuple[str, str]], count: int, *,
              where: str) -> AmbiguousReference:
    """The error for a prefix that ``count`` ids start with; ``hits`` are the first few, as
    ``(kind, id)`` (the kind is shown when they are of more than one kind)."""
    kinds = {k for k, _ in hits}
    listed = ", ".join((f"{k} {i[:16]}" if len(kinds) > 1 else i[:16]) for k, i in hits)
    more = ", ..." if count > len(hits) else ""
    return AmbiguousReference(
        f"{what} prefix {ref!r} is ambiguous: {count} matches ({listed}{more}), give more "
        "characters", matches=[i for _, i in hits], count=count, where=where,
        fix=f"pass more leading characters of the id (up to all 64) so that only one {what} "
            "starts with them")


class Store:
    """A QRP store backed by one SQLite file (or ``":memory:"`` for tests).

    Every statement is named (:data:`~.statements.STATEMENTS`) and runs through one chokepoint
    that turns each refusal of SQLite into a :class:`StoreError` naming the rule. The connection is
    private and in autocommit mode; every write goes through :meth:`transaction`, which takes the
    write lock up front (``BEGIN IMMEDIATE``) so concurrent writers queue instead of failing
    half-way, and rolls back on any exception so bad input leaves nothing behind.

    ``readonly=True`` opens an existing store for reading only (:func:`.opening.connect_read`):
    no migration, no lock against writers, works on a read-only mount or an immutable file,
    and any write is refused. With ``create=True`` a path with no file gives a store with no
    file yet: it reads as an empty store, and its file is made by the first write and removed
    again if that write rolls back, so a command that fails leaves no store file behind
    (:meth:`ensure_file` makes it at once, for ``qrp init``).
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True,
                 readonly: bool = False):
        self.path = str(path)
        self.readonly = readonly
        self._depth = 0
        self._unborn = False  # no file yet: it is made by the first write that commits
        self._born_here = False
        if self.path == ":memory:":
            self._conn = self._connect(lambda: sqlite3.connect(
                ":memory:", isolation_level=None, check_same_thread=False))
            return
        p = Path(self.path)
        if p.is_dir():
            raise StoreError(f"{self.path!r} is a directory, not a SQLite file",
                             where="--db", fix="pass a file path such as ./qrp.sqlite")
        if p.exists() and not p.is_file():
            raise StoreError(f"{self.path!r} is not a regular file (a device, a pipe or a "
                             "socket) and cannot hold a store", where="--db",
                             fix="pass a file path such as ./qrp.sqlite")
        if not p.exists():
            if readonly or not create:
                raise NotFoundError(f"no QRP store at {self.path!r}", where="--db",
                                    fix="run `qrp init` first or pass the right --db path")
            self._unborn = True
            self._conn = self._connect(lambda: sqlite3.connect(
                ":memory:", isolation_level=None, check_same_thread=False))
            return
        refuse_foreign(p, create=create and not readonly)
        self._conn = self._open_file(p)

    def _open_file(self, p: Path) -> sqlite3.Connection:
        if self.readonly:
            return self._connect(lambda: connect_read(p))
        return self._connect(lambda: connect_write(p), wal=True)

    def _connect(self, make: Callable[[], sqlite3.Connection], *, wal: bool = False
                 ) -> sqlite3.Connection:
        """A configured connection: read-only ones are checked to be at this code's schema;
        writing ones are migrated and capture what they write for the ledger."""
        conn = None
        try:
            conn = make()
            conn.text_factory = lenient_text
            if self.readonly:
                check_current(conn)
                return conn
            if wal:
                conn.execute(STATEMENTS["connection.journal_wal"])
            conn.execute(STATEMENTS["connection.synchronous_full"])
            conn.execute(STATEMENTS["connection.foreign_keys_on"])
            apply_migrations(conn)
            ledger.install_capture(conn)
            return conn
        except BaseException as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, sqlite3.Error):
                fault = environment_fault(exc, "open", self.path)
                if fault is not None:
                    raise fault from None
                raise StoreError(f"{self.path!r} is not a usable SQLite store: {exc}",
                                 where="--db", fix="pass the path of a QRP store or a new "
                                                   "file") from None
            raise

    def _be_born(self) -> None:
        """Make the file of a store that had none, right before its first write."""
        p = Path(self.path)
        if p.exists():  # made meanwhile by someone else: open it as any existing file
            refuse_foreign(p, create=True)
        else:
            self._born_here = True
        conn = self._open_file(p)
        self._conn.close()
        self._conn, self._unborn = conn, False

    def _unbirth(self) -> None:
        """The first write failed: remove the file it made, so a failed command leaves no
        store behind."""
        self._conn.close()
        p = Path(self.path)
        for f in (p, *sidecar_paths(p)):
            f.unlink(missing_ok=True)
        self._born_here, self._unborn = False, True
        self._conn = self._connect(lambda: sqlite3.connect(
            ":memory:", isolation_level=None, check_same_thread=False))

    def ensure_file(self) -> None:
        """Make the store's file now if it has none yet (``qrp init``)."""
        if self._unborn:
            self._be_born()
            self._born_here = False

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
            raise store_error(exc, name, self.path) from exc
        cur.row_factory = sqlite3.Row
        return cur

    def _fetch(self, name: str, cur: sqlite3.Cursor, n: int | None) -> Any:
        try:
            return cur.fetchone() if n == 1 else cur.fetchall()
        except sqlite3.Error as exc:
            raise store_error(exc, name, self.path) from exc

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
        if self.readonly:
            raise StoreError(f"write {name!r} on a store opened read-only", where=name,
                             rule="store:read-only",
                             fix="open the store without readonly=True to record something")
        if not self._depth:
            raise StoreError(f"write {name!r} outside a transaction", where=name,
                             fix="wrap the writes in `with store.transaction():`")

    # -- keyed look-ups (table and column from the allow-lists of .statements) -----------------
    def exists(self, table: str, column: str, value: Any) -> bool:
        """Whether a row of ``table`` has ``column = value`` (pairs of :data:`LOOKUP_KEYS`)."""
        return self.one(_allowed(lookup_statement(table, column)), (value,)) is not None

    def prefix_matches(self, table: str, column: str, prefix: str) -> list[str]:
        """The first (at most :data:`~.statements.PREFIX_SHOWN`) ids of ``table.column``
        starting with the hex ``prefix``, in order."""
        name = _allowed(prefix_statement(table, column))
        return [r["id"] for r in self.all(name, (prefix, prefix + "g"))]

    def prefix_count(self, table: str, column: str, prefix: str) -> int:
        """How many ids of ``table.column`` start with the hex ``prefix``."""
        name = _allowed(prefix_count_statement(table, column))
        return int(self.one(name, (prefix, prefix + "g"))["n"])

    def resolve(self, table: str, column: str, ref: str, *, what: str) -> str:
        """Full id from a full id or a unique display prefix (at least 6 hex characters).

        Raises :class:`~qrp_jupyter.errors.AmbiguousReference` (a NotFoundError) naming how
        many ids match and the first few when the prefix is not unique.
        """
        given, ref = ref, normal_hex_ref(ref)
        if ref is None or len(ref) < 6:
            raise NotFoundError(f"{what} reference {clipped_ref(given)} is not a hex id or "
                                "prefix", where=what, fix=f"pass the {what} id or at least 6 "
                                                          "of its leading hex characters")
        rows = self.prefix_matches(table, column, ref)
        if not rows:
            raise NotFoundError(f"no {what} with id starting {ref!r} in {self.path}",
                                where=f"{table}.{column}",
                                fix=f"list them with `qrp {'candidates' if 'cand' in what else 'runs'}`"
                                    " or check --db")
        if len(rows) > 1:
            raise ambiguous(what, ref, [(what, r) for r in rows],
                            self.prefix_count(table, column, ref), where=f"{table}.{column}")
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
        if self.readonly:
            raise StoreError("a write on a store opened read-only", where=self.path,
                             rule="store:read-only",
                             fix="open the store without readonly=True to record something")
        if self._unborn:
            self._be_born()
        try:
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
        except BaseException:
            if self._born_here:
                self._unbirth()
            raise
        self._born_here = False

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
            raise store_error(exc, "ledger.seal", self.path) from exc

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
        copy.text_factory = lenient_text
        try:
            self._conn.backup(copy)
            ledger.rewind(copy, block_seq)
        except sqlite3.Error as exc:
            copy.close()
            raise store_error(exc, "ledger.rewind", self.path) from exc
        snap = Store.__new__(Store)
        snap.path, snap._depth, snap._conn = self.path, 0, copy
        snap.readonly, snap._unborn, snap._born_here = True, False, False
        copy.execute(STATEMENTS["connection.foreign_keys_on"])
        ledger.install_capture(copy)
        copy.execute(STATEMENTS["connection.query_only"])
        return snap

    def damage(self) -> "list[Damage]":
        """Where SQLite finds the file damaged (:func:`.damage.locate`); ``[]`` when sound."""
        return locate_damage(self._conn)

    def schema_differences(self) -> list[tuple[str, str]]:
        return schema_differences(self._conn)

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the main file, so a plain file copy is complete."""
        if not (self.readonly or self._unborn):
            self.all("connection.checkpoint")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- artifacts ----------------------------------------------------------------------------
    def put_artifact(self, data: bytes, media_type: str) -> str:
        """Store bytes by content; returns the artifact id (SHA-256). Deduplicates.

        Bytes longer than :data:`~.blobs.PART_BYTES` are stored in parts (:mod:`.blobs`),
        compressed a step at a time, so no SQLite value limit applies to an artifact."""
        artifact_id = sha256_hex(data)
        with self.transaction():
            if self.exists("artifacts", "artifact_id", artifact_id):
                return artifact_id
            if len(data) <= blobs.PART_BYTES:
                codec, stored = encode_value(data)
                self.write("artifacts.insert",
                           (artifact_id, media_type, len(data), codec, stored, now_iso()))
                return artifact_id
            codec, parts = encode_parts(data)
            self.write("artifacts.insert",
                       (artifact_id, media_type, len(data), codec, b"", now_iso()))
            for seq, part in enumerate(parts):
                self.write("artifact_chunks.insert",
                           (artifact_id, seq, sha256_hex(part), part))
        return artifact_id

    def stored_pieces(self, artifact_id: str, data: bytes) -> Iterator[bytes]:
        """An artifact's stored form piece by piece: its row's ``data``, or, when that is
        empty, its parts in order (one in memory at a time)."""
        if data:
            yield data
            return
        for part in self.iterate("artifact_chunks.data_of", (artifact_id,)):
            yield part["data"]

    def read_artifact(self, artifact_id: str) -> tuple[sqlite3.Row, bytes] | None:
        """``(row, bytes)`` of an artifact, unverified (``b""`` when its stored form does not
        decode), or ``None`` when there is none. ``row`` has media_type, size and codec."""
        row = self.one("artifacts.blob_and_meta", (artifact_id,))
        if row is None:
            return None
        return row, decode_value(row["codec"], self.stored_pieces(artifact_id, row["data"]),
                                 row["size"])

    def get_artifact(self, artifact_id: str) -> bytes:
        """The artifact's bytes, verified against its id (raises :class:`IntegrityProblem`)."""
        got = self.read_artifact(artifact_id)
        if got is None:
            raise NotFoundError(f"artifact {artifact_id[:12]} is not in the store",
                                where="artifacts", fix="check the id, or the --db path")
        data = got[1]
        if sha256_hex(data) != artifact_id:
            raise IntegrityProblem(f"artifact {artifact_id[:12]}'s bytes do not hash to its id",
                                   where=f"artifacts row artifact_id={artifact_id}",
                                   fix="the blob was altered; restore the file from a backup")
        return data

    def artifact_digest(self, artifact_id: str, codec: str, data: bytes
                        ) -> tuple[str, int] | None:
        """SHA-256 and length of an artifact's bytes, streamed from its stored form without
        holding it (``None`` when it does not decode)."""
        return digest_and_size(codec, self.stored_pieces(artifact_id, data))


def _allowed(name: str) -> str:
    if name not in STATEMENTS:
        raise StoreError(f"{name.split('.', 1)[1]!r} is not a key QRP looks rows up by",
                         where="qrp_jupyter.store.statements",
                         fix="use a (table, column) pair of PREFIX_KEYS or LOOKUP_KEYS")
    return name


def decode_blob(codec: str, data: bytes) -> bytes:
    """The bytes of an artifact held in one value (``b""`` when they do not decode)."""
    return bytes(decode_value(codec, [data] if data else [], len(data)))


def open_store(path: str | os.PathLike[str] | None = None, *, create: bool = True,
               readonly: bool = False) -> Store:
    """Open the store at ``path``, ``$QRP_DB`` or ``./qrp.sqlite``: migrated for writing, or
    with ``readonly`` as it is, for reading only (see :class:`Store`)."""
    return Store(path if path is not None else default_db_path(), create=create,
                 readonly=readonly)
