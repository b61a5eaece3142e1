"""Property-based input fuzzing (issue 11, part 6), with hypothesis.

* The config reader and parser, over mutated valid configs (``configs/`` and the test world's):
  every input is a RunConfig or a ConfigError-family QrpError, never another exception.
* A run of a mutated config through ``qrp run`` (``main``): exit 0 recording exactly one run
  instance, or exit 2 writing nothing.
* Id resolution over random prefixes, unicode and control characters: a full id or a
  NotFoundError, and through ``qrp lineage``/``qrp audit`` exit 0, 2 or 4; no row written.
* ``qrp verify --notebook`` over mutated saved notebooks (the world's, and those in
  ``example_notebooks/``): exit 0, 2 or 4, never a traceback, no row written.

Examples are modest (``max_examples``) and have no deadline: the file runs in about a minute.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrp_jupyter.cli import main
from qrp_jupyter.config import RunConfig, parse_config
from qrp_jupyter.errors import NotFoundError, QrpError
from qrp_jupyter.store import Store
from qrp_jupyter.textfile import decode_utf8
from world_configs import EDGE_TOML, NOISE_TOML

import insider

ROOT = Path(__file__).resolve().parents[1]
CONFIG_TEXTS = [EDGE_TOML, NOISE_TOML] + [p.read_text(encoding="utf-8")
                                          for p in sorted((ROOT / "configs").glob("*.toml"))]
EXAMPLE_NOTEBOOKS = sorted((ROOT / "example_notebooks").glob("*.ipynb"))

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])


def _counts(store) -> dict[str, int]:
    names = [r[0] for r in insider.rows(
        store, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {n: insider.row(store, f"SELECT COUNT(*) FROM {n}")[0] for n in names}


def _cli(argv: list[str], capsys) -> int:
    """``main(argv)`` in this process; anything but a return (or argparse's exit) fails."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse refusing an option-like value: its exit 2
        code = exc.code
    out = capsys.readouterr()
    assert "Traceback" not in out.err, out.err
    return code


# ---------------------------------------------------------------------------------------------
# mutations
# ---------------------------------------------------------------------------------------------

LITERALS = st.one_of(
    st.integers(min_value=1, max_value=30).map(str),  # often still a valid config
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(
        lambda f: "nan" if f != f else ("inf" if f == float("inf") else
                                        "-inf" if f == float("-inf") else repr(f))),
    st.sampled_from(["1e-300", "1e308", "-0.0", "0", "1_000", "true", "false", '""', '"auto"',
                     "[]", "[[]]", "{}", "[1, [2]]", '"\\u001b[2J"', "'''x'''", "1979-05-27",
                     "[" * 40 + "]" * 40, "{a={b={c=1}}}", "0x1f", "+inf", "[nan]"]),
    st.text(max_size=12).map(json.dumps),
)


@st.composite
def mutated_config(draw, texts=tuple(CONFIG_TEXTS)) -> bytes:
    """A valid config with one to three edits: a value replaced, a line deleted, duplicated or
    inserted, or a byte changed (which may break UTF-8)."""
    lines = draw(st.sampled_from(texts)).splitlines()
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["value", "value", "value", "delete", "duplicate", "insert",
                                   "byte"]))
        i = draw(st.integers(0, len(lines) - 1))
        if op == "value" and "=" in lines[i]:
            key = lines[i].split("=", 1)[0]
            lines[i] = f"{key}= {draw(LITERALS)}"
        elif op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "insert":
            lines.insert(i, draw(st.one_of(
                st.sampled_from(["[strategy.overlay]", "[nulls.permutation]", "enabled = true",
                                 "mode = \"cpcv\"", "[x]", "[[nulls]]", "size = 1e-9",
                                 "test_groups = 3", "reps = 1"]),
                st.text(max_size=20))))
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()) and data:
        j = draw(st.integers(0, len(data) - 1))
        data = data[:j] + bytes([draw(st.integers(0, 255))]) + data[j + 1:]
    return data


# ---------------------------------------------------------------------------------------------
# the config parser
# ---------------------------------------------------------------------------------------------

@FUZZ
@given(data=mutated_config())
def test_every_mutated_config_parses_or_is_a_config_error(data):
    try:
        cfg = parse_config(decode_utf8(data, source="f.toml", what="config"), source="f.toml")
    except QrpError as exc:
        assert exc.exit_code == 2
        assert "f.toml" in str(exc) and "Fix:" in str(exc), str(exc)
    else:
        assert isinstance(cfg, RunConfig)


SMALL = """\
name = "fz"
family = "fz"
[data]
dataset = "edge"
[strategy]
kind = "ts_momentum"
[strategy.grid]
lookback = [1, 2]
[costs]
fee_bps = 1.0
[walk_forward]
n_folds = 2
[nulls.reality_check]
reps = 19
[nulls.spa_stepm]
reps = 19
size = 0.1
[nulls.pbo]
n_blocks = 4
"""


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    """A store with 300-bar datasets ``edge`` and ``noise``, folded into its main file."""
    from qrp_jupyter.data import synthetic
    from qrp_jupyter.runs import register_dataset
    path = tmp_path_factory.mktemp("fuzz") / "small.sqlite"
    s = Store(path)
    register_dataset(s, synthetic(n_bars=300, seed=5, edge=0.15), name="edge")
    register_dataset(s, synthetic(n_bars=300, seed=11), name="noise")
    s.checkpoint()
    s.close()
    return path


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=mutated_config(texts=(SMALL,)))
def test_a_run_of_a_mutated_config_records_one_run_or_nothing(small_world, capsys, data):
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "s.sqlite"
        shutil.copyfile(small_world, db)
        cfg = Path(d) / "m.toml"
        cfg.write_bytes(data)
        s = Store(db)
        before = _counts(s)
        s.close()
        code = _cli(["run", str(cfg), "--db", str(db)], capsys)
        s = Store(db)
        after = _counts(s)
        s.close()
    assert code in (0, 2), code
    if code == 2:
        assert after == before
    else:
        assert after["run_instances"] == before["run_instances"] + 1
        assert after["runs"] - before["runs"] in (0, 1)


# ---------------------------------------------------------------------------------------------
# id resolution
# ---------------------------------------------------------------------------------------------

ODD_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@st.composite
def references(draw, ids: list[str]) -> str:
    kind = draw(st.sampled_from(["prefix", "prefix", "odd", "hexish"]))
    if kind == "prefix":
        full = draw(st.sampled_from(ids))
        ref = full[:draw(st.integers(0, 64))]
        if draw(st.booleans()):
            ref = ref.upper()
        return draw(st.sampled_from(["", " ", "\t", "\n"])) + ref + draw(
            st.sampled_from(["", " ", "\x00", "\x1b[2J", "é", "g"]))
    if kind == "hexish":
        return draw(st.text(alphabet="0123456789abcdefABCDEF", min_size=0, max_size=70))
    return draw(ODD_TEXT)


def _ids(store) -> list[str]:
    out = []
    for table, column in (("datasets", "dataset_id_v2"), ("runs", "run_key"),
                          ("run_instances", "run_instance_id"),
                          ("promotion_candidates", "candidate_id")):
        out += [r[0] for r in insider.rows(store, f"SELECT {column} FROM {table}")]
    return out


def test_id_resolution_gives_a_full_id_or_a_not_found_error(world):
    from qrp_jupyter.lineage import resolve_lineage_ref
    from qrp_jupyter.runs import resolve_dataset, resolve_instance

    store = world.store
    ids = _ids(store)
    before = _counts(store)

    @FUZZ
    @given(ref=references(ids))
    def check(ref):
        for resolve in (lambda r: store.resolve("runs", "run_key", r, what="run"),
                        lambda r: store.resolve("datasets", "dataset_id_v2", r, what="dataset"),
                        lambda r: resolve_instance(store, r),
                        lambda r: resolve_dataset(store, r),
                        lambda r: resolve_lineage_ref(store, r)[1]):
            try:
                full = resolve(ref)
            except NotFoundError as exc:
                assert exc.exit_code == 2 and "Fix:" in str(exc)
            else:
                assert len(full) == 64 and full in ids

    check()
    assert _counts(store) == before


def test_id_references_through_the_cli_exit_0_2_or_4(world, capsys):
    store = world.store
    ids = _ids(store)
    before = _counts(store)

    @settings(max_examples=30, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(ref=references(ids), command=st.sampled_from(["lineage", "audit"]))
    def check(ref, command):
        code = _cli([command, ref, "--db", store.path], capsys)
        assert code in ((0, 2) if command == "lineage" else (0, 2, 4)), (command, ref, code)

    check()
    assert _counts(store) == before


# ---------------------------------------------------------------------------------------------
# verify --notebook
# ---------------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**40), max_value=10**40),
              st.floats(allow_nan=False), st.text(max_size=20),
              st.sampled_from(["0" * 64, "f" * 64, "%%qrp_run\n", "application/vnd.qrp.run+json"])),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)


def _paths(value, prefix=()):
    """Every (path, value) in a JSON document."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


def _replace(doc, path, new):
    if not path:
        return new
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = new
    return doc


@st.composite
def mutated_notebook(draw, sources: list[bytes]) -> bytes:
    raw = draw(st.sampled_from(sources))
    if draw(st.integers(0, 4)) == 0:  # bytes: truncate or change one
        j = draw(st.integers(0, len(raw) - 1))
        if draw(st.booleans()):
            return raw[:j]
        return raw[:j] + bytes([draw(st.integers(0, 255))]) + raw[j + 1:]
    doc = json.loads(raw)
    paths = list(_paths(doc))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        try:
            doc = _replace(doc, path, draw(JSON_VALUES))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed this place
        paths = list(_paths(doc))
    return json.dumps(doc).encode()


def test_verify_notebook_on_mutated_notebooks_exits_0_2_or_4(world, capsys):
    from qrp_jupyter.views import MIME_LINEAGE, MIME_RUN

    import saved_notebook as snb
    inst = world.edge.run_instance_id
    cells = [snb.qrp_cell(world.store, "%%qrp_run\n", MIME_RUN,
                          {"ref": inst, "max_trials": 10, "max_points": 400}),
             snb.qrp_cell(world.store, f"%qrp_lineage {inst}", MIME_LINEAGE, {"ref": inst})]
    ours = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": cells}).encode()
    sources = [ours, ours] + [p.read_bytes() for p in EXAMPLE_NOTEBOOKS]
    store = world.store
    before = _counts(store)

    @settings(max_examples=40, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=mutated_notebook(sources))
    def check(data):
        with tempfile.TemporaryDirectory() as d:
            nb = Path(d) / "nb.ipynb"
            nb.write_bytes(data)
            code = _cli(["verify", "--notebook", str(nb), "--db", store.path], capsys)
        assert code in (0, 2, 4), code

    check()
    assert _counts(store) == before
