"""``verify --replay``: evidence that does not come from the data is caught by re-executing it.

The forger here needs no raw SQL at all: they run QRP with a doctored computation (results
computed on other data, recorded under this run), so every hash, the ledger and every report
are self-consistent. Only re-executing the run from the store's own config, data and code shows
that the evidence is not what that data gives.
"""

from __future__ import annotations

import pytest

from qrp_jupyter.audit import verify
from qrp_jupyter.governance import create_candidate, promote, verify_replays
from qrp_jupyter.runs import execute, execute_run
from qrp_jupyter.runs.replay import load_prepared
from world_configs import NOISE_TOML

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def test_clean_live_candidates_replay_identically(world):
    c = create_candidate(world.store, world.edge.run_instance_id)
    assert promote(world.store, c["candidate_id"], "candidate").passed
    rep = verify_replays(world.store, verify(world.store))
    assert rep.ok, rep.text()
    assert rep.checked["replayed runs"] == 1
    (r,) = rep.replays
    assert r["match"] and r["candidates"] == [c["candidate_id"]] and r["seconds"] > 0


def test_evidence_computed_on_other_data_is_caught(world, monkeypatch):
    real = execute.compute_run
    edge_prep = load_prepared(world.store, world.edge.run_key)

    def computed_elsewhere(prep, **kw):
        return real(edge_prep, **kw)  # the edge's results, recorded as the noise run's

    monkeypatch.setattr(execute, "compute_run", computed_elsewhere)
    forged = execute_run(world.store, NOISE_TOML.replace('name = "noise"',
                                                         'name = "noise, doctored"'))
    monkeypatch.undo()
    c = create_candidate(world.store, forged.run_instance_id)
    assert promote(world.store, c["candidate_id"], "candidate").passed  # the gate is fooled
    rep = verify(world.store)
    assert rep.ok, rep.text()                                          # every hash agrees
    rep = verify_replays(world.store, rep)
    assert not rep.ok
    assert any(p.table == "run_instances" and p.row == forged.run_instance_id
               and "does not reproduce its evidence" in p.problem for p in rep.problems)


def test_only_live_statuses_are_replayed(world):
    from qrp_jupyter.governance import reject
    c = create_candidate(world.store, world.noise.run_instance_id)
    reject(world.store, c["candidate_id"], reason="noise")
    rep = verify_replays(world.store, verify(world.store))
    assert rep.checked["replayed runs"] == 0 and rep.replays == []
