"""Seed records: the explicit, stored root of every stochastic procedure.

``seed_root`` = SHA-256 of the canonical JSON of ``["qrp-seed", seed_version, run_key, salt,
params]``; replicate streams are spawned from it with :class:`numpy.random.SeedSequence`. The
record (not just an integer) is stored with every result so that a reviewer can regenerate the
exact random numbers a p-value came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import IdentityError
from .canonical import canonical_bytes, sha256_hex, to_plain

__all__ = ["SEED_VERSION", "SeedRecord", "resolve_seed"]

SEED_VERSION = 1


@dataclass(frozen=True)
class SeedRecord:
    """The identity of one stochastic procedure's randomness.

    Parameters
    ----------
    run_key
        The run the procedure belongs to (any 64-hex key; tests may use a literal).
    salt
        The procedure's name, e.g. ``"reality_check"``, ``"spa"``, ``"pbo"``.
    params
        The procedure's own parameters (reps, block size, ...), canonical-JSON serialisable.
    """

    run_key: str
    salt: str
    params: dict[str, Any] = field(default_factory=dict)
    version: int = SEED_VERSION

    def __post_init__(self) -> None:
        if not isinstance(self.salt, str) or not self.salt:
            raise IdentityError(f"seed salt {self.salt!r} must be a non-empty string",
                                where="SeedRecord.salt", fix="name the procedure, e.g. 'spa'")
        object.__setattr__(self, "params", to_plain(dict(self.params)))

    @property
    def root(self) -> str:
        """64-hex SHA-256 seed root."""
        return sha256_hex(canonical_bytes(
            ["qrp-seed", self.version, self.run_key, self.salt, self.params]))

    @property
    def entropy(self) -> int:
        return int(self.root, 16)

    def seed_sequence(self) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.entropy)

    def generator(self) -> np.random.Generator:
        """A fresh PCG64 generator positioned at the start of this record's stream."""
        return np.random.Generator(np.random.PCG64(self.seed_sequence()))

    def spawn(self, n: int) -> list[np.random.Generator]:
        """``n`` independent child generators (per-replicate or per-worker streams)."""
        return [np.random.Generator(np.random.PCG64(s)) for s in self.seed_sequence().spawn(n)]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "seed_record", "version": self.version, "run_key": self.run_key,
                "salt": self.salt, "params": self.params, "root": self.root}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SeedRecord":
        try:
            rec = cls(run_key=d["run_key"], salt=d["salt"], params=dict(d.get("params", {})),
                      version=int(d.get("version", SEED_VERSION)))
        except KeyError as exc:
            raise IdentityError(f"seed record lacks the key {exc.args[0]!r}", where="seed record",
                                fix="pass a dict made by SeedRecord.to_dict()") from None
        if "root" in d and d["root"] != rec.root:
            raise IdentityError(
                f"seed record root {d['root']!r} is not the hash of its fields ({rec.root!r})",
                where="seed record", fix="the record was edited; regenerate it")
        return rec


def resolve_seed(seed: Any, *, salt: str = "adhoc",
                 params: dict[str, Any] | None = None) -> tuple[np.random.Generator, dict]:
    """Normalise the ``seed`` argument of a stochastic function, once.

    Accepts a :class:`SeedRecord` (or its dict), an ``int``, a :class:`numpy.random.Generator`,
    or ``None`` (fresh OS entropy). Returns the generator to use and a JSON-ready record that
    reproduces it; the record is stored with the result.
    """
    if isinstance(seed, SeedRecord):
        return seed.generator(), seed.to_dict()
    if isinstance(seed, dict):
        return _from_record(seed)
    if isinstance(seed, np.random.Generator):
        state = to_plain(seed.bit_generator.state)
        return seed, {"kind": "generator_state", "state": state}
    if isinstance(seed, (bool, np.bool_)):
        raise IdentityError(f"seed={seed!r} is a bool", where="seed argument",
                            fix="pass an int, a numpy Generator or a SeedRecord")
    if isinstance(seed, (int, np.integer)):
        if int(seed) < 0:
            raise IdentityError(f"seed={seed} is negative", where="seed argument",
                                fix="pass a non-negative int")
        ss = np.random.SeedSequence(int(seed))
        return np.random.Generator(np.random.PCG64(ss)), {"kind": "int", "entropy": int(seed)}
    if seed is None:
        ss = np.random.SeedSequence()
        return (np.random.Generator(np.random.PCG64(ss)),
                {"kind": "os_entropy", "entropy": str(ss.entropy)})
    raise IdentityError(f"seed of type {type(seed).__name__} is not supported",
                        where="seed argument",
                        fix="pass an int, a numpy Generator, a SeedRecord or None")



def _from_record(d: dict[str, Any]) -> tuple[np.random.Generator, dict]:
    """Accept back every record :func:`resolve_seed` produces, so a stored record reproduces
    the exact random numbers by being passed as ``seed`` again."""
    kind = d.get("kind", "seed_record")
    if kind == "seed_record":
        rec = SeedRecord.from_dict(d)
        return rec.generator(), rec.to_dict()
    if kind in ("int", "os_entropy"):
        try:
            entropy = int(d["entropy"])
        except (KeyError, TypeError, ValueError):
            raise IdentityError(f"seed record of kind {kind!r} lacks an integer 'entropy'",
                                where="seed record", fix="pass the record as it was stored") \
                from None
        ss = np.random.SeedSequence(entropy)
        return np.random.Generator(np.random.PCG64(ss)), dict(d)
    if kind == "generator_state":
        bg = np.random.PCG64()
        try:
            bg.state = d["state"]
        except (KeyError, TypeError, ValueError) as exc:
            raise IdentityError(f"generator_state record is unusable: {exc}",
                                where="seed record", fix="pass the record as it was stored") \
                from None
        return np.random.Generator(bg), dict(d)
    raise IdentityError(f"unknown seed record kind {kind!r}", where="seed record",
                        fix="use a record made by resolve_seed or SeedRecord.to_dict()")
