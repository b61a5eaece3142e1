"""``%load_ext qrp_jupyter``: cheap to load, magics registered, settings as traitlets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from traitlets import TraitError

from kshell import qrp_magics

MAGICS = {"cell": {"qrp_run"},
          "line": {"qrp_init", "qrp_data", "qrp_promote", "qrp_audit", "qrp_lineage",
                   "qrp_runs", "qrp_candidates", "qrp_verify"}}
HEAVY = ("numpy", "pandas", "numba", "networkx", "ipywidgets", "anywidget", "qrp_jupyter.store")


def _python(code: str, **env: str) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=120, env={**os.environ, **env})
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_load_ext_registers_every_magic_and_imports_nothing_heavy():
    out = _python("""
        import json, sys
        from IPython.core.interactiveshell import InteractiveShell
        ip = InteractiveShell.instance()
        before = set(sys.modules)
        ip.run_line_magic("load_ext", "qrp_jupyter")
        print(json.dumps({"new": sorted(set(sys.modules) - before),
                          "cell": sorted(ip.magics_manager.magics["cell"]),
                          "line": sorted(ip.magics_manager.magics["line"])}))
    """)
    got = json.loads(out)
    assert MAGICS["cell"] <= set(got["cell"])
    assert MAGICS["line"] <= set(got["line"])
    loaded = [m for m in got["new"] if m.split(".")[0] in HEAVY or m in HEAVY]
    assert loaded == [], loaded


def test_settings_work_from_config_magic(ip):
    ip.run_line_magic("config", "QrpMagics.db = '/tmp/elsewhere.sqlite'")
    ip.run_line_magic("config", "QrpMagics.max_trials = 3")
    ip.run_line_magic("config", "QrpMagics.short_errors = False")
    m = qrp_magics(ip)
    assert (m.db, m.max_trials, m.short_errors) == ("/tmp/elsewhere.sqlite", 3, False)
    with pytest.raises(TraitError):
        m.max_trials = 0


def test_db_defaults_to_the_qrp_db_environment_variable():
    code = """
        from IPython.core.interactiveshell import InteractiveShell
        ip = InteractiveShell.instance()
        ip.run_line_magic("load_ext", "qrp_jupyter")
        print(ip.find_cell_magic("qrp_run").__self__.db)
    """
    assert _python(code, QRP_DB="/data/research.sqlite").strip() == "/data/research.sqlite"
    env = {k: v for k, v in os.environ.items() if k != "QRP_DB"}
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=120, env=env)
    assert out.stdout.strip() == "qrp.sqlite", out.stderr


def test_settings_work_from_ipython_config_py(tmp_path):
    profile = tmp_path / "profile_qrp"
    profile.mkdir()
    (profile / "ipython_config.py").write_text(textwrap.dedent("""
        c.InteractiveShellApp.extensions = ["qrp_jupyter"]
        c.QrpMagics.db = "/srv/qrp/team.sqlite"
        c.QrpMagics.max_trials = 4
        c.QrpMagics.max_points = 50
        c.QrpMagics.short_errors = False
        c.QrpMagics.progress = False
    """), encoding="utf-8")
    code = ("m = get_ipython().find_cell_magic('qrp_run').__self__; "
            "print('QRP', m.db, m.max_trials, m.max_points, m.short_errors, m.progress)")
    out = subprocess.run([sys.executable, "-m", "IPython", f"--profile-dir={profile}",
                          "--no-banner", "--colors=nocolor", "-c", code],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")})
    assert out.returncode == 0, out.stderr
    line = [x for x in out.stdout.splitlines() if x.startswith("QRP ")]
    assert line == ["QRP /srv/qrp/team.sqlite 4 50 False False"], out.stdout + out.stderr


def test_the_governed_load_then_a_notebook_load_is_silent_and_registers_once():
    # The governed kernel loads `qrp_kernel` at start (launcher.EXTENSION); a notebook then
    # says `%load_ext qrp_jupyter`, as it must on any other kernel.
    out = _python("""
        import io, json, contextlib
        from IPython.core.interactiveshell import InteractiveShell
        from qrp_kernel.launcher import EXTENSION
        import qrp_kernel
        ip = InteractiveShell.instance()
        ip.extension_manager.load_extension(EXTENSION)
        magics = ip.find_cell_magic("qrp_run").__self__
        hooks = lambda: sum(getattr(cb, "__self__", None) is magics
                            for cb in ip.events.callbacks["pre_run_cell"])
        said, counts = [], [hooks()]
        for line in ("load_ext qrp_jupyter", "reload_ext qrp_jupyter"):
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                ip.run_line_magic(*line.split())
            said.append(buf.getvalue())
            counts.append(hooks())
        same = ip.find_cell_magic("qrp_run").__self__ is magics
        qrp_kernel.unload_ipython_extension(ip)
        counts.append(hooks())
        qrp_kernel.load_ipython_extension(ip)  # puts the hook back on the same instance
        counts.append(hooks())
        print(json.dumps({"ext": EXTENSION, "said": said, "counts": counts, "same": same}))
    """)
    got = json.loads(out.strip().splitlines()[-1])
    assert got == {"ext": "qrp_kernel", "said": ["", ""], "counts": [1, 1, 1, 0, 1],
                   "same": True}
