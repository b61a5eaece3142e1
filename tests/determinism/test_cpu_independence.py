"""Same bytes on every CPU: nothing hashed or judged may depend on SIMD dispatch or libm.

Each scenario runs twice in subprocesses: natively, and with every SIMD target numpy dispatches
to on this CPU disabled (``NPY_DISABLE_CPU_FEATURES``, read from numpy at run time) and numba
compiling for a generic x86-64 (``NUMBA_CPU_NAME=generic``, with its own on-disk cache). The two
stores must hold byte-identical rows in every table. Before the generator and the permutation
null used QRP's own transcendentals, these dumps differed (the synthetic data's
``dataset_id_v2`` already did).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PERMUTATION_TOML = """\
name = "permutation"
family = "t-perm"
[data]
dataset = "edge"
[strategy]
kind = "ts_momentum"
[strategy.grid]
lookback = [1, 2, 4, 8]
[costs]
fee_bps = 1.0
slippage_bps = 0.5
[walk_forward]
n_folds = 3
purge = 10
[nulls.reality_check]
reps = 99
[nulls.spa_stepm]
reps = 99
[nulls.pbo]
n_blocks = 8
[nulls.permutation]
enabled = true
reps = 30
"""

# Prints what numpy dispatches to on this CPU, and which of those targets are enabled.
_PROBE = """\
import json
from numpy._core import _multiarray_umath as m
feats = m.__cpu_features__
print(json.dumps({"dispatch": [f for f in m.__cpu_dispatch__ if feats.get(f)],
                  "enabled": {f: bool(feats.get(f)) for f in m.__cpu_dispatch__}}))
"""

# Synthetic data and the permutation null's price paths, as hashes of their bytes.
_UNIT = """\
import hashlib, json
import numpy as np
from qrp_jupyter.data import synthetic
from qrp_jupyter.stats import permutation_test
from qrp_jupyter.stats.permutation import permuted_path
out = {}
for seed, edge, interval in ((7, 0.12, "1h"), (11, 0.0, "5m"), (3, -0.3, "1d")):
    ds = synthetic(n_bars=3000, seed=seed, edge=edge, interval=interval, assets=("A", "B"))
    out[f"data-{seed}"] = ds.dataset_id_v2
close = synthetic(n_bars=3000, seed=3, edge=0.15).close("SYN")
rng = np.random.default_rng(5)
paths = [permuted_path(close, rng.permutation(2999 // b + (2999 % b > 0)), b) for b in (1, 7)]
out["paths"] = hashlib.sha256(b"".join(p.tobytes() for p in paths)).hexdigest()
res = permutation_test(close, "ts_momentum", [{"lookback": 1}, {"lookback": 4}],
                       fee_bps=1, slippage_bps=0, reps=20, seed=1)
out["null"] = hashlib.sha256(res.null_distribution.tobytes()).hexdigest()
out["pvalue"] = res.pvalue
print(json.dumps(out, sort_keys=True))
"""


def _env(tmp_path: Path, generic: bool, features: list[str]) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("NPY_DISABLE_CPU_FEATURES", None)
    env.pop("NUMBA_CPU_NAME", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "kernel_ext"),
                                         env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["QRP_DETERMINISTIC_TIME"] = "2026-01-01T00:00:00Z"
    env["QRP_ACTOR"] = "pytest"
    env.pop("QRP_DB", None)
    if generic:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(features)
        env["NUMBA_CPU_NAME"] = "generic"
        # A generic build must not load (or overwrite) the native build's cached kernels.
        env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba-generic")
    return env


def _python(code_or_args: list[str], env: dict[str, str], cwd: Path) -> str:
    proc = subprocess.run([sys.executable, *code_or_args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc.stdout


@pytest.fixture(scope="module")
def features(tmp_path_factory) -> list[str]:
    """numpy's dispatch targets on this CPU, and proof that the env var disables them."""
    tmp = tmp_path_factory.mktemp("probe")
    native = json.loads(_python(["-c", _PROBE], _env(tmp, False, []), tmp))
    feats = native["dispatch"]
    if not feats:
        return feats        # nothing to disable: the native run is already the baseline
    off = json.loads(_python(["-c", _PROBE], _env(tmp, True, feats), tmp))
    assert not any(off["enabled"].values()), f"numpy ignored NPY_DISABLE_CPU_FEATURES: {off}"
    return feats


def test_numpy_dispatches_here(features):
    # On an x86-64 CI machine numpy always has AVX2-class targets: if it reports none, the
    # comparison below would compare a build with itself and prove nothing.
    import platform
    if platform.machine().lower() in ("x86_64", "amd64"):
        assert features, "numpy reports no SIMD dispatch target on this x86-64 CPU"


def _dump(db: Path) -> dict[str, list]:
    """Every row of every table (blobs as hex), in rowid order."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name")]
        out = {}
        for t in tables:
            try:
                rows = con.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall()
            except sqlite3.OperationalError:  # a WITHOUT ROWID table: order by every column
                width = len(con.execute(f'SELECT * FROM "{t}" LIMIT 0').description)
                order = ", ".join(str(i + 1) for i in range(width))
                rows = con.execute(f'SELECT * FROM "{t}" ORDER BY {order}').fetchall()
            out[t] = [[v.hex() if isinstance(v, bytes) else v for v in row] for row in rows]
        return out
    finally:
        con.close()


def _first_difference(a: dict, b: dict) -> str:
    for t in sorted(set(a) | set(b)):
        ra, rb = a.get(t), b.get(t)
        if ra != rb:
            if ra is None or rb is None or len(ra) != len(rb):
                return f"table {t}: {None if ra is None else len(ra)} vs " \
                       f"{None if rb is None else len(rb)} rows"
            i = next(i for i, (x, y) in enumerate(zip(ra, rb)) if x != y)
            return f"table {t}, row {i}: {str(ra[i])[:300]} vs {str(rb[i])[:300]}"
    return "no difference"


def _stores(tmp_path: Path, features: list[str], scenario) -> list[dict]:
    dumps = []
    for generic in (False, True):
        where = tmp_path / ("generic" if generic else "native")
        where.mkdir()
        db = where / "qrp.sqlite"
        scenario(db, _env(tmp_path, generic, features), where)
        dumps.append(_dump(db))
    return dumps


def _demo(db: Path, env: dict, cwd: Path) -> None:
    _python(["-m", "qrp_jupyter.cli", "demo", "--db", str(db), "--json"], env, cwd)


def _permutation_run(db: Path, env: dict, cwd: Path) -> None:
    cli = ["-m", "qrp_jupyter.cli"]
    _python([*cli, "data", "add", "--synthetic", "--bars", "3000", "--seed", "3",
             "--edge", "0.1", "--name", "edge", "--db", str(db)], env, cwd)
    cfg = cwd / "perm.toml"
    cfg.write_text(PERMUTATION_TOML)
    _python([*cli, "run", str(cfg), "--db", str(db)], env, cwd)


def test_generator_and_permutation_paths_identical(tmp_path, features):
    runs = [json.loads(_python(["-c", _UNIT], _env(tmp_path, generic, features), tmp_path))
            for generic in (False, True)]
    assert runs[0] == runs[1]


def test_permutation_run_store_identical(tmp_path, features):
    native, generic = _stores(tmp_path, features, _permutation_run)
    assert any(r for r in native["artifacts"]), "the run stored no artifacts"
    assert native == generic, _first_difference(native, generic)


def test_demo_store_identical(tmp_path, features):
    native, generic = _stores(tmp_path, features, _demo)
    digest = hashlib.sha256(json.dumps(native, sort_keys=True).encode()).hexdigest()
    assert native == generic, _first_difference(native, generic) + f" (native dump {digest})"


# Every output a notebook saves for the demo store (payload JSON and its static text/html,
# charts included), as one hash per output: `qrp verify --notebook` re-renders them and
# compares bytes, so another CPU must draw the same ones.
_VIEWS = """\
import hashlib, json, sys
from qrp_jupyter.store import Store
from qrp_jupyter.views import audit_bundle, lineage_bundle, run_bundle
import sqlite3
s = Store(sys.argv[1], readonly=True)
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
runs = [r[0] for r in con.execute("SELECT run_key FROM runs ORDER BY run_key")]
cands = [r[0] for r in con.execute("SELECT candidate_id FROM promotion_candidates ORDER BY 1")]
out = {}
for k in runs:
    out["run " + k] = run_bundle(s, k)
for c in cands:
    out["lineage " + c] = lineage_bundle(s, c)
    out["audit " + c] = audit_bundle(s, c)
print(json.dumps({name: {m: hashlib.sha256(json.dumps(v, sort_keys=True).encode()).hexdigest()
                         for m, v in b.items()} for name, b in out.items()}, sort_keys=True))
"""


def test_saved_outputs_of_the_demo_draw_the_same_bytes(tmp_path, features):
    db = tmp_path / "demo.sqlite"
    _demo(db, _env(tmp_path, False, features), tmp_path)
    native, generic = (json.loads(_python(["-c", _VIEWS, str(db)],
                                          _env(tmp_path, g, features), tmp_path))
                       for g in (False, True))
    assert sum(1 for name in native if name.startswith("run ")) == 2
    assert sum(1 for name in native if name.startswith("audit ")) == 2
    assert all("text/html" in b for b in native.values())
    assert native == generic
