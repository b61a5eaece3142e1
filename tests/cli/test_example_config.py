"""The annotated example config in configs/ is a valid config that runs."""

from __future__ import annotations

from pathlib import Path

from qrp_jupyter.config import parse_config

EXAMPLE = Path(__file__).resolve().parents[2] / "configs" / "trend.toml"


def test_example_config_parses_and_runs(world):
    from qrp_jupyter.data import synthetic
    from qrp_jupyter.runs import execute_run, register_dataset
    text = EXAMPLE.read_text(encoding="utf-8")
    cfg = parse_config(text, source=str(EXAMPLE))
    assert cfg.values["strategy"]["kind"] == "ma_crossover"
    register_dataset(world.store, synthetic(n_bars=3000, seed=7, edge=0.12),
                     name="synthetic-edge")
    out = execute_run(world.store, text.replace("reps = 1000", "reps = 99"))
    assert out.summary["n_trials"] == 9 and out.summary["pbo"] is not None
