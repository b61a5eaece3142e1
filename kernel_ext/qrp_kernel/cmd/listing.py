"""``%qrp_runs`` and ``%qrp_candidates``: the store's runs and candidates as DataFrames."""

from __future__ import annotations

from typing import Any

__all__ = ["runs_frame", "candidates_frame"]

_CANDIDATE_COLUMNS = ["candidate_id", "status", "run_key", "trial_index", "params_json",
                      "sharpe_annual", "family", "run_name", "eligibility_report_id"]


def runs_frame(magics: Any, args: Any):
    import pandas as pd
    from qrp_jupyter.runs import RUN_LISTING_COLUMNS, list_runs
    from qrp_jupyter.store import open_store

    with open_store(magics.store_path(args.db), create=False, readonly=True) as store:
        rows = list_runs(store)
    return pd.DataFrame.from_records(rows, columns=list(RUN_LISTING_COLUMNS))


def candidates_frame(magics: Any, args: Any):
    """The candidates as a DataFrame that displays as the core's candidate listing
    (``application/vnd.qrp.candidates+json``); slices of it are plain DataFrames."""
    import pandas as pd
    from qrp_jupyter.governance import list_candidates
    from qrp_jupyter.store import open_store
    from qrp_jupyter.views import MIME_CANDIDATES, render_bundle

    class CandidateFrame(pd.DataFrame):
        _metadata = ["qrp_bundle"]

        def _repr_mimebundle_(self, include=None, exclude=None):
            return dict(self.qrp_bundle)

    with open_store(magics.store_path(args.db), create=False, readonly=True) as store:
        bundle = render_bundle(store, MIME_CANDIDATES, {}, source=magics.cell_source)
        rows = list_candidates(store)
    frame = CandidateFrame(pd.DataFrame.from_records(rows, columns=_CANDIDATE_COLUMNS))
    frame.qrp_bundle = bundle
    return frame
