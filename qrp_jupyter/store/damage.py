"""Where a store file is damaged: pages, tables and rows, as precisely as SQLite can say.

A flipped byte inside a value is not damage SQLite sees (its checksums are the ledger's job);
a zeroed or scrambled page is. :func:`locate` asks SQLite's ``integrity_check`` first, maps the
b-tree root pages it names to tables and indexes, and where the check itself cannot run (a
damaged root page stops it) checks table by table, then reads every row of a table that fails,
so the report says which table is unreadable and after which row.

Text that is not valid UTF-8 (a flipped bit in a string) is read with replacement characters
(:func:`lenient_text`), so it shows up as a hash that does not match instead of an exception.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from ..errors import StoreError

__all__ = ["Damage", "locate", "lenient_text", "is_damage"]

_MAX_MESSAGES = 100
_PAGE = re.compile(r"\b(?:Tree|Page) (\d+)")


@dataclass(frozen=True)
class Damage:
    """One place where the file is damaged: ``where`` names the table, index or page."""

    where: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"where": self.where, "detail": self.detail}


def lenient_text(raw: bytes) -> str:
    """A stored TEXT value; bytes that are not UTF-8 become U+FFFD (and the value's hash,
    wherever one is checked, then differs)."""
    return raw.decode("utf-8", "replace")


#: What a read may raise when the file is damaged: the driver's error or the store's own
#: (layers above the store catch this tuple and sort it with :func:`is_damage`, without
#: importing the driver themselves).
MAY_BE_DAMAGE = (sqlite3.DatabaseError, StoreError)


def is_damage(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite saying the file is damaged (not a refusal or a lock)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return True
    from .failures import StoreDamaged
    return isinstance(exc, StoreDamaged)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _objects(conn: sqlite3.Connection) -> dict[int, tuple[str, str]]:
    """``{root page: (type, name)}`` of every table and index."""
    return {root: (kind, name) for kind, name, root in conn.execute(
        "SELECT type, name, rootpage FROM sqlite_master WHERE type IN ('table', 'index') "
        "AND rootpage > 0")}


def _where(message: str, objects: dict[int, tuple[str, str]]) -> str:
    m = _PAGE.search(message)
    if not m:
        return "<file>"
    page = int(m.group(1))
    if message.startswith("Tree") and page in objects:
        kind, name = objects[page]
        return f"{kind} {name} (root page {page})"
    return f"page {page}"


def _integrity(conn: sqlite3.Connection, target: str | None = None) -> list[str]:
    arg = f"({_quoted(target)})" if target else f"({_MAX_MESSAGES})"
    rows = [r[0] for r in conn.execute(f"PRAGMA integrity_check{arg}")]
    return [] if rows == ["ok"] else rows


def _read_all(conn: sqlite3.Connection, table: str) -> tuple[int, int | None, str | None]:
    """Rows read, the last rowid read, and the error that stopped the read (or ``None``)."""
    n, last = 0, None
    try:
        for row in conn.execute(f"SELECT rowid, * FROM {_quoted(table)}"):
            n, last = n + 1, row[0]
    except sqlite3.DatabaseError as exc:
        return n, last, " ".join(str(exc).split())
    return n, last, None


def locate(conn: sqlite3.Connection) -> list[Damage]:
    """Every place SQLite can name where the file behind ``conn`` is damaged; ``[]`` for a
    file SQLite finds sound. Never raises for damage (it is what is reported)."""
    try:
        objects = _objects(conn)
    except sqlite3.DatabaseError as exc:
        return [Damage("sqlite_master (page 1)", "the schema cannot be read: "
                       f"{' '.join(str(exc).split())}; nothing in the file can be checked")]
    try:
        return [Damage(_where(m, objects), m) for m in _integrity(conn)]
    except sqlite3.DatabaseError as exc:
        whole = " ".join(str(exc).split())
    out = [Damage("<file>", f"integrity_check stopped: {whole}; checking table by table")]
    for root, (kind, name) in sorted(objects.items()):
        if kind != "table":
            continue
        try:
            out += [Damage(_where(m, objects), m) for m in _integrity(conn, name)]
            continue
        except sqlite3.DatabaseError:
            pass
        n, last, error = _read_all(conn, name)
        after = f"after {n} row(s) (last rowid {last})" if n else "from its first row"
        out.append(Damage(f"table {name} (root page {root})",
                          f"unreadable {after}: {error}" if error else
                          f"its rows read, but its b-tree or an index of it is damaged"))
    return out
