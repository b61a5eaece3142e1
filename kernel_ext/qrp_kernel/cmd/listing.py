"""``%qrp_runs`` and ``%qrp_candidates``: the store's runs and candidates as DataFrames.

The frames hold full ids and the values as the store has them (``None`` where something is
missing, never ``NaN``: every column is of object dtype), so code can select and join on them;
what they *display* is the core's listing (:mod:`qrp_jupyter.views`): short ids with the full
id as the HTML cell's title and one missing-value marker. The candidate frame displays the
core's candidate bundle, with its ``application/vnd.qrp.candidates+json`` payload. A slice or
any frame derived from either is a :class:`ListingFrame` too and displays with the same
conventions, without a payload (it shows a selection, which the payload does not vouch for).

Imported by the magic bodies only, so pandas is imported at the first listing, not at
``%load_ext``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from qrp_jupyter.store import open_store
from qrp_jupyter.views import (MIME_CANDIDATES, RUN_COLUMNS, candidate_rows, listing_bundle,
                               render_bundle, runs_listing)

__all__ = ["ListingFrame", "listing_frame", "runs_frame", "candidates_frame"]

#: The candidate frame's columns: the payload's fields, then the last report flattened.
_CANDIDATE_COLUMNS = ["candidate_id", "status", "family", "run_name", "trial_index", "params",
                      "sharpe_annual", "last_verdict", "blockers", "last_report_id",
                      "eligibility_report_id", "run_key"]


class ListingFrame(pd.DataFrame):
    """A DataFrame that displays as a QRP listing.

    ``_qrp_bundle`` is the bundle the magic made for the frame as returned; as an internal
    name it is not carried over to derived frames, which display their own rows under the
    same title (``_qrp_title``, pandas metadata, is carried over).
    """

    _internal_names = [*pd.DataFrame._internal_names, "_qrp_bundle"]
    _internal_names_set = set(_internal_names)
    _metadata = ["_qrp_title"]
    _qrp_bundle: dict[str, Any] | None = None
    _qrp_title = "QRP listing"

    @property
    def _constructor(self):
        return ListingFrame

    def _repr_mimebundle_(self, include=None, exclude=None):
        if self._qrp_bundle is not None:
            return dict(self._qrp_bundle)
        names = [str(c) for c in self.columns]
        rows = [dict(zip(names, r)) for r in self.itertuples(index=False, name=None)]
        return listing_bundle(f"{self._qrp_title}: {len(rows)} row(s)",
                              [(n, n) for n in names], rows)


def listing_frame(rows: list[dict[str, Any]], columns: list[str], *, title: str,
                  bundle: dict[str, Any] | None = None) -> ListingFrame:
    """A :class:`ListingFrame` of ``rows`` (object columns, so missing stays ``None``) that
    displays as ``bundle`` (default: the generic listing of its rows)."""
    frame = ListingFrame({c: [r.get(c) for r in rows] for c in columns}, columns=columns,
                         dtype=object)
    frame._qrp_title = title
    frame._qrp_bundle = bundle
    return frame


def runs_frame(magics: Any, args: Any) -> ListingFrame:
    """Every run with its trials, statistics, status and last report (``runs_listing``)."""
    with open_store(magics.store_path(args.db), create=False, readonly=True) as store:
        rows = runs_listing(store)
    return listing_frame(rows, [k for k, _ in RUN_COLUMNS], title="QRP runs",
                         bundle=listing_bundle(f"QRP runs: {len(rows)}", RUN_COLUMNS, rows,
                                               kind="runs"))


def candidates_frame(magics: Any, args: Any) -> ListingFrame:
    """The candidates as a frame that displays as the core's candidate listing
    (``application/vnd.qrp.candidates+json``)."""
    with open_store(magics.store_path(args.db), create=False, readonly=True) as store:
        bundle = render_bundle(store, MIME_CANDIDATES, {}, source=magics.cell_source)
    return listing_frame(candidate_rows(bundle[MIME_CANDIDATES]), _CANDIDATE_COLUMNS,
                         title="QRP candidates", bundle=bundle)
