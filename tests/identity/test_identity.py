"""Identity: canonical JSON, run_key, run_instance_id, seeds, deterministic time."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrp_jupyter.errors import ConfigError, IdentityError
from qrp_jupyter.identity import (SeedRecord, canonical_json, code_hash, function_source,
                                  hash_payload, now_iso, resolve_seed, run_instance_id, run_key)

DS = "a" * 64
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=20)


@given(st.dictionaries(st.text(max_size=6), json_values, max_size=6), st.randoms())
def test_key_order_never_changes_the_hash(d, rnd):
    items = list(d.items())
    rnd.shuffle(items)
    assert hash_payload(dict(items)) == hash_payload(d)


@given(json_values)
def test_canonical_json_round_trips(v):
    assert json.loads(canonical_json(v)) == v or v != v  # NaN never generated


def test_ints_and_floats_are_distinct_and_whitespace_free():
    assert canonical_json({"b": 1, "a": 1.0}) == '{"a":1.0,"b":1}'
    assert hash_payload({"x": 1}) != hash_payload({"x": 1.0})
    assert canonical_json(0.1) == "0.1"  # shortest round-trip form
    assert canonical_json("é") == '"é"'  # UTF-8, not \\u escapes


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_numbers_are_rejected_with_their_path(bad):
    with pytest.raises(IdentityError, match=r"costs\.fee_bps"):
        canonical_json({"costs": {"fee_bps": bad}})


def test_unsupported_types_are_rejected_not_guessed():
    with pytest.raises(IdentityError, match="tuple"):
        canonical_json({"grid": (1, 2)})
    with pytest.raises(IdentityError, match="float32"):
        canonical_json({"x": np.float32(1.0)})
    with pytest.raises(IdentityError, match="int64"):
        canonical_json({"x": np.int64(1)})
    # np.float64 *is* a Python float subclass: it has the same canonical form as the float.
    assert canonical_json({"x": np.float64(0.1)}) == canonical_json({"x": 0.1})


CONFIG = {"family": "f", "strategy": {"kind": "ma_crossover", "grid": [{"fast": 5, "slow": 50}]},
          "costs": {"fee_bps": 4.0, "slippage_bps": 1.0}}


def key(config=CONFIG, ds=DS, code=None, engine="0.1.0"):
    return run_key(config, dataset_id_v2=ds, code_hash=code, engine_version=engine)


def test_run_key_is_stable_and_sensitive_to_every_input():
    base = key()
    assert base == key(json.loads(json.dumps(CONFIG)))
    changed = [
        key({**CONFIG, "family": "g"}),
        key({**CONFIG, "costs": {"fee_bps": 4.5, "slippage_bps": 1.0}}),
        key({**CONFIG, "strategy": {"kind": "ma_crossover", "grid": [{"fast": 5, "slow": 51}]}}),
        key(ds="b" * 64),
        key(code="c" * 64),
        key(engine="0.1.1"),
    ]
    assert base not in changed and len(set(changed)) == len(changed)


@settings(max_examples=50)
@given(st.sampled_from(["fee_bps", "slippage_bps"]),
       st.floats(0, 100, allow_nan=False).filter(lambda x: x != 4.0 and x != 1.0))
def test_any_single_cost_change_changes_the_key(k, v):
    cfg = json.loads(json.dumps(CONFIG))
    cfg["costs"][k] = v
    assert key(cfg) != key()


def test_run_key_rejects_prefixes():
    with pytest.raises(IdentityError, match="dataset_id_v2"):
        key(ds="abc123")


def test_run_instance_id_depends_on_time_and_sequence():
    rk = key()
    a = run_instance_id(rk, started_at="t1", seq=1)
    assert a == run_instance_id(rk, started_at="t1", seq=1)
    assert a != run_instance_id(rk, started_at="t1", seq=2)
    assert a != run_instance_id(rk, started_at="t2", seq=1)
    with pytest.raises(IdentityError):
        run_instance_id(rk, started_at="t1", seq=0)


def _signal(close, lookback=3):
    return np.sign(close - np.roll(close, lookback))


def test_code_hash_follows_the_source_not_the_indentation():
    src = function_source(_signal)
    assert src.startswith("def _signal(close, lookback=3):")
    assert code_hash(src, entry_point="_signal") == code_hash(src, entry_point="_signal")
    indented = "".join("    " + ln + "\n" for ln in src.splitlines())
    import textwrap
    assert textwrap.dedent(indented) == src
    assert code_hash(src.replace("3", "4"), entry_point="_signal") != code_hash(
        src, entry_point="_signal")
    assert code_hash(src, entry_point="other") != code_hash(src, entry_point="_signal")


def test_seed_records_are_deterministic_and_salted():
    rk = key()
    a = SeedRecord(rk, "reality_check", {"reps": 100})
    b = SeedRecord(rk, "reality_check", {"reps": 100})
    assert a.root == b.root
    np.testing.assert_array_equal(a.generator().standard_normal(5),
                                  b.generator().standard_normal(5))
    assert SeedRecord(rk, "spa", {"reps": 100}).root != a.root
    assert SeedRecord(rk, "reality_check", {"reps": 101}).root != a.root
    assert SeedRecord.from_dict(a.to_dict()) == a
    tampered = {**a.to_dict(), "root": "0" * 64}
    with pytest.raises(IdentityError, match="not the hash"):
        SeedRecord.from_dict(tampered)


def test_resolve_seed_records_what_reproduces_it():
    g1, rec = resolve_seed(7)
    g2, _ = resolve_seed(rec["entropy"])
    np.testing.assert_array_equal(g1.random(3), g2.random(3))
    g3, rec3 = resolve_seed(None)
    g4, _ = resolve_seed(int(rec3["entropy"]))
    np.testing.assert_array_equal(g3.random(3), g4.random(3))
    with pytest.raises(IdentityError):
        resolve_seed(True)
    with pytest.raises(IdentityError):
        resolve_seed("7")


def test_deterministic_time(monkeypatch):
    monkeypatch.setenv("QRP_DETERMINISTIC_TIME", "2024-05-01T12:00:00Z")
    assert now_iso() == now_iso() == "2024-05-01T12:00:00.000000Z"
    monkeypatch.setenv("QRP_DETERMINISTIC_TIME", "yesterday")
    with pytest.raises(ConfigError, match="QRP_DETERMINISTIC_TIME"):
        now_iso()
    monkeypatch.delenv("QRP_DETERMINISTIC_TIME")
    assert now_iso().endswith("Z")


def test_every_stored_seed_record_reproduces_its_stream_when_passed_back():
    rk = "e" * 64
    for seed in (7, SeedRecord(rk, "spa", {"reps": 9}),
                 np.random.Generator(np.random.PCG64(123)), None):
        g, rec = resolve_seed(seed)
        first = g.random(4)
        g2, rec2 = resolve_seed(json.loads(json.dumps(rec)))
        np.testing.assert_array_equal(g2.random(4), first)
        assert rec2 == rec
    with pytest.raises(IdentityError, match="unknown seed record kind"):
        resolve_seed({"kind": "dice"})
