"""Calibration of the statistical tests (DESIGN section 5): size under null processes, power
under a planted edge. ``results.json`` is produced by ``python tests/calibration/calibrate.py``.

Two kinds of check, all seeded and so deterministic:
- the committed ``results.json`` is tagged with the current ENGINE_VERSION, covers every
  (test, process) cell, every banded size lies in [2.5%, 8%] and every power floor is met;
- every size cell is re-run with the stored repetitions and seeds: the count must reproduce the
  stored one and the rate must lie in [2.5%, 8%] (known mis-sized cells: must still be outside,
  so a fix is noticed). The iid-normal power of RC / SPA / StepM at T = 2000 is re-run on 100
  repetitions and must be >= 0.8.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numba
import pytest

from qrp_jupyter.engine import ENGINE_VERSION

# calibrate.py is also a script (it writes results.json), so it sits beside this file and is
# imported from there.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import calibrate as cal
from processes import PROCESSES

pytestmark = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="needs compiled kernels")

LO, HI = cal.SIZE_BAND


def _results() -> dict:
    assert cal.RESULTS.exists(), "run python tests/calibration/calibrate.py"
    return json.loads(cal.RESULTS.read_text())


def _size_cell(res, test, process):
    cells = [c for c in res["size"] if c["test"] == test and c["process"] == process
             and c["role"] == "calibration"]
    assert len(cells) == 1, (test, process)
    return cells[0]


@pytest.mark.slow
def test_results_tagged_with_current_engine_and_complete():
    res = _results()
    assert res["engine_version"] == ENGINE_VERSION, "calibration is stale: re-run calibrate.py"
    for key in ("qrp_version", "numpy_version", "numba_version", "date"):
        assert res[key]
    for t in cal.TESTS:
        for p in PROCESSES:
            if p in t.not_null:
                assert [c for c in res["power"] if c["test"] == t.name and c["process"] == p]
                continue
            c = _size_cell(res, t.name, p)
            for key in ("T", "k", "R", "rate", "wilson95", "seconds"):
                assert key in c
            if t.bootstrap:
                assert c["B"] == cal.B
    assert {(c["process"], c["edge"] > 0) for c in res["pbo"]} == {
        (p, e) for p in PROCESSES for e in (False, True)}


@pytest.mark.slow
def test_stored_sizes_in_band():
    res = _results()
    out = [(c["test"], c["process"], c["rate"], c["wilson95"]) for c in res["size"]
           if c["banded"] and c["role"] == "calibration" and not c["known_missized"]
           and not LO <= c["rate"] <= HI]
    assert not out, out


@pytest.mark.slow
def test_known_missized_cells_still_recorded_and_still_missized():
    """Surfaced, not hidden: the stored flags are exactly KNOWN_MISSIZED (an exemption cannot be
    added to results.json by hand), and each exempt cell is still out of band (if one comes
    into the band, drop it from KNOWN_MISSIZED)."""
    res = _results()
    flagged = {(c["test"], c["process"]) for c in res["size"]
               if c["known_missized"] and c["role"] == "calibration"}
    assert flagged == cal.KNOWN_MISSIZED
    for test, process in cal.KNOWN_MISSIZED:
        c = _size_cell(res, test, process)
        assert not LO <= c["rate"] <= HI, c


@pytest.mark.slow
def test_stored_unbanded_sizes_not_anticonservative():
    """DSR is conservative by construction (see calibrate.py); it must not over-reject."""
    res = _results()
    out = [(c["test"], c["process"], c["rate"]) for c in res["size"]
           if not c["banded"] and c["rate"] > HI]
    assert not out, out


@pytest.mark.slow
def test_stored_powers_meet_floors():
    res = _results()
    floored = [c for c in res["power"] if c["floor"] is not None]
    assert {c["test"] for c in floored} >= {"reality_check", "reality_check_studentized",
                                            "spa_consistent", "stepm_fwer", "permutation"}
    low = [(c["test"], c["process"], c["T"], c["rate"]) for c in floored
           if c["rate"] < c["floor"]]
    assert not low, low


@pytest.mark.slow
def test_stored_pbo_noise_near_half_edge_near_zero():
    res = _results()
    for c in res["pbo"]:
        if c["edge"] == 0:
            assert 0.4 <= c["mean_pbo"] <= 0.6, c
        elif c["T"] == cal.T_POWER:
            # near 0: measured 0.04-0.05 on iid/t/GARCH; AR(1) noise columns disperse the
            # Sharpe ratios more, 0.10; 0.15 still separates skill from noise's 0.5 clearly.
            assert c["mean_pbo"] <= 0.15, c


@pytest.mark.slow
@pytest.mark.parametrize("test, process", [
    (t.name, p) for t in cal.TESTS for p in PROCESSES if p not in t.not_null])
def test_size_rerun(test, process):
    stored = _size_cell(_results(), test, process)
    cell = cal.rejection_rate(test, process, reps=stored["check_R"], n_obs=stored["T"])
    assert cell["rejections"] == stored["check_rejections"], "not reproducible"
    in_band = LO <= cell["rate"] <= HI
    if not stored["banded"]:   # conservative by design: it must not over-reject
        assert cell["rate"] <= HI, cell
    elif (test, process) in cal.KNOWN_MISSIZED:
        assert not in_band, f"{test} on {process} is now calibrated: drop it from KNOWN_MISSIZED"
    else:
        assert in_band, cell


@pytest.mark.slow
@pytest.mark.parametrize("test", ["reality_check", "reality_check_studentized",
                                  "spa_consistent", "stepm_fwer"])
def test_power_rerun_iid_normal(test):
    cell = cal.rejection_rate(test, "iid_normal", reps=cal.R_CHECK_POWER, n_obs=cal.T_POWER,
                              edge=cal.EDGE)
    assert cell["rate"] >= cal.POWER_FLOOR, cell


@pytest.mark.slow
def test_permutation_power_rerun_on_structure():
    """AR(1) returns carry order information that momentum uses: the permutation test finds it."""
    t = cal.T_BY_PROCESS["ar1"][0]
    cell = cal.rejection_rate("permutation", "ar1", reps=cal.R_CHECK_POWER, n_obs=t)
    assert cell["rate"] >= cal.POWER_FLOOR, cell
