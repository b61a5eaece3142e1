"""Resource limits of a run: the memory budget and the column-chunk size.

The memory budget is what a run's estimated peak memory is checked against before any work
(:mod:`qrp_jupyter.runs.budget`). It comes from, in this order: the ``memory_budget`` argument
(``qrp run --memory-budget``), the environment variable ``QRP_MEMORY_BUDGET``, and otherwise the
smaller of 60% of the machine's ``MemTotal`` and its current ``MemAvailable`` (``/proc/meminfo``).
A size is written ``8GiB``, ``512MiB``, ``1.5GB`` or a plain number of bytes; ``off`` disables
the check.

The chunk size bounds the temporaries of the column-wise stages (the bootstrap's prefix-sum
tables, the encoding of the returns matrix): ``QRP_CHUNK_COLUMNS`` gives a number of columns,
``QRP_CHUNK_BYTES`` a size per chunk (default 128 MiB). Chunking never changes a result: every
chunked stage computes each column with the same arithmetic as the whole matrix would.
"""

from __future__ import annotations

import os
import re
from typing import Any

from .errors import ConfigError

__all__ = ["ENV_MEMORY_BUDGET", "ENV_CHUNK_COLUMNS", "ENV_CHUNK_BYTES", "DEFAULT_CHUNK_BYTES",
           "parse_size", "format_bytes", "meminfo", "default_budget", "resolve_budget",
           "chunk_columns"]

ENV_MEMORY_BUDGET = "QRP_MEMORY_BUDGET"
ENV_CHUNK_COLUMNS = "QRP_CHUNK_COLUMNS"
ENV_CHUNK_BYTES = "QRP_CHUNK_BYTES"
DEFAULT_CHUNK_BYTES = 128 * 2**20
#: Share of MemTotal a run may plan to use by default (the rest is the OS, the kernel's page
#: cache and the other processes of the machine).
DEFAULT_SHARE = 0.6

_UNITS = {"": 1, "b": 1,
          "k": 2**10, "kib": 2**10, "m": 2**20, "mib": 2**20, "g": 2**30, "gib": 2**30,
          "t": 2**40, "tib": 2**40,
          "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([a-z]*)\s*$")


def parse_size(text: Any, *, name: str) -> int | None:
    """Bytes of a size such as ``"8GiB"``, ``"512MiB"``, ``"1.5GB"``, ``"4096"``; None for
    ``"off"``. ``name`` (the variable or option) is named in the error.

    Binary units (KiB, MiB, GiB, TiB, or K, M, G, T) are powers of 1024; KB, MB, GB, TB are
    powers of 1000.

    Examples
    --------
    >>> parse_size("512MiB", name="x"), parse_size("1.5GB", name="x"), parse_size("off", name="x")
    (536870912, 1500000000, None)
    """
    if isinstance(text, bool):
        raise ConfigError(f"{name}={text!r} is not a size", where=name,
                          fix="write a size such as 8GiB or 512MiB, or off")
    if isinstance(text, int):
        value, unit = float(text), ""
    else:
        raw = str(text).strip().lower()
        if raw in ("off", "none", "unlimited"):
            return None
        m = _SIZE.match(raw)
        if m is None or m.group(2) not in _UNITS:
            raise ConfigError(f"{name}={str(text)!r} is not a size", where=name,
                              fix="write a size such as 8GiB, 512MiB or 2GB (or a number of "
                                  "bytes), or off to disable the check")
        value, unit = float(m.group(1)), m.group(2)
    n = int(value * _UNITS[unit])
    if n <= 0:
        raise ConfigError(f"{name}={text!r} is not a positive size", where=name,
                          fix="give a size above zero, e.g. 512MiB, or off")
    return n


def format_bytes(n: float) -> str:
    """``n`` bytes in the largest binary unit that keeps a number >= 1 (``"8.5 GiB"``)."""
    n = float(n)
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(n) >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{int(n)} B"


def meminfo(path: str = "/proc/meminfo") -> dict[str, int]:
    """``MemTotal`` and ``MemAvailable`` in bytes (empty when the file cannot be read)."""
    out: dict[str, int] = {}
    try:
        with open(path, encoding="ascii") as fh:
            for line in fh:
                key, _, rest = line.partition(":")
                if key in ("MemTotal", "MemAvailable"):
                    out[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        return {}
    return out


def default_budget() -> int | None:
    """min(60% of MemTotal, MemAvailable); None when the machine does not say (no check)."""
    info = meminfo()
    if "MemTotal" not in info:
        return None
    share = int(info["MemTotal"] * DEFAULT_SHARE)
    return min(share, info.get("MemAvailable", share))


def resolve_budget(memory_budget: Any = None) -> tuple[int | None, str]:
    """(budget in bytes or None for no check, where it came from).

    ``memory_budget`` (an argument or option) wins over ``QRP_MEMORY_BUDGET``, which wins over
    the machine's default.
    """
    if memory_budget is not None:
        return parse_size(memory_budget, name="memory_budget"), "memory_budget"
    env = os.environ.get(ENV_MEMORY_BUDGET)
    if env is not None and env.strip():
        return parse_size(env, name=ENV_MEMORY_BUDGET), ENV_MEMORY_BUDGET
    return default_budget(), "min(60% of MemTotal, MemAvailable)"


def chunk_columns(n_rows: int) -> int:
    """Columns of an (n_rows, k) float64 matrix processed at once by a chunked stage.

    ``QRP_CHUNK_COLUMNS`` (a whole number >= 1) wins over ``QRP_CHUNK_BYTES`` (a size, default
    128 MiB per chunk).
    """
    cols = os.environ.get(ENV_CHUNK_COLUMNS)
    if cols is not None and cols.strip():
        try:
            n = int(cols.strip())
        except ValueError:
            n = 0
        if n < 1:
            raise ConfigError(f"{ENV_CHUNK_COLUMNS}={cols!r} is not a whole number >= 1",
                              where=ENV_CHUNK_COLUMNS,
                              fix="set it to a number of columns such as 512, or unset it")
        return n
    size = os.environ.get(ENV_CHUNK_BYTES)
    per_chunk = DEFAULT_CHUNK_BYTES
    if size is not None and size.strip():
        per_chunk = parse_size(size, name=ENV_CHUNK_BYTES) or 2**62
    return max(1, per_chunk // (8 * max(1, int(n_rows) + 1)))
