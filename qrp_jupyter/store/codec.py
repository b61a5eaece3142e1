"""Byte encodings of stored artifacts.

An artifact's id is the SHA-256 of these bytes, so each encoding is canonical: the same content
always gives the same bytes, whatever machine or process produced it.

* arrays: ``b"QRPARR1\\n"`` + canonical JSON header (dtype, shape) + ``b"\\n"`` + C-order
  little-endian data;
* JSON documents: canonical JSON (sorted keys, shortest floats, no whitespace).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..errors import IntegrityProblem
from ..identity import canonical_bytes, canonical_json, to_plain

__all__ = ["encode_array", "decode_array", "encode_json", "decode_json", "MEDIA_ARRAY",
           "MEDIA_JSON", "MEDIA_DATASET", "MEDIA_TEXT"]

MEDIA_ARRAY = "application/vnd.qrp.array"
MEDIA_JSON = "application/json"
MEDIA_DATASET = "application/vnd.qrp.dataset-v2"
MEDIA_TEXT = "text/plain; charset=utf-8"

_ARRAY_MAGIC = b"QRPARR1\n"
_DTYPES = {"float64": "<f8", "int64": "<i8"}


def encode_array(arr: np.ndarray) -> bytes:
    """Canonical bytes of a float64 or int64 array (one NaN bit pattern, no negative zero)."""
    return bytes(encode_array_buffer(arr))


#: Elements canonicalised at a time by :func:`encode_array_buffer` (bounds its temporaries).
_ENCODE_STEP = 1 << 22


def encode_array_buffer(arr: np.ndarray) -> bytearray:
    """:func:`encode_array`'s bytes in a bytearray, built with one copy of the data.

    The array is copied once, into the buffer, and made canonical there step by step, so a
    caller that drops its own array before calling ``bytes()`` holds at most two copies.
    """
    a = np.asarray(arr)
    kind = "float64" if a.dtype.kind == "f" else "int64" if a.dtype.kind in "iu" else None
    if kind is None:
        raise TypeError(f"cannot store an array of dtype {a.dtype}")
    if a.ndim == 0:  # stored as shape [1], as numpy.ascontiguousarray always made it
        a = a.reshape(1)
    header = canonical_json({"dtype": kind, "shape": list(a.shape)}).encode()
    prefix = _ARRAY_MAGIC + header + b"\n"
    out = bytearray(len(prefix) + a.size * 8)
    out[:len(prefix)] = prefix
    body = np.frombuffer(out, dtype=_DTYPES[kind], offset=len(prefix)).reshape(a.shape)
    np.copyto(body, a, casting="unsafe")
    if kind == "float64":
        flat = body.reshape(-1)
        for i in range(0, flat.shape[0], _ENCODE_STEP):
            part = flat[i:i + _ENCODE_STEP]
            part[np.isnan(part)] = np.nan  # one canonical NaN
            part[part == 0.0] = 0.0        # fold -0.0
    return out


def decode_array(data: bytes | bytearray) -> np.ndarray:
    """The array of :func:`encode_array`'s bytes. A ``bytearray`` (what a part-stored artifact
    reads back as) becomes the array's own buffer, with no copy; ``bytes`` are copied once."""
    if not data.startswith(_ARRAY_MAGIC):
        raise IntegrityProblem("bytes are not a QRP array (bad magic)", where="artifact",
                               fix="the artifact is not an array or was corrupted")
    nl = data.index(b"\n", len(_ARRAY_MAGIC))
    header = json.loads(data[len(_ARRAY_MAGIC):nl])
    arr = np.frombuffer(data, dtype=_DTYPES[header["dtype"]], offset=nl + 1)
    arr = arr.reshape(header["shape"])
    return arr if isinstance(data, bytearray) else arr.copy()


def encode_json(obj: Any) -> bytes:
    return canonical_bytes(to_plain(obj))


def decode_json(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"))
