"""The fold-causality attestation: proof, from the rows actually read, that no fold peeked.

It is computed from the row indices the selection step really touched (recorded by
:class:`~qrp_jupyter.engine.walkforward.TrackedReturns`) and the test rows really used, never
from the fold definitions alone: an off-by-one slice or a selector that reads the whole matrix
is caught even when the folds themselves are fine. The result holds plain JSON types only and is
stored as an artifact of the run (DESIGN sections 4 and 6).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import ConfigError
from ._inputs import whole_number

__all__ = ["ATTESTATION_VERSION", "RULES", "fold_causality_attestation"]

ATTESTATION_VERSION = 1

#: Rule name -> what it asserts, in the order the rules are checked.
RULES: dict[str, str] = {
    "test_rows_present": "every fold evaluates at least one test row",
    "purge_gap": "max(train rows read) + purge < min(test rows), per fold",
    "train_test_disjoint": "no row is both read for training and tested by the same fold",
    "reads_within_train": "every row read for training lies in the fold's declared train window",
    "embargo": ("train rows read after the fold's own test window or after the previous fold's "
                "test window start at least `embargo` rows after that window's last row"),
}

_SHOW = 3  # rows quoted in a reason before "..."


def _rows(x: Any) -> np.ndarray:
    return np.unique(np.asarray(x, dtype=np.int64).ravel())


def _quote(rows: np.ndarray) -> str:
    head = ", ".join(str(int(r)) for r in rows[:_SHOW])
    return head + (", ..." if rows.size > _SHOW else "")


def _embargo_problem(i: int, read: np.ndarray, window_fold: int, window_max: int | None,
                     embargo: int) -> str | None:
    """Rows of ``read`` in (window_max, window_max + embargo]."""
    if window_max is None or read.size == 0:
        return None
    inside = read[(read > window_max) & (read <= window_max + embargo)]
    if inside.size == 0:
        return None
    return (f"fold {i} read train row(s) {_quote(inside)} within the {embargo}-row embargo after "
            f"fold {window_fold}'s test window (last test row {window_max}; train rows after it "
            f"must be >= {window_max + embargo + 1})")


def fold_causality_attestation(folds: Sequence[Any], *, train_rows_read: Sequence[Any],
                               test_rows: Sequence[Any], purge: int, embargo: int
                               ) -> dict[str, Any]:
    """Check each fold's actual row usage against the walk-forward causality rules.

    Parameters
    ----------
    folds
        The :class:`~qrp_jupyter.engine.walkforward.Fold` objects, in walk-forward order (only
        their ``index`` and declared train window are used).
    train_rows_read
        Per fold, every row index the selection step read (duplicates allowed).
    test_rows
        Per fold, the row indices whose returns entered the out-of-sample series.
    purge, embargo
        The gaps the run promised, in rows.

    Returns
    -------
    dict
        ``{"kind": "fold_causality", "version": 1, "valid": bool, "purge": int,
        "embargo": int, "n_folds": int, "folds": [...], "checks": [...]}``. Each fold entry has
        ``fold``, ``train_min``/``train_max`` (declared window, inclusive),
        ``test_min``/``test_max`` (rows used), ``rows_read_min``/``rows_read_max``/
        ``n_rows_read`` (rows read), ``ok`` and ``reason`` (``None`` when ok, else every
        failed rule as a sentence naming the fold and the rows). Each check has ``rule``,
        ``description``, ``ok`` and ``failed_folds``. ``valid`` is true iff there is at least
        one fold and every rule holds for every fold.

    Examples
    --------
    >>> from qrp_jupyter.engine import Fold
    >>> f = Fold(0, 0, 10, 10, 15)
    >>> fold_causality_attestation([f], train_rows_read=[range(11)], test_rows=[range(10, 15)],
    ...                            purge=0, embargo=0)["folds"][0]["reason"][:41]
    'fold 0 read train row 10 but with purge 0'
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
    prev_test_max: int | None = None
    for pos, fold in enumerate(folds):
        i = int(fold.index)
        read = _rows(train_rows_read[pos])
        test = _rows(test_rows[pos])
        t_min = int(test[0]) if test.size else None
        t_max = int(test[-1]) if test.size else None
        problems: dict[str, str] = {}
        if test.size == 0:
            problems["test_rows_present"] = f"fold {i} has no test rows"
        if test.size and read.size and read[-1] + purge >= t_min:
            problems["purge_gap"] = (
                f"fold {i} read train row {int(read[-1])} but with purge {purge} rows read must "
                f"be < {t_min - purge} (first test row {t_min})")
        both = np.intersect1d(read, test, assume_unique=True)
        if both.size:
            problems["train_test_disjoint"] = (
                f"fold {i} read row(s) {_quote(both)} for training and also tested them")
        outside = read[(read < fold.train_start) | (read >= fold.train_stop)]
        if outside.size:
            problems["reads_within_train"] = (
                f"fold {i} read row(s) {_quote(outside)} outside its train window "
                f"[{fold.train_start}, {fold.train_stop})")
        if embargo:
            own = _embargo_problem(i, read, i, t_max, embargo)
            prev = _embargo_problem(i, read, int(folds[pos - 1].index), prev_test_max,
                                    embargo) if pos else None
            if own or prev:
                problems["embargo"] = "; ".join(p for p in (own, prev) if p)
        for rule in problems:
            failed[rule].append(i)
        entries.append({
            "fold": i,
            "train_min": int(fold.train_start),
            "train_max": int(fold.train_stop) - 1,
            "test_min": t_min,
            "test_max": t_max,
            "rows_read_min": int(read[0]) if read.size else None,
            "rows_read_max": int(read[-1]) if read.size else None,
            "n_rows_read": int(read.size),
            "ok": not problems,
            "reason": "; ".join(problems[r] for r in RULES if r in problems) or None,
        })
        prev_test_max = t_max
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
