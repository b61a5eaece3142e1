"""Semantic identities: ``run_key``, ``run_instance_id``, code hashes, candidate ids.

``run_key`` is built from an explicit allow-list (DESIGN section 2): the complete typed config with
every default filled in, ``dataset_id_v2``, the code hash of a user strategy function (or
``None``), the engine version and the identity schema version. Nothing else: no time, path, host
or user can reach it, because nothing else is passed in.
"""

from __future__ import annotations

import inspect
import textwrap
from typing import Any, Callable

from ..errors import IdentityError
from .canonical import canonical_bytes, hash_payload, is_hex64, sha256_hex

__all__ = [
    "IDENTITY_SCHEMA_VERSION",
    "run_key",
    "run_key_payload",
    "run_instance_id",
    "code_hash",
    "function_source",
    "candidate_id",
    "event_hash",
]

IDENTITY_SCHEMA_VERSION = 1


def _require_hex(value: Any, name: str) -> str:
    if not is_hex64(value):
        raise IdentityError(f"{name}={value!r} is not a 64-character lowercase hex digest",
                            where=name, fix=f"pass the full {name}, not a display prefix")
    return value


def run_key_payload(config: dict[str, Any], *, dataset_id_v2: str, code_hash: str | None,
                    engine_version: str) -> dict[str, Any]:
    """The exact object whose canonical JSON is hashed into ``run_key``."""
    _require_hex(dataset_id_v2, "dataset_id_v2")
    if code_hash is not None:
        _require_hex(code_hash, "code_hash")
    if not isinstance(config, dict):
        raise IdentityError(f"config must be a dict, got {type(config).__name__}",
                            where="run config", fix="pass the normalised config dict")
    return {
        "identity_schema_version": IDENTITY_SCHEMA_VERSION,
        "config": config,
        "dataset_id_v2": dataset_id_v2,
        "code_hash": code_hash,
        "engine_version": str(engine_version),
    }


def run_key(config: dict[str, Any], *, dataset_id_v2: str, code_hash: str | None,
            engine_version: str) -> str:
    """SHA-256 of the canonical JSON of :func:`run_key_payload`."""
    return hash_payload(run_key_payload(config, dataset_id_v2=dataset_id_v2,
                                        code_hash=code_hash, engine_version=engine_version))


def run_instance_id(run_key_: str, *, started_at: str, seq: int) -> str:
    """Identity of one execution of a ``run_key``: its start time and sequence number."""
    _require_hex(run_key_, "run_key")
    if not isinstance(seq, int) or seq < 1:
        raise IdentityError(f"instance sequence number {seq!r} must be an int >= 1",
                            where="run_instance_id", fix="number instances from 1")
    return hash_payload(["qrp-run-instance", run_key_, started_at, seq])


def function_source(func: Callable[..., Any]) -> str:
    """The normalised source text of a user strategy function.

    Dedented, trailing whitespace stripped per line, one final newline: cosmetic re-indentation of
    a notebook cell does not change the hash, any change of code does.
    """
    try:
        src = inspect.getsource(func)
    except (OSError, TypeError):
        raise IdentityError(
            f"cannot read the source of {getattr(func, '__qualname__', func)!r}",
            where="user strategy function",
            fix="define the function in a file or notebook cell (not a lambda built at run time)",
        ) from None
    lines = [ln.rstrip() for ln in textwrap.dedent(src).splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def code_hash(source: str, *, entry_point: str) -> str:
    """Hash of a user strategy's normalised source text and the name called in it."""
    if not isinstance(source, str) or not source.strip():
        raise IdentityError("user strategy source is empty", where="code_hash",
                            fix="pass the function's source text")
    return sha256_hex(canonical_bytes(["qrp-code", entry_point, source]))


def candidate_id(run_key_: str, trial_index: int) -> str:
    """One candidate per trial: promoting the same grid point twice is the same candidate."""
    _require_hex(run_key_, "run_key")
    return hash_payload(["qrp-candidate", run_key_, int(trial_index)])


def event_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    """Link of the governance event chain: SHA-256(prev_hash as ASCII || canonical payload)."""
    return sha256_hex(prev_hash.encode("ascii") + canonical_bytes(payload))
