"""The engine's docstring examples run (house style: docstring examples are doctests)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["families", "backtest", "metrics", "walkforward", "attestation", "overlays", "panel",
           "book", "cpcv", "probe"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(f"qrp_jupyter.engine.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
