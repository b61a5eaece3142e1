"""External programs some tests need: CI must have them; a developer machine may not."""

from __future__ import annotations

import os
import shutil

import pytest


def required_program(name: str, *, install: str) -> str:
    """The path of ``name``. Under CI a missing program fails the test (the check it serves
    must run there, never be skipped); on a developer machine without it the test is skipped
    with how to install it."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed, and CI must run this check")
        pytest.skip(f"{name} is not installed ({install})")
    return path


def privileged(what: str, argv: list[str]) -> None:
    """Run a command that needs root (mount, chattr). Under CI its failure fails the test;
    elsewhere the test is skipped saying what could not be done."""
    import subprocess
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        message = f"cannot {what} here ({' '.join(argv)}: {r.stderr.strip()})"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI runs as root and must run this check")
        pytest.skip(message)


_BATCH = r"""
import contextlib, io, json, sys, traceback
from qrp_jupyter.cli import main
results = []
for argv in json.loads(sys.stdin.read()):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own refusals
            code = exc.code
        except BaseException:
            code = "traceback"
            traceback.print_exc(file=err)
    results.append({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
sys.__stdout__.write(json.dumps(results))
"""


def qrp_batch(argvs: list[list[str]], *, actor: str = "cli-test", cwd=None) -> list[dict]:
    """Run many ``qrp`` command lines in one fresh process, one ``main(argv)`` call each (the
    entry point the ``qrp`` script calls): ``code`` (``"traceback"`` when one escaped),
    ``stdout`` and ``stderr`` of every call. Saves an interpreter start per case; each call
    still opens its files from scratch."""
    import json
    import subprocess
    import sys
    env = {**os.environ, "QRP_ACTOR": actor}
    r = subprocess.run([sys.executable, "-c", _BATCH], input=json.dumps(
        [[str(a) for a in argv] for argv in argvs]), capture_output=True, text=True, env=env,
        cwd=cwd, timeout=600)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)
