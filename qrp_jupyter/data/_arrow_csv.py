"""The fast CSV path: pyarrow's streaming CSV reader with explicit column types.

Why pyarrow's own reader (``pyarrow.csv.open_csv``) and not ``pandas.read_csv(engine=
"pyarrow")``: the Arrow reader parses typed columns in C++ batch by batch, so a 10-million-row
file never becomes 60 million Python strings (the row-by-row :mod:`csv` reader needs about 7 GB
for that); pandas' pyarrow engine reads the whole table and then materialises a DataFrame from
it, a second full copy, and gives no say over the batch size.

The fast path only produces arrays. It never decides what is wrong with a file: whenever Arrow
refuses a cell, or validation refuses the candles, the caller goes back to the row-by-row rules
(:mod:`qrp_jupyter.data.loaders`), which name the line an editor shows. The arrays it does
produce are exactly the ones the row-by-row reader makes from the same file (same float64 for
every decimal text, same epoch-to-ns rule), so ``dataset_id_v2`` does not depend on the path.
"""

from __future__ import annotations

import csv
from array import array
from pathlib import Path
from typing import Any, Callable

import numpy as np

_BLOCK = 1 << 22  # 4 MiB of text per record batch: bounded memory, few Python round trips


class ArrowRefused(Exception):
    """Arrow could not read the file with the expected types (the message says why).

    A converter of a text column raises it with ``row`` (the batch-local index of the first bad
    value, made file-wide by :func:`read_columns`) and ``value``.
    """

    def __init__(self, message: str, *, row: int | None = None, value: object = None):
        super().__init__(message)
        self.row = row
        self.value = value


def _stream(path: Path):
    import pyarrow as pa
    if path.name.lower().endswith(".gz"):
        return pa.CompressedInputStream(pa.OSFile(str(path)), "gzip")
    return pa.OSFile(str(path))


def read_columns(path: Path, *, width: int, skip_rows: int, picks: dict[str, int],
                 int_columns: frozenset[str] = frozenset(),
                 text_columns: dict[str, Callable[[np.ndarray], np.ndarray]] | None = None
                 ) -> dict[str, np.ndarray]:
    """``{name: array}`` for the columns at ``picks`` (name -> field index) of a ``width``-field
    CSV whose first ``skip_rows`` lines are not data.

    Columns in ``int_columns`` are read as int64, those in ``text_columns`` as text handed batch
    by batch to their converter (which returns an array or raises :class:`ArrowRefused`), the
    others as float64. No text is ever a null (an empty cell is an error, as it is for the
    row-by-row reader). Raises :class:`ArrowRefused` on any parse or conversion error.
    """
    text_columns = text_columns or {}
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = [f"f{i}" for i in range(width)]
    types = {f"f{i}": (pa.int64() if name in int_columns else pa.string()
                       if name in text_columns else pa.float64())
             for name, i in picks.items()}
    read = pcsv.ReadOptions(column_names=names, skip_rows=skip_rows, block_size=_BLOCK,
                            use_threads=False)
    convert = pcsv.ConvertOptions(column_types=types, include_columns=list(types),
                                  null_values=[], strings_can_be_null=False,
                                  quoted_strings_can_be_null=False)
    # Every record ends at a newline (or at the end of the file), so lines + 1 bounds the row
    # count: each column is allocated once and filled batch by batch, instead of keeping the
    # batches and concatenating them (which would hold every value twice).
    capacity = _line_bound(path)
    out = {name: np.empty(capacity, dtype=np.float64 if name not in int_columns
                          and name not in text_columns else np.int64) for name in picks}
    done = 0  # data rows in the batches already copied
    try:
        with _stream(path) as raw:
            # The system allocator hands freed batch buffers back to the OS; Arrow's default
            # pool would keep them mapped, and they would count in the peak RSS.
            reader = pcsv.open_csv(raw, read_options=read, convert_options=convert,
                                   parse_options=pcsv.ParseOptions(),
                                   memory_pool=pa.system_memory_pool())
            for batch in reader:
                n = batch.num_rows
                if done + n > capacity:  # pragma: no cover - the bound cannot be exceeded
                    raise ArrowRefused("more records than lines")
                for name, i in picks.items():
                    column = batch.column(f"f{i}")
                    if name in text_columns:
                        try:
                            values = text_columns[name](column.to_numpy(zero_copy_only=False))
                        except ArrowRefused as exc:
                            if exc.row is not None:
                                exc.row += done
                            raise
                    else:
                        values = column.to_numpy()
                    out[name][done:done + n] = values
                done += n
                del batch
    except (pa.ArrowException, OSError, EOFError) as exc:
        raise ArrowRefused(str(exc)) from None
    return {name: arr[:done] for name, arr in out.items()}


def _line_bound(path: Path) -> int:
    """Newlines in the (decompressed) file plus one: at least the number of records."""
    import gzip
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    count = 1
    try:
        with opener(path, "rb") as fh:
            while chunk := fh.read(1 << 22):
                count += chunk.count(b"\n")
    except (OSError, EOFError) as exc:
        raise ArrowRefused(str(exc)) from None
    return count


def data_lines(opener: Any, skip_records: int) -> np.ndarray:
    """Line numbers (as an editor counts them) of the data records after the first
    ``skip_records`` non-blank records: a streaming pass that keeps one int64 per row."""
    lines = array("q")
    with opener() as fh:
        reader = csv.reader(fh)
        seen = 0
        for rec in reader:
            if rec and any(field.strip() for field in rec):
                seen += 1
                if seen > skip_records:
                    lines.append(reader.line_num)
    return np.frombuffer(lines, dtype=np.int64) if len(lines) else np.empty(0, np.int64)
