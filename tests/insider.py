"""The insider of DESIGN section 3: someone holding the store's file and the standard library.

Tests read and tamper with rows the way that insider would: raw SQL on their own connection
(``sqlite3.connect(path)``), never through QRP's store layer, so what they see or break is what
an outsider to QRP's code would. An in-memory store has no file to open; there the store's
private connection ``store._conn`` is the insider's handle.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Any, Iterator


@contextmanager
def connect(store) -> Iterator[sqlite3.Connection]:
    """A raw connection to ``store``'s database, in autocommit mode, rows as ``sqlite3.Row``."""
    if store.path == ":memory:":
        yield store._conn  # in memory: the store's own connection is the only way in
        return
    con = sqlite3.connect(store.path, isolation_level=None, timeout=60)
    con.row_factory = sqlite3.Row
    try:
        yield con
    finally:
        con.close()


def rows(store, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    with connect(store) as con:
        cur = con.execute(sql, params)
        cur.row_factory = sqlite3.Row
        return cur.fetchall()


def row(store, sql: str, params: tuple = ()) -> Any:
    found = rows(store, sql, params)
    return found[0] if found else None


def execute(store, sql: str, params: tuple = ()) -> None:
    """One statement, committed at once (autocommit)."""
    with connect(store) as con:
        con.execute(sql, params)


@contextmanager
def transaction(store) -> Iterator[sqlite3.Connection]:
    """Several raw statements committed together."""
    with connect(store) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")


@contextmanager
def without(c, *triggers):
    """Drop triggers, do the edit, put them back exactly as they were (verify's schema check
    then sees nothing)."""
    from qrp_jupyter.store.migrations import expected_schema
    schema = expected_schema()
    for t in triggers:
        c.execute(f"DROP TRIGGER {t}")
    try:
        yield
    finally:
        for t in triggers:
            c.execute(schema[("trigger", t)])


@contextmanager
def sealed(c):
    """The ledger-aware insider: their writes go into a block of their own."""
    from qrp_jupyter.store import ledger
    ledger.install_capture(c)
    c.execute("BEGIN IMMEDIATE")
    yield
    ledger.seal(c)
    c.execute("COMMIT")
