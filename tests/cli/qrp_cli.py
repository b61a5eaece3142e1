"""Run the ``qrp`` command as a real subprocess, and the small run config the CLI tests use."""

from __future__ import annotations

import os
import subprocess
import sys

CONFIG = """\
name = "cli"
family = "cli-fam"
[data]
dataset = "syn"
[strategy]
kind = "ts_momentum"
[strategy.grid]
lookback = [1, 2]
[walk_forward]
n_folds = 2
[nulls.reality_check]
reps = 99
"""


def qrp(*args, env_extra=None, cwd=None):
    env = {**os.environ, "QRP_ACTOR": "cli-test", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "qrp_jupyter.cli", *args], capture_output=True,
                          text=True, env=env, cwd=cwd)
