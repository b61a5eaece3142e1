"""The committed false-acceptance record (``benchmarks/results/false_acceptance.json``) is the
gate's published false-acceptance rate (DESIGN section 4). This slice keeps it honest: the record
must have been made under the current default policy and engine, and the first replicates of a
few worlds, re-run here through the harness's own functions, must reproduce it exactly.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RECORD = REPO / "benchmarks" / "results" / "false_acceptance.json"
WORLDS = ("iid", "lookahead", "mined_split", "edge_0.15")
N_REPLICATES = 2

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(scope="module")
def fa():
    import sys
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import false_acceptance
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    return false_acceptance


@pytest.fixture(scope="module")
def record():
    assert RECORD.is_file(), (f"{RECORD} is missing: run "
                              f"benchmarks/false_acceptance.py --out {RECORD}")
    return json.loads(RECORD.read_text())


# Newcombe (1998), Statistics in Medicine 17:857, table I, method 3 (Wilson, no continuity
# correction): k/n -> 95 % interval, four decimals.
NEWCOMBE = [((81, 263), (0.2553, 0.3662)), ((15, 148), (0.0624, 0.1605)),
            ((0, 20), (0.0000, 0.1611)), ((1, 29), (0.0061, 0.1718))]


@pytest.mark.parametrize(("kn", "expected"), NEWCOMBE)
def test_wilson_interval_matches_newcombe(fa, kn, expected):
    lo, hi = fa.wilson(*kn)
    assert lo == pytest.approx(expected[0], abs=5e-5)
    assert hi == pytest.approx(expected[1], abs=5e-5)


def test_wilson_interval_edges_and_symmetry(fa):
    assert fa.wilson(0, 0) == [0.0, 1.0]
    lo, hi = fa.wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(3.8415 / 13.8415, abs=1e-4)  # z^2 / (n + z^2)
    a, b = fa.wilson(3, 17)
    c, d = fa.wilson(14, 17)
    assert math.isclose(a, 1 - d) and math.isclose(b, 1 - c)
    with pytest.raises(ValueError):
        fa.wilson(5, 4)


def test_record_is_for_the_current_policy_and_engine(record):
    from qrp_jupyter.engine import ENGINE_VERSION
    from qrp_jupyter.policies import DEFAULT_POLICY

    assert record["kind"] == "qrp_false_acceptance"
    pol = record["policy"]
    if pol["hash"] != DEFAULT_POLICY.policy_hash or record["engine_version"] != ENGINE_VERSION:
        pytest.fail(
            f"benchmarks/results/false_acceptance.json was made under policy {pol['name']} "
            f"v{pol['version']} ({pol['hash'][:12]}) and engine {record['engine_version']}; the "
            f"current ones are {DEFAULT_POLICY.name} v{DEFAULT_POLICY.version} "
            f"({DEFAULT_POLICY.policy_hash[:12]}) and engine {ENGINE_VERSION}: re-run "
            "benchmarks/false_acceptance.py --out benchmarks/results/false_acceptance.json",
            pytrace=False)


def test_record_summaries_agree_with_its_replicates(fa, record):
    for name, w in record["worlds"].items():
        again = fa.summarise(name, w["replicates"])
        for key in ("n", "null", "accepted_candidate", "accepted_accepted",
                    "wilson95_candidate", "wilson95_accepted", "blocker_counts"):
            assert again[key] == w[key], (name, key)
        assert record["meets_goal"][name] == fa.meets_goal(w)


@pytest.mark.slow
@pytest.mark.parametrize("world", WORLDS)
def test_first_replicates_reproduce_the_record(fa, record, world):
    test_record_is_for_the_current_policy_and_engine(record)
    assert world in record["worlds"], f"the record has no world {world!r}: re-run " \
                                      "benchmarks/false_acceptance.py"
    by_seed = {r["seed"]: r for r in record["worlds"][world]["replicates"]}
    for seed in range(N_REPLICATES):
        got = fa.run_replicate(world, seed)
        want = by_seed[seed]
        # The data first: the generators promise the same bits on every CPU.
        for key in ("dataset_id_v2", "candidate", "accepted", "blockers",
                    "blockers_candidate", "blockers_accepted"):
            assert got[key] == want[key], (
                f"{world} seed {seed}: {key} is {got[key]!r} now, the record says "
                f"{want[key]!r}: re-run benchmarks/false_acceptance.py")
