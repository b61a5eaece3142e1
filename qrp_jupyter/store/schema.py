"""What the QRP store enforces, as names: statuses, transitions, protected tables, ledger keys.

The SQL itself (tables, triggers, views) is frozen text, one file per migration under
``store/sql/`` (house style: SQL is readable text; an applied migration is never edited, so a
store made by any released version keeps opening). The expected schema is what replaying
those files gives (:func:`qrp_jupyter.store.migrations.expected_schema`); ``verify`` compares
every table, index, trigger and view of a store with it.

Enforced by the database (DESIGN section 3), each by a constraint or a trigger whose message
names it (``qrp[<trigger name>]: ...``):

* candidate ``status`` is one of five case-exact values (CHECK);
* legal transitions only (``trg_candidates_transition``, the SQL form of :data:`TRANSITIONS`);
  a new candidate starts exploratory with no report;
* ``candidate``/``accepted`` rows point at an existing, passing report of the same level for the
  same candidate, checked on INSERT and on UPDATE of the status or of the link;
* the report link only changes together with a promotion (no swapping evidence afterwards);
* reports, events, lineage, edges, runs, instances, trials, policies, dataset names, the
  ledger and the migration record: append-only;
* artifacts and datasets never change, and are never deleted while anything references them;
  an artifact too large for one SQLite value is held in ``artifact_chunks``, append-only,
  whose parts are appended in order only to an artifact whose row holds no data;
* no INSERT may meet an existing primary or UNIQUE key of a protected table, which is what
  stops ``INSERT OR REPLACE`` and upserts (``trg_<table>_no_replace``);
* ``governance_events`` and ``ledger_blocks`` are numbered without gaps and each links to its
  predecessor's hash.

Hash correctness (event chain, report ids, blob hashes, the ledger) cannot be computed by SQLite
itself; ``verify`` recomputes every one, which is what makes dropping these triggers visible.
"""

from __future__ import annotations

__all__ = ["STATUSES", "LEVELS", "GENESIS_HASH", "TRANSITIONS", "APPEND_ONLY", "NEVER_CHANGE",
           "PRIMARY_KEYS", "MUTABLE_COLUMNS", "LEDGERED_TABLES", "is_legal_transition"]

STATUSES = ("exploratory", "candidate", "accepted", "rejected", "retired")
LEVELS = ("candidate", "accepted")
GENESIS_HASH = "0" * 64

#: The legal status transitions, the one definition: ``trg_candidates_transition`` (migration 2)
#: is this table in SQL, and a test compares the two over all 25 status pairs. An UPDATE that
#: leaves the status as it is (a no-op) is not a transition; the trigger lets it through.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "exploratory": ("candidate", "rejected", "retired"),
    "candidate": ("accepted", "rejected", "retired"),
    "accepted": ("rejected", "retired"),
    "rejected": ("retired",),
    "retired": (),
}

#: Tables whose rows never change or disappear once written.
APPEND_ONLY = (
    "runs", "run_instances", "trials", "policies", "dataset_names", "eligibility_reports",
    "governance_events", "artifact_lineage", "artifact_edges", "ledger_blocks",
    "ledger_entries", "schema_migrations", "artifact_chunks",
)
#: Tables whose rows never change, and are deleted only while nothing references them.
NEVER_CHANGE = ("artifacts", "datasets")

#: Primary key columns of every table the ledger covers, in key order.
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "schema_migrations": ("version",),
    "artifacts": ("artifact_id",),
    "artifact_chunks": ("artifact_id", "seq"),
    "datasets": ("dataset_id_v2",),
    "dataset_names": ("name", "dataset_id_v2"),
    "runs": ("run_key",),
    "run_instances": ("run_instance_id",),
    "trials": ("run_key", "trial_index"),
    "policies": ("policy_hash",),
    "promotion_candidates": ("candidate_id",),
    "eligibility_reports": ("eligibility_report_id",),
    "governance_events": ("seq",),
    "artifact_lineage": ("lineage_id",),
    "artifact_edges": ("child_id", "parent_id", "relation"),
}
#: Every table whose rows the ledger covers (all but the ledger's own two).
LEDGERED_TABLES = tuple(PRIMARY_KEYS)

#: The only columns QRP ever updates; each change is a new version in the ledger.
MUTABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "promotion_candidates": ("status", "eligibility_report_id", "updated_at"),
}


def is_legal_transition(old: str, new: str) -> bool:
    """Whether a candidate may move from status ``old`` to status ``new`` (``old != new``)."""
    return new in TRANSITIONS.get(old, ())
