"""``%qrp_runs`` and ``%qrp_candidates``: the store's runs and candidates as DataFrames."""

from __future__ import annotations

from typing import Any

__all__ = ["runs_frame", "candidates_frame"]

#: One row per run_key, oldest first, with how many times it was executed (its instances).
RUNS_SQL = """
SELECT u.run_key, u.name, u.family, u.dataset_id_v2, u.code_hash, u.engine_version,
       COUNT(i.run_instance_id) AS instances, u.created_at
FROM runs u LEFT JOIN run_instances i ON i.run_key = u.run_key AND i.purpose = 'run'
GROUP BY u.run_key
ORDER BY u.created_at, u.run_key
"""

_RUN_COLUMNS = ["run_key", "name", "family", "dataset_id_v2", "code_hash", "engine_version",
                "instances", "created_at"]
_CANDIDATE_COLUMNS = ["candidate_id", "status", "run_key", "trial_index", "params_json",
                      "sharpe_annual", "family", "run_name", "eligibility_report_id"]


def runs_frame(magics: Any, args: Any):
    import pandas as pd
    from qrp_jupyter.store import open_store

    with open_store(magics.store_path(args.db), create=False) as store:
        rows = [dict(r) for r in store.all(RUNS_SQL)]
    return pd.DataFrame.from_records(rows, columns=_RUN_COLUMNS)


def candidates_frame(magics: Any, args: Any):
    import pandas as pd
    from qrp_jupyter.governance import list_candidates
    from qrp_jupyter.store import open_store

    with open_store(magics.store_path(args.db), create=False) as store:
        rows = list_candidates(store)
    return pd.DataFrame.from_records(rows, columns=_CANDIDATE_COLUMNS)
