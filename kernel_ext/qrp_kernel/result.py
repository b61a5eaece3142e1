"""``RunResult``: what ``%%qrp_run`` returns — identities, summary, and lazy access to the store.

The rich display is the core's run bundle (:func:`qrp_jupyter.views.render_bundle`): ``text/plain``,
a static ``text/html`` (best trials, equity curves, the null distribution with the observed
statistic marked, an eligibility preview) and ``application/vnd.qrp.run+json``, which embeds the
``run_key``, ``dataset_id_v2`` and artifact hashes, the ledger head it was rendered at and the
hash of the cell that displays it, so that ``qrp verify --notebook`` can render it again.
"""

from __future__ import annotations

import json
from typing import Any, Callable

__all__ = ["RunResult"]


class RunResult:
    """One recorded run instance.

    Attributes
    ----------
    run_key, run_instance_id, dataset_id_v2
        The identities (full 64-hex digests).
    artifacts
        ``{kind: artifact id}`` of every output of this instance.
    summary
        The run's summary (best trial, p-values, walk-forward results).
    db
        The store the run was recorded in; data is read from it on demand.
    """

    def __init__(self, outcome: Any, *, db: str, max_trials: int = 10, max_points: int = 400,
                 cell: Callable[[], str | None] = lambda: None):
        self.run_key: str = outcome.run_key
        self.run_instance_id: str = outcome.run_instance_id
        self.dataset_id_v2: str = outcome.dataset_id_v2
        self.artifacts: dict[str, str] = dict(outcome.artifacts)
        self.summary: dict[str, Any] = dict(outcome.summary)
        self.new_run: bool = bool(outcome.new_run)
        self.db = db
        self.max_trials, self.max_points = max_trials, max_points
        self._outcome = outcome
        self._cell = cell  # the source of the cell showing the result, when it is shown
        self._bundles: dict[str | None, dict[str, Any]] = {}

    def _store(self, *, write: bool = False):
        """The run's store: read-only (no lock, no migration) unless ``write`` is asked for."""
        from qrp_jupyter.store import open_store

        return open_store(self.db, create=False, readonly=not write)

    def to_dict(self) -> dict[str, Any]:
        """The core's JSON-able record of the outcome (what ``qrp run --json`` prints)."""
        return self._outcome.to_dict()

    @property
    def trials(self):
        """One row per grid point: parameters as columns, then the stored metrics."""
        import pandas as pd

        with self._store() as store:
            rows = store.all("trials.table", (self.run_key,))
        records = [{"trial_index": r["trial_index"], **json.loads(r["params_json"]),
                    **{k: r[k] for k in r.keys() if k not in ("trial_index", "params_json")}}
                   for r in rows]
        return pd.DataFrame.from_records(records).set_index("trial_index")

    def returns(self):
        """The (T x k) per-period strategy returns matrix, one column per trial."""
        from qrp_jupyter.store import decode_array

        with self._store() as store:
            return decode_array(store.get_artifact(self.artifacts["returns_matrix"]))

    def promote(self, to: str = "candidate", *, trial: int | None = None):
        """Make a candidate of ``trial`` (default: the best in-sample) and promote it to ``to``.

        Returns the promotion outcome (``.passed`` says whether the policy allowed it; a
        refusal is recorded either way). Raises :class:`~qrp_jupyter.errors.QrpError` on bad
        input.
        """
        from .cmd.promote import promote_run

        with self._store(write=True) as store:
            return promote_run(store, self.run_instance_id, to, trial=trial,
                               source=self._cell())

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        """The run bundle, rendered once per cell that shows it (each records its cell)."""
        source = self._cell()
        if source not in self._bundles:
            from qrp_jupyter.views import MIME_RUN, render_bundle

            render = {"ref": self.run_instance_id, "max_trials": self.max_trials,
                      "max_points": self.max_points}
            with self._store() as store:
                self._bundles[source] = render_bundle(store, MIME_RUN, render, source=source)
        return dict(self._bundles[source])

    def __repr__(self) -> str:
        return (f"RunResult(run_key={self.run_key[:12]}..., "
                f"run_instance_id={self.run_instance_id[:12]}..., "
                f"dataset_id_v2={self.dataset_id_v2[:12]}...)")
