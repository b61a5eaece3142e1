"""The fold-causality attestation: proof, from the rows actually read, that no fold peeked.

It is computed from the row indices the selection step really touched (recorded by
:class:`~qrp_jupyter.engine.walkforward.TrackedReturns`) and the test rows really used, never
from the fold definitions alone: an off-by-one slice or a selector that reads the whole matrix
is caught even when the folds themselves are fine. The result holds plain JSON types only and is
stored as an artifact of the run (DESIGN sections 4 and 6).

One rule covers walk-forward folds and the splits of combinatorial purged cross-validation
alike, where a split's test rows may form several blocks and training rows may lie on both sides
of them: every row read for training lies in the declared train rows and outside
``[first - purge, last + embargo]`` of every block ``[first, last]`` of consecutive test rows of
its fold. The blocks are taken from the test rows actually used. The last part is checked as
three rules (purge before a block, the block itself, embargo after it) so that a failure says
which one was broken.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import ConfigError
from ._inputs import whole_number

__all__ = ["ATTESTATION_VERSION", "RULES", "fold_causality_attestation"]

ATTESTATION_VERSION = 2

#: Rule name -> what it asserts, in the order the rules are checked.
RULES: dict[str, str] = {
    "test_rows_present": "every fold evaluates at least one test row",
    "purge_gap": ("no train row read lies in the `purge` rows before a block of test rows "
                  "([first - purge, first - 1])"),
    "train_test_disjoint": "no row is both read for training and tested by the same fold",
    "reads_within_train": "every row read for training lies in the fold's declared train rows",
    "embargo": ("no train row read lies in the `embargo` rows after a block of test rows "
                "([last + 1, last + embargo])"),
}

_SHOW = 3  # rows quoted in a reason before "..."


def _rows(x: Any) -> np.ndarray:
    return np.unique(np.asarray(x, dtype=np.int64).ravel())


def _quote(rows: np.ndarray) -> str:
    head = ", ".join(str(int(r)) for r in rows[:_SHOW])
    return head + (", ..." if rows.size > _SHOW else "")


def _blocks(test: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of consecutive rows of a sorted array, as (first, last) inclusive."""
    if test.size == 0:
        return []
    cut = np.flatnonzero(np.diff(test) != 1) + 1
    return [(int(b[0]), int(b[-1])) for b in np.split(test, cut)]


def _declared(fold: Any) -> list[tuple[int, int]]:
    ranges = getattr(fold, "train_ranges", None)
    if ranges is None:
        ranges = ((fold.train_start, fold.train_stop),)
    return [(int(a), int(b)) for a, b in ranges]


def _in_gaps(i: int, read: np.ndarray, blocks: list[tuple[int, int]], purge: int,
             embargo: int) -> tuple[str | None, str | None]:
    """Reasons for reads in the purge rows before, or the embargo rows after, any block."""
    purged, embargoed = [], []
    for first, last in blocks:
        before = read[(read >= first - purge) & (read < first)]
        if before.size:
            purged.append(f"fold {i} read train row(s) {_quote(before)} within the {purge}-row "
                          f"purge before test rows [{first}, {last}] (train rows before them "
                          f"must be < {first - purge})")
        after = read[(read > last) & (read <= last + embargo)]
        if after.size:
            embargoed.append(f"fold {i} read train row(s) {_quote(after)} within the "
                             f"{embargo}-row embargo after test rows [{first}, {last}] (train "
                             f"rows after them must be >= {last + embargo + 1})")
    return "; ".join(purged) or None, "; ".join(embargoed) or None


def fold_causality_attestation(folds: Sequence[Any], *, train_rows_read: Sequence[Any],
                               test_rows: Sequence[Any], purge: int, embargo: int
                               ) -> dict[str, Any]:
    """Check each fold's actual row usage against the causality rules (:data:`RULES`).

    Parameters
    ----------
    folds
        Walk-forward :class:`~qrp_jupyter.engine.walkforward.Fold` objects or CPCV
        :class:`~qrp_jupyter.engine.cpcv.Split` objects, in order (only their ``index`` and
        declared train rows, ``train_ranges``, are used).
    train_rows_read
        Per fold, every row index the selection step read (duplicates allowed).
    test_rows
        Per fold, the row indices whose returns entered the out-of-sample series.
    purge, embargo
        The gaps the run promised, in rows.

    Returns
    -------
    dict
        ``{"kind": "fold_causality", "version": 2, "valid": bool, "purge": int,
        "embargo": int, "n_folds": int, "folds": [...], "checks": [...]}``. Each fold entry has
        ``fold``, ``train_ranges`` (declared, half-open ``[start, stop)`` pairs),
        ``train_min``/``train_max`` (their first and last row), ``test_blocks`` (runs of
        consecutive test rows used, inclusive ``[first, last]``), ``test_min``/``test_max``,
        ``rows_read_min``/``rows_read_max``/``n_rows_read`` (rows read), ``ok`` and ``reason``
        (``None`` when ok, else every failed rule as a sentence naming the fold and the rows).
        Each check has ``rule``, ``description``, ``ok`` and ``failed_folds``. ``valid`` is
        true iff there is at least one fold and every rule holds for every fold.

    Examples
    --------
    >>> from qrp_jupyter.engine import Fold
    >>> f = Fold(0, 0, 10, 12, 15)
    >>> fold_causality_attestation([f], train_rows_read=[range(11)], test_rows=[range(12, 15)],
    ...                            purge=2, embargo=0)["folds"][0]["reason"][:44]
    'fold 0 read train row(s) 10 within the 2-row'
    """
    purge = whole_number(purge, name="walk_forward.purge", low=0)
    embargo = whole_number(embargo, name="walk_forward.embargo", low=0)
    if not (len(folds) == len(train_rows_read) == len(test_rows)):
        raise ConfigError(
            f"got {len(folds)} folds but {len(train_rows_read)} train-row and "
            f"{len(test_rows)} test-row records", where="fold_causality_attestation",
            fix="pass one record of rows read and one of test rows per fold")
    failed: dict[str, list[int]] = {rule: [] for rule in RULES}
    entries = []
    for pos, fold in enumerate(folds):
        i = int(fold.index)
        read = _rows(train_rows_read[pos])
        test = _rows(test_rows[pos])
        blocks = _blocks(test)
        declared = _declared(fold)
        problems: dict[str, str] = {}
        if test.size == 0:
            problems["test_rows_present"] = f"fold {i} has no test rows"
        purged, embargoed = _in_gaps(i, read, blocks, purge, embargo)
        if purged:
            problems["purge_gap"] = purged
        both = np.intersect1d(read, test, assume_unique=True)
        if both.size:
            problems["train_test_disjoint"] = (
                f"fold {i} read row(s) {_quote(both)} for training and also tested them")
        inside = np.zeros(read.shape[0], dtype=bool)
        for a, b in declared:
            inside |= (read >= a) & (read < b)
        outside = read[~inside]
        if outside.size:
            spans = ", ".join(f"[{a}, {b})" for a, b in declared)
            problems["reads_within_train"] = (
                f"fold {i} read row(s) {_quote(outside)} outside its train rows {spans}")
        if embargoed:
            problems["embargo"] = embargoed
        for rule in problems:
            failed[rule].append(i)
        entries.append({
            "fold": i,
            "train_ranges": [[a, b] for a, b in declared],
            "train_min": min(a for a, _ in declared) if declared else None,
            "train_max": max(b for _, b in declared) - 1 if declared else None,
            "test_blocks": [[a, b] for a, b in blocks],
            "test_min": int(test[0]) if test.size else None,
            "test_max": int(test[-1]) if test.size else None,
            "rows_read_min": int(read[0]) if read.size else None,
            "rows_read_max": int(read[-1]) if read.size else None,
            "n_rows_read": int(read.size),
            "ok": not problems,
            "reason": "; ".join(problems[r] for r in RULES if r in problems) or None,
        })
    checks = [{"rule": rule, "description": text, "ok": not failed[rule],
               "failed_folds": failed[rule]} for rule, text in RULES.items()]
    return {
        "kind": "fold_causality",
        "version": ATTESTATION_VERSION,
        "valid": bool(entries) and all(e["ok"] for e in entries),
        "purge": purge,
        "embargo": embargo,
        "n_folds": len(entries),
        "folds": entries,
        "checks": checks,
    }
