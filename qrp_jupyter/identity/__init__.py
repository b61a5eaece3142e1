"""Deterministic identity: canonical JSON, ``dataset_id_v2``, ``run_key``, seeds, time."""

from .canonical import canonical_bytes, canonical_json, hash_payload, is_hex64, sha256_hex, to_plain
from .actor import ENV_ACTOR, current_actor
from .clock import ENV_DETERMINISTIC_TIME, format_ts, now_iso
from .keys import (
    IDENTITY_SCHEMA_VERSION,
    candidate_id,
    code_hash,
    event_hash,
    function_source,
    run_instance_id,
    run_key,
    run_key_payload,
)
from .seeds import SEED_VERSION, SeedRecord, resolve_seed
from .dataset import (
    CANONICAL_NAN_BITS,
    DATASET_MAGIC,
    DEFAULT_ASSET,
    dataset_id_v2,
    decode_frames,
    encode_frames,
)

__all__ = [
    "canonical_bytes", "canonical_json", "hash_payload", "is_hex64", "sha256_hex", "to_plain",
    "ENV_ACTOR", "current_actor", "ENV_DETERMINISTIC_TIME", "format_ts", "now_iso",
    "IDENTITY_SCHEMA_VERSION", "candidate_id", "code_hash", "event_hash", "function_source",
    "run_instance_id", "run_key", "run_key_payload",
    "SEED_VERSION", "SeedRecord", "resolve_seed",
    "CANONICAL_NAN_BITS", "DATASET_MAGIC", "DEFAULT_ASSET", "dataset_id_v2", "decode_frames",
    "encode_frames",
]
