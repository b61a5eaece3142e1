"""An artifact's stored form: one value in its ``artifacts`` row, or numbered parts.

SQLite holds at most ``SQLITE_MAX_LENGTH`` bytes (1,000,000,000 by default) in one value. An
artifact larger than :data:`PART_BYTES` is stored in parts (``artifact_chunks``, migration 3):
its ``artifacts`` row keeps an empty ``data``, and the codec's output, which ``data`` would have
held, is cut into parts of :data:`PART_BYTES` numbered from 0. Nothing else changes: the
artifact's id is the SHA-256 of its whole bytes, and every reader gets the same bytes back.

Writing and reading both go a step at a time, so a part-stored artifact costs its own bytes plus
one part in memory, never its bytes and their whole zlib form at once.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import Iterable, Iterator

__all__ = ["PART_BYTES", "COMPRESS_MIN", "encode_value", "encode_parts", "decode_value",
           "raw_pieces", "Undecodable"]

#: Stored bytes per part: far below SQLite's value limit, and small next to a large artifact.
PART_BYTES = 256 << 20
#: Artifacts shorter than this are stored as they are (zlib would not pay for itself).
COMPRESS_MIN = 4096
#: zlib's level: the same for one value and for parts, so the codec is one definition.
ZLIB_LEVEL = 6
#: Raw bytes handed to the compressor or taken from the decompressor at a time.
_STEP = 16 << 20


class Undecodable(Exception):
    """The stored form is not a complete stream of its codec (truncated or altered)."""


def encode_value(data: bytes) -> tuple[str, bytes]:
    """``(codec, stored)`` of an artifact that fits one value: zlib where it is smaller."""
    if len(data) >= COMPRESS_MIN:
        packed = zlib.compress(data, ZLIB_LEVEL)
        if len(packed) < len(data):
            return "zlib", packed
    return "identity", data


def encode_parts(data: bytes | bytearray | memoryview
                 ) -> tuple[str, Iterator[bytes | memoryview]]:
    """``(codec, parts)`` of a large artifact: the parts of its stored form, produced one at a
    time. The codec is zlib when compressing the first step of the bytes saves space (the rule
    :func:`encode_value` applies to the whole), else identity."""
    view = memoryview(data).cast("B")
    probe = view[:_STEP]
    if len(zlib.compress(probe, ZLIB_LEVEL)) < len(probe):
        return "zlib", _zlib_parts(view)
    return "identity", (view[i:i + PART_BYTES] for i in range(0, len(view), PART_BYTES))


def _zlib_parts(view: memoryview) -> Iterator[bytes]:
    packer = zlib.compressobj(ZLIB_LEVEL)
    out = bytearray()
    for i in range(0, len(view), _STEP):
        out += packer.compress(view[i:i + _STEP])
        while len(out) >= PART_BYTES:
            yield _take(out, PART_BYTES)
    out += packer.flush()
    while out:
        yield _take(out, PART_BYTES)


def _take(buf: bytearray, n: int) -> bytes:
    """The first ``n`` bytes of ``buf``, removed from it (one copy)."""
    with memoryview(buf) as view:
        head = bytes(view[:n])
    del buf[:n]
    return head


def raw_pieces(codec: str, stored: Iterable[bytes]) -> Iterator[bytes]:
    """The artifact's bytes, piece by piece, from its stored form given piece by piece.
    Raises :class:`Undecodable` (after the last good piece) on a broken zlib stream."""
    if codec != "zlib":
        for piece in stored:
            yield bytes(_blob(piece))
        return
    unpacker = zlib.decompressobj()
    try:
        for piece in stored:
            buf = unpacker.decompress(_blob(piece), _STEP)
            while buf:
                yield buf
                buf = unpacker.decompress(unpacker.unconsumed_tail, _STEP)
        tail = unpacker.flush()
    except zlib.error as exc:
        raise Undecodable(str(exc)) from None
    if tail:
        yield tail
    if not unpacker.eof or unpacker.unused_data:
        raise Undecodable("the zlib stream is truncated or has bytes after its end")


def _blob(piece: object) -> bytes | bytearray | memoryview:
    """A stored piece as bytes; a value of another type (raw SQL can store text where a BLOB
    belongs) does not decode."""
    if isinstance(piece, (bytes, bytearray, memoryview)):
        return piece
    raise Undecodable(f"a stored piece is {type(piece).__name__}, not a BLOB")


def decode_value(codec: str, stored: Iterable[bytes], size: int) -> bytes | bytearray:
    """The artifact's bytes (unverified): ``b""`` when the stored form does not decode, which
    the hash check that follows reports. One piece comes back as ``bytes``; several are joined
    into one preallocated ``bytearray`` of the recorded ``size`` (grown if the size lies)."""
    pieces = iter(stored)
    try:
        first = next(pieces)
    except StopIteration:
        return b""
    try:
        second = next(pieces)
    except StopIteration:
        try:
            return b"".join(raw_pieces(codec, [first]))
        except Undecodable:
            return b""
    out = bytearray(max(int(size), 0))
    n = 0
    try:
        for piece in raw_pieces(codec, _chain(first, second, pieces)):
            end = n + len(piece)
            out[n:end] = piece
            n = end
    except Undecodable:
        return b""
    del out[n:]
    return out


def _chain(first: bytes, second: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield second
    yield from rest


def digest_and_size(codec: str, stored: Iterable[bytes]) -> tuple[str, int] | None:
    """SHA-256 and length of the artifact's bytes, streamed; ``None`` if undecodable."""
    h, n = hashlib.sha256(), 0
    try:
        for piece in raw_pieces(codec, stored):
            h.update(piece)
            n += len(piece)
    except Undecodable:
        return None
    return h.hexdigest(), n
