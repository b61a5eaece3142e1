"""Named, recorded, forward-only migrations applied inside one transaction."""

from __future__ import annotations

import sqlite3

from ..errors import StoreError
from ..identity import now_iso, sha256_hex
from .schema import MIGRATIONS

__all__ = ["apply_migrations", "migration_digest", "CREATE_SCHEMA_MIGRATIONS"]

CREATE_SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    ddl_sha256 TEXT NOT NULL,
    applied_at TEXT NOT NULL
)"""


def migration_digest(statements: tuple[str, ...]) -> str:
    """SHA-256 of a migration's statements, so an edited applied migration is detected."""
    return sha256_hex("\n;\n".join(s.strip() for s in statements).encode("utf-8"))


def apply_migrations(conn: sqlite3.Connection) -> list[int]:
    """Apply every pending migration in one ``BEGIN IMMEDIATE`` transaction.

    Idempotent: running it on an up-to-date store changes nothing. Returns the versions applied.
    Refuses a store whose recorded migration differs from this code's (someone edited history)
    or that is newer than this code.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(CREATE_SCHEMA_MIGRATIONS)
        applied = {v: (name, digest) for v, name, digest in
                   conn.execute("SELECT version, name, ddl_sha256 FROM schema_migrations")}
        known = {v for v, _, _ in MIGRATIONS}
        newer = sorted(set(applied) - known)
        if newer:
            raise StoreError(
                f"this store has schema migrations {newer} that this version of QRP does not know",
                where="schema_migrations", fix="upgrade qrp_jupyter to open this store")
        done: list[int] = []
        for version, name, statements in MIGRATIONS:
            digest = migration_digest(statements)
            if version in applied:
                if applied[version][1] != digest:
                    raise StoreError(
                        f"migration {version} ({name!r}) recorded in the store has a different "
                        f"digest {applied[version][1][:12]} than this code's {digest[:12]}",
                        where=f"schema_migrations row version={version}",
                        fix="the store was created by a modified QRP; open it with the version "
                            "that created it")
                continue
            for stmt in statements:
                conn.execute(stmt)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, ddl_sha256, applied_at) "
                "VALUES (?, ?, ?, ?)", (version, name, digest, now_iso()))
            done.append(version)
        conn.execute("COMMIT")
        return done
    except BaseException:
        conn.execute("ROLLBACK")
        raise
