"""A real IPython shell with ``%load_ext qrp_jupyter``, pointed at a per-test copy of the world.

Every magic is driven through the shell (``run_cell`` / ``run_cell_magic``), exactly as a
notebook cell would run it; displays are captured with ``capture_output``.
"""

from __future__ import annotations

import pytest

from kshell import qrp_magics

_SETTINGS = {"max_trials": 10, "max_points": 400, "short_errors": True, "progress": True}


@pytest.fixture(scope="session")
def _shell():
    from IPython.testing.globalipapp import start_ipython

    ip = start_ipython()
    ip.run_line_magic("load_ext", "qrp_jupyter")
    return ip


@pytest.fixture
def ip(_shell, world):
    """The shell, its QRP store set to this test's copy of the world (datasets edge, noise)."""
    magics = qrp_magics(_shell)
    magics.db = world.store.path
    for key, value in _SETTINGS.items():
        setattr(magics, key, value)
    names = set(_shell.user_ns)
    yield _shell
    for name in set(_shell.user_ns) - names:
        _shell.user_ns.pop(name, None)
