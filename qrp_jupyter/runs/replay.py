"""Replay: re-execute a run from what the database holds, and compare result hashes.

Nothing outside the store is consulted: the config is the stored normalised config, the data is
the stored dataset artifact (hash-verified on read), user code is the stored source whose hash
is part of the ``run_key``. The replay attestation lists, per output kind, the original and the
replayed artifact ids; it matches only when every one is identical.
"""

from __future__ import annotations

import json
from typing import Any

from .. import engine
from ..config import RunConfig
from ..data import Dataset
from ..errors import IntegrityProblem, NotFoundError, QrpError
from ..identity import canonical_bytes, code_hash, sha256_hex
from ..store import MEDIA_JSON, Store, encode_json
from ..store.db import ambiguous, clipped_ref, normal_hex_ref
from ..store.failures import StoreDamaged
from .budget import check_run_budget
from .execute import (OUTPUT_KINDS, ComputedRun, PreparedRun, RunOutcome, UserCode, compute_run,
                      record_run)

__all__ = ["resolve_instance", "load_prepared", "replay_attestation", "replay_run"]


def resolve_instance(store: Store, ref: str) -> str:
    """An original (non-replay) run instance from a run_key, an instance id, or a prefix.

    A run_key names its latest original instance. A prefix is looked up among run keys and
    instance ids alike: one that starts more than one of them (of either kind) is ambiguous
    and refused with the matches, never resolved to one of them.
    """
    text = normal_hex_ref(ref)
    if text is None or len(text) < 6:
        raise NotFoundError(f"run reference {clipped_ref(ref)} is not a hex id or prefix",
                            where="RUN", fix="pass a run_key or run_instance_id, or at least 6 "
                                             "of its leading hex characters (see `qrp runs`)")
    hits = [("run", i) for i in store.prefix_matches("runs", "run_key", text)]
    hits += [("run instance", i)
             for i in store.prefix_matches("run_instances", "run_instance_id", text)]
    if len(hits) > 1:
        count = (store.prefix_count("runs", "run_key", text)
                 + store.prefix_count("run_instances", "run_instance_id", text))
        raise ambiguous("run", text, hits, count, where="runs.run_key, "
                        "run_instances.run_instance_id")
    if not hits:
        raise NotFoundError(f"no run or run instance with id starting {text!r} in {store.path}",
                            where="runs.run_key, run_instances.run_instance_id",
                            fix="list them with `qrp runs` or check --db")
    kind, found = hits[0]
    if kind == "run instance":
        return found
    row = store.one("run_instances.latest_original", (found,))
    if row is None:
        raise NotFoundError(f"run {found[:12]} has no recorded instance", where="run_instances",
                            fix="execute the run first")
    return row["run_instance_id"]


def load_prepared(store: Store, run_key: str) -> PreparedRun:
    """Rebuild a :class:`PreparedRun` from the database alone, verifying the ``run_key``."""
    row = store.one("runs.get", (run_key,))
    if row is None:
        raise NotFoundError(f"no run {run_key[:12]}", where="runs", fix="check the run key")
    identity = json.loads(row["config_json"])
    dataset = Dataset.from_bytes(store.get_artifact(row["dataset_id_v2"]), source="store")
    code = None
    if row["code_hash"] is not None:
        recomputed = code_hash(row["code_source"], entry_point=row["code_entry_point"])
        if recomputed != row["code_hash"]:
            raise IntegrityProblem(f"stored strategy source of run {run_key[:12]} does not hash "
                                   f"to its code_hash", where=f"runs row run_key={run_key}",
                                   fix="the stored code was altered; the run cannot be replayed")
        code = UserCode(source=row["code_source"], entry_point=row["code_entry_point"],
                        code_hash=row["code_hash"])
    values = json.loads(row["config_json"])
    values["name"] = row["name"]
    values["data"]["dataset"] = row["dataset_id_v2"]
    cfg = RunConfig(values=values, source=f"store run {run_key[:12]}")
    prep = PreparedRun(config=cfg, dataset=dataset, asset=identity["data"]["asset"],
                       periods_per_year=identity["data"]["periods_per_year"],
                       points=identity["strategy"]["grid"], code=code, identity=identity,
                       run_key="", assets=identity["data"]["assets"],
                       overlay=identity["strategy"]["overlay"])
    prep.run_key = sha256_hex(canonical_bytes(prep.run_key_payload))
    made_with = prep.run_key_payload["identity_schema_version"]
    if row["identity_schema_version"] != made_with:
        raise IntegrityProblem(f"run {run_key[:12]}'s identity_schema_version "
                               f"{row['identity_schema_version']!r} does not verify: its "
                               f"run_key is made with version {made_with}",
                               where=f"runs row run_key={run_key}",
                               fix="the runs row was altered; `qrp verify` lists the damage")
    if row["engine_version"] != engine.ENGINE_VERSION:
        prep.run_key = run_key  # cannot match by construction; the attestation says why
    elif prep.run_key != run_key:
        raise IntegrityProblem(f"run {run_key[:12]}'s stored config does not hash to its run_key",
                               where=f"runs row run_key={run_key}",
                               fix="the runs row was altered; `qrp verify` lists the damage")
    return prep


def replay_attestation(store: Store, instance_id: str) -> tuple[PreparedRun, ComputedRun,
                                                                dict[str, Any]]:
    """Recompute ``instance_id`` from the DB and compare; writes nothing."""
    inst = store.one("run_instances.get", (instance_id,))
    if inst is None:
        raise NotFoundError(f"no run instance {instance_id[:12]}", where="run_instances",
                            fix="pass a run key or instance id from `qrp runs`")
    original = json.loads(inst["result_json"])["artifacts"]
    _check_recorded(store, inst["run_key"], instance_id, original)
    stored_engine = store.one("runs.get", (inst["run_key"],))["engine_version"]
    prep = load_prepared(store, inst["run_key"])
    _check_budget(prep)
    computed = compute_run(prep)
    replayed = computed.artifact_ids()
    compared = {k: {"original": original.get(k), "replay": replayed.get(k),
                    "match": original.get(k) == replayed.get(k)}
                for k in OUTPUT_KINDS if k in original or k in replayed}
    match = bool(compared) and all(c["match"] for c in compared.values())
    reason = None
    if stored_engine != engine.ENGINE_VERSION:
        match, reason = False, (f"recorded with engine {stored_engine}, replayed with "
                                f"{engine.ENGINE_VERSION}")
    elif not match:
        reason = "differs: " + ", ".join(k for k, c in compared.items() if not c["match"])
    att = {"kind": "replay_attestation", "version": 1, "run_key": inst["run_key"],
           "original_instance": instance_id, "engine_version": engine.ENGINE_VERSION,
           "compared": compared, "match": match, "reason": reason}
    return prep, computed, att


def _check_budget(prep: PreparedRun) -> None:
    """A replay recomputes the whole run, so this machine's memory budget holds it like a run
    (a run recorded on a bigger machine may not fit here): refused before any work."""
    ident = prep.identity
    points = ident["strategy"]["grid"]
    axes: dict[str, dict[str, Any]] = {}  # the grid's distinct values per parameter
    for point in points:
        for name, value in point.items():
            axes.setdefault(name, {})[json.dumps(value, sort_keys=True)] = value
    values = {**ident, "strategy": {**ident["strategy"],
                                    "grid": {k: list(v.values()) for k, v in axes.items()}}}
    assets = prep.assets
    n_bars = len(prep.dataset.timestamps(assets[0] if assets else prep.asset))
    check_run_budget(values, n_bars=n_bars, n_points=len(points),
                     n_assets=len(assets) if assets else 1,
                     where=f"replay of run {prep.run_key[:12]}")


def _check_recorded(store: Store, run_key: str, instance_id: str,
                    original: dict[str, str]) -> None:
    """What a replay compares against must be what was recorded: the ledger vouches for the
    run and instance rows as they are now, and every stored output's blob hashes to its id
    (a replay that matched the ids of corrupt blobs would attest to bytes nobody has)."""
    store.require_intact("runs", run_key)
    store.require_intact("run_instances", instance_id)
    for kind, artifact_id in sorted(original.items()):
        if kind in OUTPUT_KINDS:
            store.get_artifact(artifact_id)  # raises IntegrityProblem naming the artifact


def replay_run(store: Store, ref: str) -> RunOutcome:
    """Replay and record: a new ``purpose='replay'`` instance holding the attestation.

    Refuses a store whose file is damaged (:class:`StoreDamaged`, exit 4, listing where)."""
    damage = store.damage()
    if damage:
        raise StoreDamaged("the store file is damaged, so a replay recorded in it could not "
                           "be trusted: " + "; ".join(f"{d.where}: {d.detail}"
                                                      for d in damage[:5]),
                           where=store.path, rule="store:damaged",
                           fix="run `qrp verify` for every problem and replay on a copy "
                               "restored from a backup")
    instance_id = resolve_instance(store, ref)
    prep, computed, att = replay_attestation(store, instance_id)
    if att["reason"] and att["reason"].startswith("recorded with engine"):
        raise QrpError(f"run {att['run_key'][:12]} cannot be replayed: {att['reason']}",
                       where="runs.engine_version",
                       fix="replay with the QRP version that recorded it, or re-run the config "
                           "(a new run_key) with this version")
    out = record_run(store, prep, computed, purpose="replay", replay_of=instance_id,
                     extra_outputs={"replay_attestation": (encode_json(att), MEDIA_JSON)},
                     extra_edges=[("replay_attestation", k, "attests") for k in OUTPUT_KINDS])
    out.extra["attestation"] = att
    return out
