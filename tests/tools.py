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
