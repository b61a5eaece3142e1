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
