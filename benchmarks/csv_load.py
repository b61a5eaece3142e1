"""Loading a large OHLCV CSV: pyarrow's typed reader (the default) against the row-by-row reader.

Writes a synthetic 1-minute OHLCV file (epoch-millisecond timestamps from 2005, prices with two
decimals, volumes with up to 17 significant digits) to a temporary folder, then in fresh child
processes:

- ``new``: ``qrp_jupyter.data.read_csv`` as shipped (pyarrow's ``open_csv`` with explicit column
  types, record batch by record batch);
- ``old``: the same call with the fast path switched off, so the :mod:`csv` row-by-row reader
  runs (the reader every file went through before, still used for error messages);
- ``register``: ``qrp data add FILE --db NEW`` (load, canonical encoding, hash, zlib, one
  SQLite transaction).

Each child's wall time and peak RSS come from ``os.wait4`` (the kernel's ``ru_maxrss`` of that
one child). Both readers must give the same ``dataset_id_v2``; the script fails otherwise. Prints
one JSON document and writes it to ``benchmarks/results/csv_load.json`` (``--out`` to change,
``--no-write`` to skip).

    python benchmarks/csv_load.py                   # 10,000,000 rows; the old reader takes
                                                    #   ~3 min and ~7 GB
    python benchmarks/csv_load.py --rows 1000000 --no-write      # quick look
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS_DIR, environment, set_numba_threads  # after sys.path: a script

_LOAD = """
import json, sys, time
from qrp_jupyter.data import loaders
if sys.argv[2] == "old":
    loaders._fast_plan = lambda *args: None   # the row-by-row reader only
t0 = time.perf_counter()
ds = loaders.read_csv(sys.argv[1])
seconds = time.perf_counter() - t0
print(json.dumps({"dataset_id_v2": ds.dataset_id_v2, "seconds_in_process": seconds,
                  "rows": int(ds.timestamps().size), "interval": ds.interval}))
"""


def write_file(path: Path, rows: int, seed: int = 11) -> None:
    """A valid 1-minute OHLCV CSV of ``rows`` candles, written by Arrow in chunks."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv

    rng = np.random.default_rng(seed)
    start_ms = 1_104_537_600_000  # 2005-01-01T00:00:00Z
    chunk = 1_000_000
    price = 100.0
    with pcsv.CSVWriter(str(path), pa.schema([("timestamp", pa.int64()),
                                              ("open", pa.float64()), ("high", pa.float64()),
                                              ("low", pa.float64()), ("close", pa.float64()),
                                              ("volume", pa.float64())])) as writer:
        for first in range(0, rows, chunk):
            n = min(chunk, rows - first)
            steps = rng.normal(0.0, 0.05, n)
            close = np.round(np.maximum(price + np.cumsum(steps), 1.0), 2)
            open_ = np.concatenate([[round(price, 2)], close[:-1]])
            price = float(close[-1])
            high = np.round(np.maximum(open_, close) + rng.exponential(0.02, n), 2)
            low = np.round(np.maximum(np.minimum(open_, close) - rng.exponential(0.02, n),
                                      0.01), 2)
            ts = start_ms + 60_000 * np.arange(first, first + n, dtype=np.int64)
            writer.write_table(pa.table({"timestamp": ts, "open": open_, "high": high,
                                         "low": low, "close": close,
                                         "volume": rng.exponential(50.0, n)}))


def run_child(argv: list[str]) -> dict:
    """Run one child process; its wall time, peak RSS (MiB) and JSON stdout (if any)."""
    with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out_f, stderr=err_f)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_f.seek(0)
        err_f.seek(0)
        out, err = out_f.read(), err_f.read()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])}... exited {proc.returncode}: "
                         f"{err.decode(errors='replace')[-2000:]}")
    result = {"seconds": seconds, "peak_rss_mib": usage.ru_maxrss / 1024}
    text = out.decode().strip()
    if text.startswith("{"):
        result["stdout"] = json.loads(text)
    return result


def median_of(samples: list[dict]) -> dict:
    return {"seconds": statistics.median(s["seconds"] for s in samples),
            "peak_rss_mib": statistics.median(s["peak_rss_mib"] for s in samples),
            "samples_seconds": [round(s["seconds"], 3) for s in samples],
            "samples_peak_rss_mib": [round(s["peak_rss_mib"], 1) for s in samples]}


def _pyarrow_version() -> str:
    import pyarrow
    return pyarrow.__version__


def main() -> int:
    env_note = set_numba_threads()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=3, help="timed runs of the new reader")
    ap.add_argument("--old-repeats", type=int, default=1, help="timed runs of the old reader")
    ap.add_argument("--no-register", action="store_true", help="skip `qrp data add`")
    ap.add_argument("--out", default=str(RESULTS_DIR / "csv_load.json"))
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="qrp-csv-bench-") as tmp:
        path = Path(tmp) / "candles_1m.csv"
        t0 = time.perf_counter()
        write_file(path, args.rows)
        write_s = time.perf_counter() - t0
        size_mib = path.stat().st_size / 2**20
        print(f"wrote {args.rows:,} rows ({size_mib:.0f} MiB) in {write_s:.1f} s",
              file=sys.stderr)
        # Warm-up (not counted): one run of the new reader, which also compiles nothing but
        # brings the file into the page cache for every timed run alike.
        run_child([py, "-c", _LOAD, str(path), "new"])
        new = [run_child([py, "-c", _LOAD, str(path), "new"]) for _ in range(args.repeats)]
        print(f"new: {[round(s['seconds'], 1) for s in new]} s", file=sys.stderr)
        old = [run_child([py, "-c", _LOAD, str(path), "old"]) for _ in range(args.old_repeats)]
        print(f"old: {[round(s['seconds'], 1) for s in old]} s", file=sys.stderr)
        ids = {s["stdout"]["dataset_id_v2"] for s in new + old}
        if len(ids) != 1:
            raise SystemExit(f"the readers disagree: dataset_id_v2 {sorted(ids)}")
        register = None
        if not args.no_register:
            db = Path(tmp) / "bench.sqlite"
            register = run_child([py, "-m", "qrp_jupyter.cli", "data", "add", str(path),
                                  "--db", str(db), "--json"])
            if register["stdout"]["dataset_id_v2"] not in ids:
                raise SystemExit("qrp data add registered a different dataset_id_v2")
            register["store_mib"] = round(db.stat().st_size / 2**20, 1)
            register.pop("stdout")
            print(f"register: {register['seconds']:.1f} s", file=sys.stderr)
    new_m, old_m = median_of(new), median_of(old)
    doc = {
        "benchmark": "csv_load",
        "rows": args.rows,
        "file_mib": round(size_mib, 1),
        "dataset_id_v2": ids.pop(),
        "same_dataset_id_v2": True,
        "new_pyarrow": new_m,
        "old_row_by_row": old_m,
        "ratio_new_over_old": {
            "seconds": new_m["seconds"] / old_m["seconds"],
            "peak_rss": new_m["peak_rss_mib"] / old_m["peak_rss_mib"]},
        "register_qrp_data_add": register,
        "notes": "each figure: wall time and ru_maxrss of one fresh child process (os.wait4); "
                 "medians over the samples listed; one untimed warm-up run of the new reader "
                 "first; the old reader runs once by default (about 3 minutes).",
        "environment": environment(env_note, pyarrow=_pyarrow_version()),
    }
    text = json.dumps(doc, indent=2, sort_keys=True)
    print(text)
    if not args.no_write:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
