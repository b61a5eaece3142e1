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
