"""The governed kernel "Python 3 (QRP)": installed with the package, started for real."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import qrp_kernel
from qrp_kernel import kernelspec
from qrp_kernel.launcher import governed_env, numba_cache_dir, numba_num_threads

SPEC_FILE = Path(qrp_kernel.__file__).parents[1] / "kernelspec" / "qrp" / "kernel.json"
PINNED = {"PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
          "OPENBLAS_NUM_THREADS": "1"}


def available_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def test_kernel_json_pins_hash_seed_threads_and_starts_the_launcher():
    spec = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    assert spec["display_name"] == "Python 3 (QRP)"
    assert spec["argv"] == ["python", "-m", "qrp_kernel.launcher", "-f", "{connection_file}"]
    assert spec["env"] == PINNED
    # The numba pool is sized by the launcher to the machine, never pinned in the spec.
    assert "NUMBA_NUM_THREADS" not in spec["env"]


def test_the_installed_kernelspec_is_found_by_jupyter():
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("qrp")
    assert spec.display_name == "Python 3 (QRP)"
    assert spec.env == PINNED


def test_install_into_a_prefix(tmp_path):
    path = kernelspec.install(prefix=str(tmp_path))
    installed = json.loads((Path(path) / "kernel.json").read_text(encoding="utf-8"))
    assert installed == json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    assert Path(path) == tmp_path / "share" / "jupyter" / "kernels" / "qrp"


def test_numba_cache_dir_is_per_user_unless_set(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert numba_cache_dir() == str(tmp_path / "qrp" / "numba")
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/elsewhere")
    assert numba_cache_dir() == "/elsewhere"


def test_numba_threads_follow_the_cpus_available_unless_set(monkeypatch):
    monkeypatch.delenv("NUMBA_NUM_THREADS", raising=False)
    assert numba_num_threads() == str(available_cpus())
    if hasattr(os, "sched_getaffinity"):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
        assert numba_num_threads() == "1"
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert numba_num_threads() == "1"
    monkeypatch.setenv("NUMBA_NUM_THREADS", "3")
    assert numba_num_threads() == "3"
    assert governed_env()["NUMBA_NUM_THREADS"] == "3"


PROBE = """\
import json, os, sys
ip = get_ipython()
print("QRP-PROBE " + json.dumps({
    "env": {k: os.environ.get(k) for k in %s},
    "numba_cache": os.environ.get("NUMBA_CACHE_DIR"),
    "numba_threads": os.environ.get("NUMBA_NUM_THREADS"),
    "executable": sys.executable,
    "cell_magics": sorted(ip.magics_manager.magics["cell"]),
    "line_magics": sorted(ip.magics_manager.magics["line"]),
    "hash": hash("qrp"),
}))
"""


def _probe(tmp_path, **extra: str) -> dict:
    from jupyter_client.manager import start_new_kernel

    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "NUMBA_NUM_THREADS", *PINNED)}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env.update(extra)
    km, kc = start_new_kernel(kernel_name="qrp", env=env, startup_timeout=90)
    try:
        outputs: list[str] = []

        def hook(msg):
            if msg["msg_type"] == "stream":
                outputs.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                outputs.append("\n".join(msg["content"]["traceback"]))

        reply = kc.execute_interactive(PROBE % sorted(PINNED), timeout=60,
                                       output_hook=hook)
        assert reply["content"]["status"] == "ok", outputs
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    line = next(x for x in "".join(outputs).splitlines() if x.startswith("QRP-PROBE "))
    return json.loads(line[len("QRP-PROBE "):])


def test_the_real_kernel_is_governed_and_has_the_magics_loaded(tmp_path):
    got = _probe(tmp_path)
    assert got["env"] == PINNED
    assert got["numba_cache"] == str(tmp_path / "cache" / "qrp" / "numba")
    assert got["numba_threads"] == str(available_cpus())
    assert Path(got["numba_cache"]).is_dir()
    assert Path(got["executable"]).resolve() == Path(sys.executable).resolve()
    assert "qrp_run" in got["cell_magics"]
    assert {"qrp_promote", "qrp_audit", "qrp_lineage", "qrp_verify"} <= set(got["line_magics"])
    # PYTHONHASHSEED=0 makes str hashes identical in every session of the kernel
    assert got["hash"] == _probe(tmp_path)["hash"]


def test_the_real_kernel_keeps_a_numba_thread_count_set_by_the_user(tmp_path):
    assert _probe(tmp_path, NUMBA_NUM_THREADS="1")["numba_threads"] == "1"
