"""Canonical JSON and hashing: the byte-level foundation of every QRP identity.

Canonical JSON (DESIGN section 2): UTF-8, sorted keys, no insignificant whitespace, integers and
floats kept distinct (``1`` and ``1.0`` hash differently), floats in shortest round-trip form
(Python's ``repr``), NaN and Infinity rejected. Only plain JSON types are accepted: numpy scalars,
tuples and other containers are converted explicitly by the caller or by :func:`to_plain`, never
guessed at silently during hashing.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from ..errors import IdentityError

__all__ = ["canonical_json", "canonical_bytes", "sha256_hex", "hash_payload", "to_plain",
           "is_hex64"]


def _check(value: Any, path: str) -> None:
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise IdentityError(
                f"non-finite number {value!r} cannot be part of a canonical identity",
                where=path or "<root>",
                fix="replace it with a finite number or remove the key",
            )
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise IdentityError(
                    f"object key {k!r} is a {type(k).__name__}, not a string",
                    where=path or "<root>",
                    fix="use string keys only",
                )
            _check(v, f"{path}.{k}" if path else k)
        return
    if isinstance(value, list):
        for i, v in enumerate(value):
            _check(v, f"{path}[{i}]")
        return
    raise IdentityError(
        f"value of type {type(value).__name__} has no canonical JSON form",
        where=path or "<root>",
        fix="convert it to str, int, float, bool, None, list or dict (see identity.to_plain)",
    )


def canonical_json(value: Any) -> str:
    """Return the canonical JSON text of ``value``.

    >>> canonical_json({"b": 1, "a": [1.0, 2, "x"]})
    '{"a":[1.0,2,"x"],"b":1}'
    """
    _check(value, "")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def canonical_bytes(value: Any) -> bytes:
    """UTF-8 bytes of :func:`canonical_json`."""
    return canonical_json(value).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Full 64-character lowercase hex SHA-256 digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def hash_payload(value: Any) -> str:
    """SHA-256 of the canonical JSON of ``value``."""
    return sha256_hex(canonical_bytes(value))


def is_hex64(text: object) -> bool:
    """True when ``text`` is a full lowercase 64-hex digest."""
    return (isinstance(text, str) and len(text) == 64
            and all(c in "0123456789abcdef" for c in text))


def to_plain(value: Any) -> Any:
    """Convert numpy scalars/arrays, tuples and mappings into plain JSON types.

    Used where values legitimately come from numpy (metrics, parameters). Non-finite floats are
    mapped to ``None`` here because metrics (unlike configs) may be undefined, e.g. the Sharpe
    ratio of a flat return series.
    """
    import numpy as np  # local: identity must stay importable cheaply

    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_plain(v) for v in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return f if math.isfinite(f) else None
    return value
