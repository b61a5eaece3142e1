"""Runs: register data, execute a config into the store, replay it from the store alone."""

from .datasets import list_datasets, load_dataset, register_dataset, resolve_dataset
from .execute import (OUTPUT_KINDS, ComputedRun, PreparedRun, ProgressCallback, RunOutcome,
                      compute_run, execute_run, function_from_source, prepare_run, record_run)
from .listing import RUN_LISTING_COLUMNS, list_runs
from .replay import load_prepared, replay_attestation, replay_run, resolve_instance

__all__ = [
    "RUN_LISTING_COLUMNS", "list_runs",
    "list_datasets", "load_dataset", "register_dataset", "resolve_dataset",
    "OUTPUT_KINDS", "ComputedRun", "PreparedRun", "ProgressCallback", "RunOutcome",
    "compute_run", "execute_run", "function_from_source", "prepare_run", "record_run",
    "load_prepared", "replay_attestation", "replay_run", "resolve_instance",
]
