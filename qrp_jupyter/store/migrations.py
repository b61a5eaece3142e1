"""Named, recorded, forward-only migrations, each a frozen SQL file, applied in one transaction.

A migration's statements live in ``store/sql/NNNN_name.sql``; the store records the SHA-256 of
each applied migration, so a store made by a modified QRP (or an edited file) is refused. The
expected schema of a current store is what replaying every migration into an empty in-memory
database gives, so no live constant can drift from what the files create.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from importlib import resources

from ..errors import IntegrityProblem, StoreError
from ..identity import now_iso, sha256_hex
from .ledger import record_migrations

__all__ = ["apply_migrations", "migration_digest", "migrations", "expected_schema",
           "schema_differences", "check_current", "CREATE_SCHEMA_MIGRATIONS", "MIGRATION_FILES"]

CREATE_SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    ddl_sha256 TEXT NOT NULL,
    applied_at TEXT NOT NULL
)"""

#: (version, name, file under store/sql/). Append new ones; never edit an applied one.
MIGRATION_FILES: tuple[tuple[int, str, str], ...] = (
    (1, "initial governed store", "0001_initial.sql"),
    (2, "named rules, no replace on any key, ledger", "0002_ledger.sql"),
    (3, "artifacts held in parts", "0003_artifact_chunks.sql"),
)


def migration_digest(statements: tuple[str, ...]) -> str:
    """SHA-256 of a migration's statements, so an edited applied migration is detected."""
    return sha256_hex("\n;\n".join(s.strip() for s in statements).encode("utf-8"))


def split_statements(text: str) -> tuple[str, ...]:
    """The statements of a SQL file, without their final ``;``; comment lines between them
    are dropped (a trigger body's own semicolons stay inside its statement)."""
    out: list[str] = []
    buf: list[str] = []
    for line in text.splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buf.append(line)
        chunk = "\n".join(buf)
        if sqlite3.complete_statement(chunk):
            out.append(chunk.strip().removesuffix(";").rstrip())
            buf = []
    if buf:
        raise StoreError("a migration file ends inside a statement",
                         where="qrp_jupyter/store/sql", fix="reinstall qrp_jupyter")
    return tuple(out)


@lru_cache(maxsize=1)
def migrations() -> tuple[tuple[int, str, tuple[str, ...]], ...]:
    """Every migration as (version, name, statements), read from the package's SQL files."""
    folder = resources.files("qrp_jupyter.store") / "sql"
    return tuple((v, name, split_statements((folder / fname).read_text(encoding="utf-8")))
                 for v, name, fname in MIGRATION_FILES)


@lru_cache(maxsize=1)
def expected_schema() -> dict[tuple[str, str], str]:
    """``{(type, name): sql}`` of every table, index, trigger and view a current store has:
    the migrations replayed into an empty in-memory database."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.execute(CREATE_SCHEMA_MIGRATIONS)
        for _, _, statements in migrations():
            for stmt in statements:
                conn.execute(stmt)
        return schema_of(conn)
    finally:
        conn.close()


def schema_of(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    """``{(type, name): sql}`` of the schema objects of ``conn``'s main database (SQLite's own
    automatic indexes, which have no SQL, are left out)."""
    return {(t, n): s for t, n, s in conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
        "AND name NOT LIKE 'sqlite_%'")}


def schema_differences(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(name, problem) for every table, index, trigger or view that is missing from the store,
    differs from what the migrations create, or is not part of QRP's schema."""
    expected, stored = expected_schema(), schema_of(conn)
    out = []
    for (kind, name), sql in sorted(expected.items()):
        if (kind, name) not in stored:
            out.append((name, f"{kind} is missing (dropped?)"))
        elif stored[(kind, name)] != sql:
            out.append((name, f"{kind} text differs from QRP's schema (altered?)"))
    for kind, name in sorted(set(stored) - set(expected)):
        out.append((name, f"unknown {kind} (not part of QRP's schema)"))
    return out


def apply_migrations(conn: sqlite3.Connection) -> list[int]:
    """Apply every pending migration in one ``BEGIN IMMEDIATE`` transaction.

    Idempotent: running it on an up-to-date store changes nothing. Returns the versions applied.
    Refuses a store whose recorded migration differs from this code's (someone edited history)
    or that is newer than this code. The ledger records what was applied in the same
    transaction (the migration that adds the ledger adopts every row the store already has).
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        done = _apply_pending(conn)
        record_migrations(conn, done)
        conn.execute("COMMIT")
        return done
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def check_current(conn: sqlite3.Connection) -> None:
    """Refuse, without writing, a store that is not at this code's schema: one with
    migrations this code does not know or records differently (as :func:`apply_migrations`
    does), and one that still needs a migration (a reader cannot apply it).
    """
    applied = _applied(conn)
    pending = [v for v, name, _ in MIGRATION_FILES if v not in applied]
    if pending:
        raise StoreError(f"this store predates schema migrations {pending}; a read-only open "
                         "cannot apply them", where="schema_migrations",
                         fix="run `qrp init --db` on the store (or on a writable copy of it) "
                             "to migrate it, then read it again")


def _applied(conn: sqlite3.Connection) -> dict[int, tuple[str, str]]:
    """The recorded migrations, after refusing unknown or altered ones."""
    applied = {v: (name, digest) for v, name, digest in
               conn.execute("SELECT version, name, ddl_sha256 FROM schema_migrations")}
    known = {v for v, _, _ in MIGRATION_FILES}
    newer = sorted(set(applied) - known)
    if newer:
        raise StoreError(
            f"this store has schema migrations {newer} that this version of QRP does not know",
            where="schema_migrations", fix="upgrade qrp_jupyter to open this store")
    for version, name, statements in migrations():
        digest = migration_digest(statements)
        if version in applied and applied[version][1] != digest:
            raise StoreError(
                f"migration {version} ({name!r}) recorded in the store has a different "
                f"digest {applied[version][1][:12]} than this code's {digest[:12]}",
                where=f"schema_migrations row version={version}",
                fix="the store was created by a modified QRP; open it with the version "
                    "that created it")
    _refuse_unrecorded(conn, applied)
    return applied


@lru_cache(maxsize=1)
def _created_by() -> dict[int, frozenset[str]]:
    """The names of the schema objects each migration creates (replayed in memory)."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    out: dict[int, frozenset[str]] = {}
    try:
        conn.execute(CREATE_SCHEMA_MIGRATIONS)
        before = {n for _, n in schema_of(conn)}
        for version, _, statements in migrations():
            for stmt in statements:
                conn.execute(stmt)
            now = {n for _, n in schema_of(conn)}
            out[version] = frozenset(now - before)
            before = now
        return out
    finally:
        conn.close()


def _refuse_unrecorded(conn: sqlite3.Connection, applied: dict[int, tuple[str, str]]) -> None:
    """A migration not recorded whose objects are already there was applied and its record
    then deleted: refuse instead of re-running it (which would fail half-way)."""
    present = {n for _, n in schema_of(conn)}
    for version, name, _ in MIGRATION_FILES:
        found = sorted(_created_by()[version] & present) if version not in applied else []
        if found:
            raise IntegrityProblem(
                f"the store has the objects migration {version} ({name!r}) creates "
                f"({', '.join(found[:3])}{', ...' if len(found) > 3 else ''}) but no "
                "schema_migrations row for it: that record was deleted",
                where=f"schema_migrations version={version}",
                fix="the store was edited outside QRP; restore it from a backup "
                    "(`qrp verify` lists what else changed)")


def _apply_pending(conn: sqlite3.Connection) -> list[int]:
    conn.execute(CREATE_SCHEMA_MIGRATIONS)
    applied = _applied(conn)
    done: list[int] = []
    for version, name, statements in migrations():
        if version in applied:
            continue
        digest = migration_digest(statements)
        for stmt in statements:
            conn.execute(stmt)
        conn.execute(
            "INSERT INTO schema_migrations (version, name, ddl_sha256, applied_at) "
            "VALUES (?, ?, ?, ?)", (version, name, digest, now_iso()))
        done.append(version)
    return done
