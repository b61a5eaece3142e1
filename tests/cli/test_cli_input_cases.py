"""Input hygiene through the real CLI (issue 11, part 6): config and policy files, ids and
names, the lineage page and user strategy code. Every bad input is exit 2 (130 for an
interrupt) with one message naming what, where and how to fix it; nothing is recorded and no
store file is created.

Most cases run as one batch: a single ``python -c "from qrp_jupyter.cli import main; ..."``
subprocess calls ``main(argv)`` for every case and reports, per case, the exit code, stdout,
stderr and whether anything escaped ``main`` (a traceback). The cases where the process itself
matters (its exit status, a real interrupt) run as their own ``qrp`` subprocess.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from qrp_cli import CONFIG, qrp
from qrp_jupyter.cli import EXIT_BAD_INPUT, EXIT_OK
from qrp_jupyter.store import Store

import insider
from tools import qrp_batch



def one_clear_error(res: dict, code: int, *needles: str) -> str:
    """``res`` is exit ``code`` with one ``qrp CMD: error:`` line holding every needle."""
    assert res["code"] == code, res
    lines = [ln for ln in res["stderr"].splitlines() if ln.strip()]
    assert len(lines) == 1 and ": error: " in lines[0], res["stderr"]
    assert "Traceback" not in res["stderr"]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert "Fix:" in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A store with dataset ``syn`` and one run of CONFIG, folded into the main file."""
    from qrp_jupyter.data import synthetic
    from qrp_jupyter.runs import execute_run, register_dataset

    folder = tmp_path_factory.mktemp("input")
    path = folder / "base.sqlite"
    s = Store(path)
    register_dataset(s, synthetic(n_bars=1500, seed=3, edge=0.2), name="syn")
    out = execute_run(s, CONFIG, source="run.toml")
    s.checkpoint()
    s.close()
    return path, out


@pytest.fixture
def db(base, tmp_path):
    path = tmp_path / "cli.sqlite"
    shutil.copyfile(base[0], path)
    (tmp_path / "run.toml").write_text(CONFIG)
    return path


def counts_of(path) -> dict[str, int]:
    """Row count of every table of the store at ``path``: the 'nothing was written' oracle."""
    s = Store(path)
    try:
        names = [r[0] for r in insider.rows(s, "SELECT name FROM sqlite_master WHERE type = "
                                               "'table' AND name NOT LIKE 'sqlite_%'")]
        return {n: insider.row(s, f"SELECT COUNT(*) FROM {n}")[0] for n in names}
    finally:
        s.close()


# ---------------------------------------------------------------------------------------------
# config files
# ---------------------------------------------------------------------------------------------

def _with(section: str, line: str, text: str = CONFIG) -> str:
    """CONFIG with ``line`` added under ``[section]`` (the section appended when absent)."""
    head = f"[{section}]\n"
    if head in text:
        return text.replace(head, head + line + "\n", 1)
    return text + head + line + "\n"


_BIG_GRID = ("fast = [" + ", ".join(str(i) for i in range(1, 3164)) + "]\nslow = ["
             + ", ".join(str(i) for i in range(2, 3165)) + "]")

#: (case, file bytes, needles of the one error line)
BAD_CONFIGS = [
    ("latin-1", CONFIG.replace('name = "cli"', 'name = "caf\u00e9"').encode("latin-1"),
     ["not UTF-8", "byte 0xe9 at byte offset 11 (line 1, column 12)", ":1)",
      "save the file as UTF-8"]),
    ("invalid UTF-8 on line 4", CONFIG.encode().replace(b'dataset = "syn"',
                                                         b'dataset = "s\xffn"'),
     ["not UTF-8", "byte 0xff", "(line 4, column 13)", "save the file as UTF-8"]),
    ("100,000 open brackets", b"[" * 100_000, ["not valid TOML"]),
    ("array nested 100,000 deep", b"a = " + b"[" * 100_000, ["nests tables or arrays",
                                                             "more than 16 levels"]),
    ("inline tables nested 100,000 deep", b"a = " + b"{x=" * 100_000, ["nests"]),
    ("array nested 30 deep", b"a = " + b"[" * 30 + b"]" * 30, ["nests"]),
    ("periods_per_year 1e-300", _with("data", "periods_per_year = 1e-300").encode(),
     ["data.periods_per_year = 1e-300 is below 1", "allowed: [1, 31,622,400]", ":4 key"]),
    ("periods_per_year nan", _with("data", "periods_per_year = nan").encode(),
     ["data.periods_per_year = nan is not a finite number", "[1, 31,622,400]"]),
    ("periods_per_year inf", _with("data", "periods_per_year = inf").encode(),
     ["is not a finite number"]),
    ("negative fee", _with("costs", "fee_bps = -0.5").encode(),
     ["costs.fee_bps = -0.5 is below 0", "allowed: [0, 1,000]"]),
    ("nan slippage", _with("costs", "slippage_bps = nan").encode(),
     ["costs.slippage_bps = nan is not a finite number"]),
    ("huge funding", _with("costs", "funding_bps_per_period = 1e9").encode(),
     ["costs.funding_bps_per_period = 1000000000.0 is above 1,000"]),
    ("zero reps", CONFIG.replace("reps = 99", "reps = 0").encode(),
     ["nulls.reality_check.reps = 0 is below 1", "allowed: [1, 1,000,000]"]),
    ("too many reps", _with("nulls.spa_stepm", "reps = 2_000_000").encode(),
     ["nulls.spa_stepm.reps = 2000000 is above 1,000,000"]),
    ("zero permutation reps", _with("nulls.permutation", "reps = 0").encode(),
     ["nulls.permutation.reps = 0 is below 1"]),
    ("purge beyond any data", _with("walk_forward", "purge = 100000000000000000000").encode(),
     ["walk_forward.purge = 100000000000000000000 is above 1,000,000,000"]),
    ("zero folds", CONFIG.replace("n_folds = 2", "n_folds = 0").encode(),
     ["walk_forward.n_folds = 0 is below 1"]),
    ("block size 0", _with("nulls.reality_check", "block_size = 0").encode(),
     ["nulls.reality_check.block_size = 0 is below 1"]),
    ("StepM size 0", _with("nulls.spa_stepm", "size = 0.0").encode(),
     ["nulls.spa_stepm.size = 0.0 is not strictly above 0", "(0, 0.5)"]),
    ("StepM size below 1/(reps+1)", _with("nulls.spa_stepm", "reps = 99\nsize = 0.001").encode(),
     ["StepM could never reject a model", "1/(reps + 1) = 0.01", "reps to at least 999"]),
    ("CPCV with too many splits", CONFIG.replace(
        "n_folds = 2", 'mode = "cpcv"\nn_folds = 20\ntest_groups = 10').encode(),
     ["C(20, 10) = 184,756 CPCV splits, more than 1,000"]),
    ("a 10-million-point grid", CONFIG.replace('kind = "ts_momentum"', 'kind = "ma_crossover"')
     .replace("lookback = [1, 2]", _BIG_GRID).encode(),
     ["3163 x 3163 = 10,004,569 points, more than the 1,000,000"]),
    ("nan in the grid", CONFIG.replace("lookback = [1, 2]", "lookback = [1, nan]").encode(),
     ["strategy.grid.lookback[1] = nan is not a finite number"]),
]


def test_every_bad_config_file_is_exit_2_naming_it_and_creates_no_store(tmp_path):
    argvs, dbs = [], []
    for i, (_, content, _) in enumerate(BAD_CONFIGS):
        (tmp_path / f"c{i}.toml").write_bytes(content)
        dbs.append(tmp_path / f"new{i}.sqlite")
        argvs.append(["run", str(tmp_path / f"c{i}.toml"), "--db", str(dbs[-1])])
    for (case, _, needles), res, dbp in zip(BAD_CONFIGS, qrp_batch(argvs), dbs):
        line = one_clear_error(res, EXIT_BAD_INPUT, *needles)
        assert "qrp run: error:" in line, (case, line)
        assert not dbp.exists() and not list(tmp_path.glob(f"{dbp.name}*")), case


def test_config_paths_that_are_not_config_files_are_refused_before_reading(tmp_path):
    (tmp_path / "folder.toml").mkdir()
    huge = tmp_path / "huge.toml"
    with open(huge, "wb") as f:  # sparse: 5 MiB that take no disk
        f.truncate(5 * 1024 * 1024)
    cases = [(str(tmp_path / "folder.toml"), "is a directory"),
             ("/dev/zero", "is not a regular file"),
             (str(tmp_path / "missing.toml"), "does not exist"),
             (str(huge), "is 5,242,880 bytes, more than the 4,194,304")]
    dbp = tmp_path / "new.sqlite"
    results = qrp_batch([["run", path, "--db", str(dbp)] for path, _ in cases])
    for (path, needle), res in zip(cases, results):
        one_clear_error(res, EXIT_BAD_INPUT, needle)
    assert not dbp.exists()


def test_a_config_with_a_utf8_byte_order_mark_simply_runs(db, tmp_path):
    before = counts_of(db)["run_instances"]
    cfg = tmp_path / "bom.toml"
    cfg.write_bytes(b"\xef\xbb\xbf" + CONFIG.replace("reps = 99", "reps = 49").encode())
    r = qrp("run", str(cfg), "--db", str(db), "--json")
    assert r.returncode == EXIT_OK, r.stderr
    assert len(json.loads(r.stdout)["run_key"]) == 64
    assert counts_of(db)["run_instances"] == before + 1


def test_a_latin1_config_through_the_real_process_exits_2(tmp_path):
    cfg = tmp_path / "latin.toml"
    cfg.write_bytes(CONFIG.replace("cli-fam", "fam\u00e9").encode("latin-1"))
    r = qrp("run", str(cfg), "--db", str(tmp_path / "x.sqlite"))
    assert r.returncode == EXIT_BAD_INPUT
    assert "not UTF-8" in r.stderr and "line 2" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x.sqlite").exists()


# ---------------------------------------------------------------------------------------------
# policy files
# ---------------------------------------------------------------------------------------------

_RULE = {"rule": "positive", "metric": "sharpe_annual", "op": ">", "threshold": 0.0,
         "severity": "blocker"}


def _policy(**over) -> dict:
    return {"name": "desk", "version": 1, "levels": {"candidate": [dict(_RULE)]}, **over}


BAD_POLICIES = [
    ("latin-1 TOML", "p.toml", 'name = "d\u00e9sk"\nversion = 1\n'.encode("latin-1"),
     ["policy file", "not UTF-8", "line 1"]),
    ("deep JSON", "p.json", b"[" * 100_000, ["nests too deeply"]),
    ("deep TOML", "p.toml", b"a = " + b"[" * 100_000, ["nests too deeply"]),
    ("a JSON list", "p.json", b"[1, 2]", ["is a list, not a table"]),
    ("nan threshold", "p.json",
     json.dumps(_policy(levels={"candidate": [{**_RULE, "threshold": float("nan")}]})).encode(),
     ["threshold nan", "not a finite number"]),
    ("inf threshold TOML", "p.toml",
     b'name = "desk"\nversion = 1\n[[levels.candidate]]\nrule = "r"\nmetric = "pbo"\n'
     b'op = "<="\nthreshold = inf\nseverity = "blocker"\n', ["threshold inf"]),
    ("a rule that is a number", "p.json",
     json.dumps(_policy(levels={"candidate": [7]})).encode(), ["rule 0 of level 'candidate'"
                                                               " is int, not a table"]),
    ("a level that is a string", "p.json",
     json.dumps(_policy(levels={"candidate": "x"})).encode(), ["is str, not a list"]),
    ("a 10^40 version", "p.json", json.dumps(_policy(version=10**40)).encode(),
     ["policy version", "is not an integer in [1, 2,147,483,647]"]),
    ("a blank name", "p.json", json.dumps(_policy(name="  ")).encode(),
     ["policy name '  ' is not a non-empty string"]),
]


def test_every_bad_policy_file_is_exit_2_and_records_nothing(db, tmp_path):
    before = counts_of(db)
    argvs = []
    for i, (_, fname, content, _) in enumerate(BAD_POLICIES):
        d = tmp_path / f"p{i}"
        d.mkdir()
        (d / fname).write_bytes(content)
        argvs.append(["policy", "add", str(d / fname), "--reason", "r", "--db", str(db)])
    argvs.append(["policy", "add", "/dev/zero", "--reason", "r", "--db", str(db)])
    results = qrp_batch(argvs)
    for (case, _, _, needles), res in zip(BAD_POLICIES, results):
        one_clear_error(res, EXIT_BAD_INPUT, *needles)
    one_clear_error(results[-1], EXIT_BAD_INPUT, "not a regular file")
    assert counts_of(db) == before


def test_a_policy_file_with_a_byte_order_mark_registers(db, tmp_path):
    f = tmp_path / "desk.json"
    f.write_bytes(b"\xef\xbb\xbf" + json.dumps(_policy()).encode())
    before = counts_of(db)["policies"]
    (res,) = qrp_batch([["policy", "add", str(f), "--reason", "desk", "--db", str(db)]])
    assert res["code"] == EXIT_OK, res
    assert "registered policy desk v1" in res["stdout"]
    assert counts_of(db)["policies"] == before + 1


# ---------------------------------------------------------------------------------------------
# ids and names
# ---------------------------------------------------------------------------------------------

def _colliding_asset_names(frame, width: int = 6) -> tuple[str, str]:
    """Two asset names under which ``frame`` gets dataset ids sharing ``width`` hex digits
    (a birthday search over the real canonical encoding; a few thousand hashes)."""
    from qrp_jupyter.identity import encode_frames, sha256_hex
    seen: dict[str, str] = {}
    for i in range(200_000):
        name = f"A{i}"
        prefix = sha256_hex(encode_frames({name: frame}))[:width]
        if prefix in seen:
            return seen[prefix], name
        seen[prefix] = name
    raise AssertionError("no collision found")


@pytest.fixture
def twin_datasets(db):
    """Two datasets in ``db`` whose ids share their first 6 hex digits; (prefix, ids)."""
    from qrp_jupyter.data import Dataset, synthetic
    from qrp_jupyter.runs import register_dataset

    frame = synthetic(n_bars=400, seed=1).frames["SYN"]
    a, b = _colliding_asset_names(frame)
    s = Store(db)
    ids = [register_dataset(s, Dataset({name: frame}), name=None) for name in (a, b)]
    s.close()
    assert ids[0][:6] == ids[1][:6] and ids[0] != ids[1]
    return ids[0][:6], ids


def test_an_ambiguous_dataset_prefix_names_the_matches(db, tmp_path, twin_datasets):
    prefix, ids = twin_datasets
    cfg = tmp_path / "amb.toml"
    cfg.write_text(CONFIG.replace('dataset = "syn"', f'dataset = "{prefix}"'))
    before = counts_of(db)
    (res,) = qrp_batch([["run", str(cfg), "--db", str(db)]])
    line = one_clear_error(res, EXIT_BAD_INPUT, f"dataset prefix '{prefix}' is ambiguous: "
                           "2 matches", "give more characters", ids[0][:16], ids[1][:16])
    assert "no dataset" not in line
    assert counts_of(db) == before


def _twin_fees(db) -> tuple[float, float, str]:
    """Two fee_bps values whose configs get run_keys sharing their first 6 hex digits: the
    run_key of each is the real one (prepare_run's payload, hashed), varied over the fee."""
    from qrp_jupyter.identity import canonical_bytes, sha256_hex
    from qrp_jupyter.runs import prepare_run

    s = Store(db)
    try:
        prep = prepare_run(s, CONFIG, source="run.toml")
        seen: dict[str, float] = {}
        for i in range(100_000):
            fee = i / 100
            prep.identity["costs"]["fee_bps"] = fee
            prefix = sha256_hex(canonical_bytes(prep.run_key_payload))[:6]
            if prefix in seen:
                first = seen[prefix]
                keys = [prepare_run(s, _with("costs", f"fee_bps = {f!r}"),
                                    source="run.toml").run_key for f in (first, fee)]
                assert keys[0][:6] == keys[1][:6] == prefix and keys[0] != keys[1]
                return first, fee, prefix
            seen[prefix] = fee
    finally:
        s.close()
    raise AssertionError("no collision found")


def test_an_ambiguous_run_prefix_says_ambiguous_not_not_found(db, tmp_path):
    fee_a, fee_b, prefix = _twin_fees(db)
    for i, fee in enumerate((fee_a, fee_b)):
        (tmp_path / f"f{i}.toml").write_text(_with("costs", f"fee_bps = {fee!r}"))
    results = qrp_batch([["run", str(tmp_path / "f0.toml"), "--db", str(db)],
                         ["run", str(tmp_path / "f1.toml"), "--db", str(db)]])
    assert [r["code"] for r in results] == [EXIT_OK, EXIT_OK], results
    before = counts_of(db)
    results = qrp_batch([["replay", prefix, "--db", str(db)],
                         ["candidates", "add", prefix, "--db", str(db)],
                         ["lineage", prefix, "--db", str(db)]])
    for res in results:
        line = one_clear_error(res, EXIT_BAD_INPUT, f"prefix '{prefix}' is ambiguous: 2 matches",
                               "give more characters")
        assert "no run instance" not in line
    assert counts_of(db) == before


def test_a_hex_only_dataset_name_is_refused_and_a_short_or_mixed_one_is_not(tmp_path):
    fresh = [tmp_path / f"n{i}.sqlite" for i in range(4)]
    names = ["deadbeef", " ABCDEF0123 ", "cafe", "btc-1h"]
    results = qrp_batch([["data", "add", "--synthetic", "--bars", "300", "--name", n,
                          "--db", str(p)] for n, p in zip(names, fresh)])
    for res, p in zip(results[:2], fresh[:2]):
        one_clear_error(res, EXIT_BAD_INPUT, "is all hex digits", "reads as a dataset id "
                        "prefix")
        assert not p.exists()
    for res, p in zip(results[2:], fresh[2:]):
        assert res["code"] == EXIT_OK, res
        assert p.exists()


def test_a_legacy_name_that_is_another_datasets_id_prefix_is_ambiguous(db, tmp_path):
    """A name registered before the rule existed (written here through the store's own
    registration statement) that equals another dataset's id prefix: refused, neither wins."""
    from qrp_jupyter.store import research
    s = Store(db)
    syn_id = s.all("dataset_names.ids_named", ("syn",))[0]["dataset_id_v2"]
    from qrp_jupyter.data import synthetic
    from qrp_jupyter.runs import register_dataset
    other = register_dataset(s, synthetic(n_bars=300, seed=8), name="other")
    with s.transaction():
        research.add_dataset(s, dataset_id_v2=other, source="legacy", summary_json="{}",
                             name=syn_id[:8], at="2026-01-01T00:00:00Z")
    s.close()
    cfg = tmp_path / "legacy.toml"
    cfg.write_text(CONFIG.replace('dataset = "syn"', f'dataset = "{syn_id[:8]}"'))
    before = counts_of(db)
    (res,) = qrp_batch([["run", str(cfg), "--db", str(db)]])
    one_clear_error(res, EXIT_BAD_INPUT, f"is both the name of dataset {other[:16]}",
                    f"an id prefix of dataset {syn_id[:16]}")
    assert counts_of(db) == before


def test_refs_with_control_characters_or_unicode_are_refused_escaped(db):
    refs = ["\x1b[2Jabcdef", "ａｂｃｄｅｆ", "abc\ndef", "", "  ", "abcdef\x00"]
    results = qrp_batch([["replay", r, "--db", str(db)] for r in refs]
                        + [["lineage", r, "--db", str(db)] for r in refs])
    for res in results:
        one_clear_error(res, EXIT_BAD_INPUT, "is not a hex id or prefix")
        assert "\x1b" not in res["stderr"]


# ---------------------------------------------------------------------------------------------
# the lineage page
# ---------------------------------------------------------------------------------------------

def test_lineage_html_to_a_missing_folder_a_directory_or_a_device_is_exit_2(db, base, tmp_path):
    key = base[1].run_key
    (tmp_path / "adir").mkdir()
    cases = [("/nonexistent/dir/x.html", "the folder '/nonexistent/dir' of --html does not "
                                         "exist"),
             (str(tmp_path / "adir"), "is a directory"),
             ("/dev/null", "is not a regular file"),
             (str(tmp_path / "file.txt" / "x.html"), "is not a folder")]
    (tmp_path / "file.txt").write_text("x")
    results = qrp_batch([["lineage", key, "--db", str(db), "--html", p] for p, _ in cases])
    for (p, needle), res in zip(cases, results):
        one_clear_error(res, EXIT_BAD_INPUT, needle)
    assert not os.path.exists("/nonexistent")
    written = sorted(x.name for x in tmp_path.iterdir() if not x.name.startswith("cli.sqlite"))
    assert written == ["adir", "file.txt", "run.toml"] and list((tmp_path / "adir").iterdir()) == []


def test_lineage_html_is_written_whole_and_replaces_an_old_page_atomically(db, base, tmp_path):
    key = base[1].run_key
    page = tmp_path / "page.html"
    page.write_text("old page")
    os.chmod(page, 0o640)
    (res,) = qrp_batch([["lineage", key, "--db", str(db), "--html", str(page)]])
    assert res["code"] == EXIT_OK, res
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.endswith("</html>\n")
    assert key[:12] in text and "data:image/svg+xml;base64," in text
    assert oct(page.stat().st_mode & 0o777) == oct(0o640)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_lineage_html_on_a_read_only_mount_is_exit_2_and_leaves_the_old_page(db, base,
                                                                            tmp_path):
    from tools import privileged
    src, dst = tmp_path / "src", tmp_path / "ro"
    src.mkdir()
    dst.mkdir()
    (src / "page.html").write_text("old page")
    privileged("bind-mount a folder", ["mount", "--bind", str(src), str(dst)])
    try:
        privileged("remount it read-only", ["mount", "-o", "remount,bind,ro", str(dst)])
        (res,) = qrp_batch([["lineage", base[1].run_key, "--db", str(db), "--html",
                             str(dst / "page.html")]])
        one_clear_error(res, EXIT_BAD_INPUT, "cannot write the page", "Read-only file system",
                        "nothing was written")
        assert (dst / "page.html").read_text() == "old page"
        assert sorted(p.name for p in src.iterdir()) == ["page.html"]
    finally:
        subprocess.run(["umount", "-l", str(dst)], check=False)


# ---------------------------------------------------------------------------------------------
# user strategy code
# ---------------------------------------------------------------------------------------------

def _user_config(tmp_path, body: str) -> str:
    (tmp_path / "signals.py").write_text(body)
    cfg = CONFIG.replace('kind = "ts_momentum"', 'kind = "user"\nfunction = "signals.py:sig"'
                         ).replace("lookback = [1, 2]", "k = [1, 2]")
    (tmp_path / "user.toml").write_text(cfg)
    return str(tmp_path / "user.toml")


def test_a_keyboard_interrupt_inside_the_strategy_is_exit_130_naming_it(db, tmp_path):
    cfg = _user_config(tmp_path, "def sig(close, k):\n    raise KeyboardInterrupt\n")
    before = counts_of(db)
    r = qrp("run", cfg, "--db", str(db))
    assert r.returncode == 130, (r.returncode, r.stderr)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "the strategy function 'sig' was interrupted (KeyboardInterrupt)" in lines[0]
    assert "nothing was recorded" in lines[0] and "point 0 {'k': 1}" in lines[0]
    assert counts_of(db) == before


def test_other_ways_user_code_can_stop_a_run_are_clear_errors(db, tmp_path):
    bodies = {
        "exit": ("def sig(close, k):\n    raise SystemExit(0)\n", EXIT_BAD_INPUT,
                 "called exit (SystemExit(0))"),
        "base": ("def sig(close, k):\n    class Stop(BaseException):\n        pass\n"
                 "    raise Stop('halt')\n", EXIT_BAD_INPUT,
                 "raised Stop (a BaseException): halt"),
        "import": ("raise KeyboardInterrupt\n", 130, "was interrupted (KeyboardInterrupt)"),
        "syntax": ("def sig(close, k)\n    return close\n", EXIT_BAD_INPUT, "does not compile"),
    }
    argvs = []
    for name, (body, _, _) in bodies.items():
        d = tmp_path / name
        d.mkdir()
        argvs.append(["run", _user_config(d, body), "--db", str(db)])
    before = counts_of(db)
    for (name, (_, code, needle)), res in zip(bodies.items(), qrp_batch(argvs)):
        one_clear_error(res, code, needle)
    assert counts_of(db) == before
