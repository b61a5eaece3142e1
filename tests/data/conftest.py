"""Fixtures for the data tests: the real exchange files beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

# ../shared/data beside the repository (README there describes every file).
REAL_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="session")
def real_data() -> Path:
    if not REAL_DATA.is_dir():
        pytest.skip(f"real exchange data folder {REAL_DATA} is absent (it lives beside the "
                    "repository as ../shared/data)")
    return REAL_DATA
