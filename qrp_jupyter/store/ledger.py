"""The ledger: one hash-chained block per write transaction, covering every row it wrote.

Modelled on SQL Server's ledger tables (database ledger, per-transaction table hashes,
database digests, ``sp_verify_database_ledger``). Each write transaction appends one row to
``ledger_blocks`` and, to ``ledger_entries``, one row per table row it inserted or changed:

* ``row_key``: the JSON list of the row's primary key values;
* ``row_hash``: SHA-256 of the row's canonical form (:func:`row_canonical`: the JSON array of
  the table name and every column's value), a BLOB as the SHA-256 of its bytes;
* ``op``: ``insert``, or ``update`` for the few mutable columns (:data:`MUTABLE_COLUMNS`), whose
  new values are kept in ``version_json`` so the history of each such row can be replayed.

A block's ``digests_json`` maps each table it touched to the SHA-256 of that table's entry lines
(``row_key TAB op TAB row_hash``, sorted by ``row_key``, joined by newlines), and its
``block_hash`` is the SHA-256 of :func:`block_text`, which includes the previous block's hash.
The head block's hash is the store's **digest**: recorded outside the file, it pins everything
before it (:func:`extends`).

Rows are captured with TEMP triggers (they live in the connection, not in the file): QRP's own
connections record what each transaction wrote, and :func:`seal` turns that into a block right
before COMMIT. A raw client writes rows no block covers, which :func:`verify_ledger` names.
Stores made before the ledger existed get one ``adopt`` block over all their rows when the
ledger's migration is applied; their earlier history is vouched for only by the other hashes.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from ..identity import canonical_json, now_iso, sha256_hex
from .damage import is_damage
from .schema import (GENESIS_HASH, LEDGERED_TABLES, MUTABLE_COLUMNS, PRIMARY_KEYS,
                     is_legal_transition)

__all__ = ["LEDGER_VERSION", "Block", "row_canonical", "row_hash", "row_key", "block_text",
           "install_capture", "seal", "adopt", "record_migrations", "head", "verify_ledger",
           "extends", "row_problem", "rewind", "LedgerFinding"]

LEDGER_VERSION = 1
_PENDING = "qrp_ledger_pending"


@dataclass(frozen=True)
class Block:
    block_seq: int
    block_hash: str
    created_at: str
    entry_count: int

    def to_dict(self) -> dict[str, Any]:
        return {"block_seq": self.block_seq, "block_hash": self.block_hash,
                "created_at": self.created_at, "entry_count": self.entry_count}


@dataclass(frozen=True)
class LedgerFinding:
    table: str
    row: str
    problem: str


# ---------------------------------------------------------------------------------------------
# Canonical forms
# ---------------------------------------------------------------------------------------------

def _blob(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"sha256": sha256_hex(bytes(v))}
    raise TypeError(f"a {type(v).__name__} has no canonical row form")


# Built once: json.dumps with options builds a new encoder on every call. The output is
# exactly ``json.dumps(value, separators=(",", ":"), ensure_ascii=False)`` (the README's recipe).
_ROW_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=True,
                             default=_blob)
_KEY_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_blob)


def row_canonical(table: str, row: dict[str, Any]) -> str:
    """The canonical text of one row: the compact JSON array ``[table, value, ...]`` with the
    values in the table's declared column order (``row`` as a cursor gives it; ``verify``
    checks the columns are QRP's). Integers and reals stay distinct (SQLite's storage class), a
    BLOB is ``{"sha256": hex}`` of its bytes, a non-finite real is ``Infinity``/``-Infinity``."""
    return _ROW_JSON.encode([table, *row.values()])


def _values_hash(table: str, values: tuple) -> str:
    """:func:`row_hash` of a row given as the tuple of its values in column order."""
    return hashlib.sha256(_ROW_JSON.encode([table, *values]).encode("utf-8")).hexdigest()


def row_hash(table: str, row: dict[str, Any]) -> str:
    return _values_hash(table, tuple(row.values()))


_PLAIN = re.compile(r"[0-9a-f]{64}")


def row_key(table: str, row: dict[str, Any]) -> str:
    """The JSON list of the row's primary key values (compact)."""
    cols = PRIMARY_KEYS[table]
    if len(cols) == 1:  # fast paths with the encoder's exact output: a hex id, an integer
        v = row[cols[0]]
        if type(v) is int:
            return f"[{v}]"
        if type(v) is str and _PLAIN.fullmatch(v):
            return f'["{v}"]'
    return _KEY_JSON.encode([row[c] for c in cols])


def _tuple_key(table: str, values: tuple, pk: list[int]) -> str:
    """:func:`row_key` of a row given as a tuple, ``pk`` the positions of its key columns."""
    if len(pk) == 1:
        v = values[pk[0]]
        if type(v) is int:
            return f"[{v}]"
        if type(v) is str and _PLAIN.fullmatch(v):
            return f'["{v}"]'
    return _KEY_JSON.encode([values[i] for i in pk])


def _lines_digest(lines: Iterable[tuple[str, str, str]]) -> str:
    text = "\n".join(f"{k}\t{op}\t{h}" for k, op, h in sorted(lines))
    return sha256_hex(text.encode("utf-8"))


def block_text(block_seq: int, prev_block_hash: str, kind: str, entry_count: int,
               created_at: str, digests_json: str) -> str:
    """What a block's hash is the SHA-256 of (lines joined by newlines, no final newline)."""
    return "\n".join((f"qrp-ledger-v{LEDGER_VERSION}", str(block_seq), prev_block_hash, kind,
                      str(entry_count), created_at, digests_json))


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

def install_capture(conn: sqlite3.Connection) -> None:
    """TEMP triggers that note the rowid of every row this connection inserts or updates in a
    ledgered table. Idempotent; they vanish with the connection."""
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_PENDING} ("
                 "tbl TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (tbl, rid))")
    for t in LEDGERED_TABLES:
        for when in ("INSERT", "UPDATE"):
            conn.execute(
                f"CREATE TEMP TRIGGER IF NOT EXISTS qrp_capture_{t}_{when.lower()} "
                f"AFTER {when} ON main.{t} BEGIN "
                f"INSERT OR IGNORE INTO {_PENDING} (tbl, rid) VALUES ('{t}', NEW.rowid); END")


def _rows_by_rowid(conn: sqlite3.Connection, table: str, rowids: list[int]
                   ) -> Iterator[dict[str, Any]]:
    """The rows with these rowids, one at a time (a part of a large artifact is 256 MiB)."""
    for i in range(0, len(rowids), 500):
        chunk = rowids[i:i + 500]
        cur = conn.execute(f"SELECT * FROM {table} WHERE rowid IN "
                           f"({','.join('?' * len(chunk))})", chunk)
        names = [d[0] for d in cur.description]
        for r in cur:
            yield dict(zip(names, r))


def _all_rows(conn: sqlite3.Connection, table: str) -> Iterable[dict[str, Any]]:
    cur = conn.execute(f"SELECT * FROM {table}")
    names = [d[0] for d in cur.description]
    for r in cur:
        yield dict(zip(names, r))


def _entries_for(conn: sqlite3.Connection, table: str, rows: Iterable[dict[str, Any]],
                 *, first: bool) -> list[tuple[str, str, str, str | None]]:
    mutable = MUTABLE_COLUMNS.get(table)
    out = []
    for row in rows:
        key = row_key(table, row)
        op = "insert"
        if not first and conn.execute(
                "SELECT 1 FROM ledger_entries WHERE table_name = ? AND row_key = ? LIMIT 1",
                (table, key)).fetchone():
            op = "update"
        version = canonical_json({c: row[c] for c in mutable}) if mutable else None
        out.append((key, op, row_hash(table, row), version))
    return out


def _append_block(conn: sqlite3.Connection, kind: str,
                  entries: dict[str, list[tuple[str, str, str, str | None]]]) -> Block | None:
    entries = {t: e for t, e in entries.items() if e}
    if not entries:
        return None
    last = conn.execute("SELECT block_seq, block_hash FROM ledger_blocks "
                        "ORDER BY block_seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    digests = canonical_json({t: _lines_digest((k, op, h) for k, op, h, _ in e)
                              for t, e in entries.items()})
    count = sum(len(e) for e in entries.values())
    created = now_iso()
    bhash = sha256_hex(block_text(seq, prev, kind, count, created, digests).encode("utf-8"))
    conn.execute("INSERT INTO ledger_blocks (block_seq, prev_block_hash, kind, entry_count, "
                 "digests_json, block_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (seq, prev, kind, count, digests, bhash, created))
    conn.executemany(
        "INSERT INTO ledger_entries (block_seq, table_name, row_key, op, row_hash, "
        "version_json) VALUES (?, ?, ?, ?, ?, ?)",
        [(seq, t, k, op, h, v) for t, e in entries.items() for k, op, h, v in e])
    return Block(seq, bhash, created, count)


def _has_ledger(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                        "AND name = 'ledger_blocks'").fetchone() is not None


def seal(conn: sqlite3.Connection) -> Block | None:
    """Inside the open write transaction: append the block over every row this connection
    wrote since the last seal, and forget them. No rows written, no block."""
    pending = conn.execute(f"SELECT tbl, rid FROM temp.{_PENDING} ORDER BY tbl, rid").fetchall()
    if not pending:
        return None
    by_table: dict[str, list[int]] = {}
    for t, rid in pending:
        by_table.setdefault(t, []).append(rid)
    entries = {t: _entries_for(conn, t, _rows_by_rowid(conn, t, rids), first=False)
               for t, rids in by_table.items()}
    block = _append_block(conn, "write", entries)
    conn.execute(f"DELETE FROM temp.{_PENDING}")
    return block


def discard_pending(conn: sqlite3.Connection) -> None:
    """After a ROLLBACK: nothing that was noted was written."""
    conn.execute(f"DELETE FROM temp.{_PENDING}")


def adopt(conn: sqlite3.Connection) -> Block | None:
    """The first block of a store: every row it already holds (the migration that added the
    ledger, on a new store only its own migration rows)."""
    entries = {t: _entries_for(conn, t, list(_all_rows(conn, t)), first=True)
               for t in LEDGERED_TABLES}
    return _append_block(conn, "adopt", entries)


def record_migrations(conn: sqlite3.Connection, versions: list[int]) -> None:
    """Called by the migration runner inside its transaction after applying ``versions``:
    the ledger's first migration adopts the store; later ones add a block over their
    ``schema_migrations`` rows."""
    if not versions or not _has_ledger(conn):
        return
    if conn.execute("SELECT 1 FROM ledger_blocks LIMIT 1").fetchone() is None:
        adopt(conn)
        return
    rows = [r for r in _all_rows(conn, "schema_migrations") if r["version"] in versions]
    _append_block(conn, "write", {"schema_migrations":
                                  _entries_for(conn, "schema_migrations", rows, first=False)})


def head(conn: sqlite3.Connection) -> Block | None:
    """The newest block: its hash is the store's digest."""
    r = conn.execute("SELECT block_seq, block_hash, created_at, entry_count FROM ledger_blocks "
                     "ORDER BY block_seq DESC LIMIT 1").fetchone()
    return Block(*r) if r else None


# ---------------------------------------------------------------------------------------------
# Verifying
# ---------------------------------------------------------------------------------------------

def _check_blocks(conn: sqlite3.Connection, entries: dict[int, dict[str, list]],
                  out: list[LedgerFinding]) -> list[tuple]:
    blocks = conn.execute("SELECT block_seq, prev_block_hash, kind, entry_count, digests_json, "
                          "block_hash, created_at FROM ledger_blocks ORDER BY block_seq"
                          ).fetchall()
    prev = GENESIS_HASH
    for i, (seq, prev_hash, kind, count, digests_json, bhash, created) in enumerate(blocks, 1):
        where = f"block_seq={seq}"
        if seq != i:
            out.append(LedgerFinding("ledger_blocks", where,
                                     f"block {i} is missing (the chain jumps to {seq})"))
        if prev_hash != prev:
            out.append(LedgerFinding("ledger_blocks", where, "prev_block_hash is not the "
                                     "previous block's hash (a block was removed or rewritten)"))
        if kind == "adopt" and i != 1:
            out.append(LedgerFinding("ledger_blocks", where, "an adopt block after the first"))
        got = entries.get(seq, {})
        recomputed = canonical_json({t: _lines_digest((k, op, h) for k, op, h in e)
                                     for t, e in sorted(got.items())})
        if recomputed != digests_json:
            out.append(LedgerFinding("ledger_blocks", where, "its entries do not hash to its "
                                     "digests (an entry was added, changed or removed)"))
        n = sum(len(e) for e in got.values())
        if n != count:
            out.append(LedgerFinding("ledger_blocks", where,
                                     f"entry_count {count} but {n} entries"))
        if sha256_hex(block_text(seq, prev_hash, kind, count, created,
                                 digests_json).encode("utf-8")) != bhash:
            out.append(LedgerFinding("ledger_blocks", where,
                                     "block_hash does not match its contents"))
        prev = bhash
    return blocks


def _check_versions(table: str, key: str, row: dict[str, Any], history: list,
                    adopted: int | None, out: list[LedgerFinding]) -> None:
    """Replay a mutable row: every version hashes to its entry with today's immutable
    columns, the first is a new candidate (unless the row was adopted, with whatever status it
    had, by block ``adopted``), and each status change is a legal transition."""
    cols = MUTABLE_COLUMNS[table]
    prev_status = None
    for seq, op, h, version_json in history:
        try:
            version = json.loads(version_json or "null")
            old = {**row, **{c: version[c] for c in cols}}
        except (ValueError, TypeError, KeyError):
            out.append(LedgerFinding(table, key, f"version in block {seq} is unreadable"))
            return
        if row_hash(table, old) != h:
            out.append(LedgerFinding(table, key, f"the version recorded in block {seq} does "
                                     "not hash to its entry (history rewritten)"))
        status = old.get("status")
        if prev_status is None:
            fresh = status == "exploratory" and old.get("eligibility_report_id") is None
            if seq != adopted and not fresh:
                out.append(LedgerFinding(table, key, f"first version (block {seq}) is not a "
                                         "new exploratory candidate"))
        elif status != prev_status and not is_legal_transition(prev_status, status):
            out.append(LedgerFinding(table, key, f"block {seq} records the illegal transition "
                                     f"{prev_status} -> {status}"))
        prev_status = status


def _check_table_rows(conn: sqlite3.Connection, table: str, recorded: dict[str, list],
                      adopted: int | None, out: list[LedgerFinding]) -> int:
    """Check every row of ``table`` against its ledger history, popping each one checked from
    ``recorded`` (what is left there has vanished). Returns the number of rows read."""
    cur = conn.execute(f"SELECT * FROM {table}")
    names = [d[0] for d in cur.description]
    pk = [names.index(c) for c in PRIMARY_KEYS[table]]
    n = 0
    for values in cur:
        n += 1
        key = _tuple_key(table, values, pk)
        hist = recorded.pop(key, None)
        if not hist:
            out.append(LedgerFinding(table, key, "no ledger block covers this row "
                                     "(written outside QRP: a forged append?)"))
            continue
        if hist[0][1] != "insert" or any(op != "update" for _, op, _, _ in hist[1:]):
            out.append(LedgerFinding(table, key, "its ledger history does not start with "
                                     "one insert"))
        if len(hist) > 1 and table not in MUTABLE_COLUMNS:
            out.append(LedgerFinding(table, key, f"the ledger records {len(hist) - 1} "
                                     "update(s) of a row that never changes"))
        if _values_hash(table, values) != hist[-1][2]:
            out.append(LedgerFinding(table, key, f"row changed since ledger block "
                                     f"{hist[-1][0]} recorded it"))
        elif table in MUTABLE_COLUMNS:
            _check_versions(table, key, dict(zip(names, values)), hist, adopted, out)
    return n


def verify_ledger(conn: sqlite3.Connection) -> tuple[list[LedgerFinding], dict[str, int]]:
    """Recompute the whole ledger from the rows: blocks and their chain, every entry, and every
    row of every ledgered table. Returns findings (table, row, problem) and counts."""
    out: list[LedgerFinding] = []
    if not _has_ledger(conn):
        return [LedgerFinding("ledger_blocks", "-", "the store has no ledger")], {}
    by_block: dict[int, dict[str, list]] = {}
    history: dict[str, dict[str, list]] = {}
    for seq, t, k, op, h, v in conn.execute(
            "SELECT block_seq, table_name, row_key, op, row_hash, version_json "
            "FROM ledger_entries ORDER BY table_name, row_key, block_seq"):
        by_block.setdefault(seq, {}).setdefault(t, []).append((k, op, h))
        history.setdefault(t, {}).setdefault(k, []).append((seq, op, h, v))
    blocks = _check_blocks(conn, by_block, out)
    known = {b[0] for b in blocks}
    adopted = blocks[0][0] if blocks and blocks[0][2] == "adopt" else None
    for seq in sorted(set(by_block) - known):
        out.append(LedgerFinding("ledger_entries", f"block_seq={seq}",
                                 "entries of a block that does not exist"))
    rows_checked = 0
    for table in LEDGERED_TABLES:
        recorded = history.pop(table, {})
        try:
            rows_checked += _check_table_rows(conn, table, recorded, adopted, out)
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            out.append(LedgerFinding(table, "-", "its rows could not all be read (the file is "
                                     f"damaged: {' '.join(str(exc).split())}); the rest of "
                                     "the ledger was checked"))
            continue
        for key, hist in recorded.items():
            out.append(LedgerFinding(table, key, f"row recorded in ledger block "
                                     f"{hist[-1][0]} has vanished (deleted)"))
    for t in history:
        out.append(LedgerFinding("ledger_entries", t,
                                 "entries for a table the ledger does not cover"))
    return out, {"ledger blocks": len(blocks), "ledgered rows": rows_checked}


def row_problem(conn: sqlite3.Connection, table: str, key_values: list[Any]) -> str | None:
    """Why the row of ``table`` with primary key ``key_values`` cannot be trusted (missing,
    covered by no block, or changed since its block), or None when the ledger vouches for it.
    The cheap check a writer makes before acting on a row as evidence."""
    cols = PRIMARY_KEYS[table]
    cur = conn.execute(f"SELECT * FROM {table} WHERE "
                       + " AND ".join(f"{c} = ?" for c in cols), key_values)
    names = [d[0] for d in cur.description]
    r = cur.fetchone()
    if r is None:
        return f"{table} row {key_values} is missing"
    row = dict(zip(names, r))
    got = conn.execute("SELECT row_hash, block_seq FROM ledger_entries WHERE table_name = ? "
                       "AND row_key = ? ORDER BY block_seq DESC LIMIT 1",
                       (table, row_key(table, row))).fetchone()
    if got is None:
        return f"{table} row {key_values} is covered by no ledger block (written outside QRP)"
    if got[0] != row_hash(table, row):
        return f"{table} row {key_values} changed since ledger block {got[1]} recorded it"
    return None


def extends(conn: sqlite3.Connection, digest: str) -> tuple[bool, str]:
    """Whether the store's ledger still contains the block whose hash is ``digest`` (a head
    recorded earlier). Together with a clean :func:`verify_ledger`, which re-derives every block
    hash from the rows and the chain, that proves nothing before it was rewritten."""
    digest = digest.strip().lower()
    r = conn.execute("SELECT block_seq FROM ledger_blocks WHERE block_hash = ?",
                     (digest,)).fetchone()
    if r is None:
        return False, (f"no ledger block has hash {digest[:12]}…: history before that digest "
                       "was rewritten, or it is another store's digest")
    return True, f"block {r[0]} has hash {digest[:12]}…"


# ---------------------------------------------------------------------------------------------
# The store as of a recorded head
# ---------------------------------------------------------------------------------------------

def rewind(conn: sqlite3.Connection, block_seq: int) -> None:
    """Turn ``conn`` (a private copy of a store) into the store as ledger block ``block_seq``
    left it: every row no block up to it covers is removed (rows written later, or outside
    QRP), each mutable row gets back the version recorded last up to that block, and later
    blocks go. Triggers are dropped for the edit and restored with their own text, so the copy
    has QRP's schema. Only ever called on a copy: it deletes rows."""
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                            "ORDER BY name").fetchall()
    for name, _ in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    versions: dict[tuple[str, str], str | None] = {}
    for t, k, v in conn.execute("SELECT table_name, row_key, version_json FROM ledger_entries "
                                "WHERE block_seq <= ? ORDER BY block_seq", (block_seq,)):
        versions[(t, k)] = v
    for table in LEDGERED_TABLES:
        mutable = MUTABLE_COLUMNS.get(table, ())
        # The key and mutable columns only: a table's blobs never need to be in memory here.
        cols = ", ".join(dict.fromkeys(PRIMARY_KEYS[table] + mutable))
        cur = conn.execute(f"SELECT rowid AS qrp_rowid, {cols} FROM {table}")
        names = [d[0] for d in cur.description]
        gone, restore = [], []
        for r in cur.fetchall():
            row = dict(zip(names, r))
            rid = row.pop("qrp_rowid")
            key = (table, row_key(table, row))
            if key not in versions:
                gone.append((rid,))
            elif mutable:
                version = json.loads(versions[key] or "{}")
                restore.append(tuple(version.get(c, row[c]) for c in mutable) + (rid,))
        conn.executemany(f"DELETE FROM {table} WHERE rowid = ?", gone)
        if restore:
            sets = ", ".join(f"{c} = ?" for c in mutable)
            conn.executemany(f"UPDATE {table} SET {sets} WHERE rowid = ?", restore)
    conn.execute("DELETE FROM ledger_entries WHERE block_seq > ?", (block_seq,))
    conn.execute("DELETE FROM ledger_blocks WHERE block_seq > ?", (block_seq,))
    for _, sql in triggers:
        conn.execute(sql)
