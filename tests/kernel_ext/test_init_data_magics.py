"""``%qrp_init`` and ``%qrp_data``: a notebook user never needs the CLI. Same core functions
and checks as ``qrp init`` / ``qrp data``; bad input is one line and writes nothing."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from kshell import assert_one_line_usage_error, qrp_magics, run
from qrp_jupyter.store import Store
from qrp_jupyter.store.migrations import MIGRATION_FILES

import insider


def candles(n: int = 200, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    return pd.DataFrame({"timestamp": pd.date_range("2024-01-01", periods=n, freq="h",
                                                    tz="UTC"),
                         "open": close, "high": close * 1.01, "low": close * 0.99,
                         "close": close, "volume": rng.uniform(1, 2, n)})


def names(path) -> dict[str, str]:
    s = Store(str(path), readonly=True)
    try:
        return {r["name"]: r["dataset_id_v2"] for r in insider.rows(
            s, "SELECT name, dataset_id_v2 FROM dataset_names")}
    finally:
        s.close()


def test_init_creates_a_governed_store_and_makes_it_the_session_store(ip, tmp_path):
    db = tmp_path / "fresh.sqlite"
    cell = run(ip, f"%qrp_init --db {db}")
    assert cell.error is None, cell.error
    assert cell.captured.stdout == (
        f"QRP store ready at {db} ({len(MIGRATION_FILES)} migration(s) applied); the "
        "QRP magics of this session now use it\n")
    assert qrp_magics(ip).db == str(db)
    s = Store(str(db), readonly=True)
    try:
        assert s.one("schema_migrations.count")["n"] == len(MIGRATION_FILES)
        assert s.schema_differences() == []
    finally:
        s.close()
    # the session's magics use it: an empty store verifies, and lists nothing
    assert run(ip, "%qrp_verify").error is None
    assert len(run(ip, "%qrp_runs").value) == 0
    # a second init opens it as it is
    assert run(ip, f"%qrp_init --db {db}").error is None


def test_init_without_db_uses_the_setting(ip, tmp_path):
    qrp_magics(ip).db = str(tmp_path / "setting.sqlite")
    assert run(ip, "%qrp_init").error is None
    assert (tmp_path / "setting.sqlite").is_file()


@pytest.mark.parametrize("make, needle", [
    (lambda p: (p / "folder.sqlite").mkdir() or p / "folder.sqlite", "is a directory"),
    (lambda p: p / "no" / "such" / "dir.sqlite", "does not exist"),
])
def test_init_at_a_path_that_cannot_hold_a_store(ip, tmp_path, make, needle):
    target = make(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    cell = run(ip, f"%qrp_init --db {target}")
    msg = assert_one_line_usage_error(cell, "%qrp_init", needle)
    assert sorted(tmp_path.rglob("*")) == before, msg


def test_init_refuses_a_sqlite_file_that_is_not_a_qrp_store(ip, tmp_path):
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE prices (t, p)")
    con.commit()
    con.close()
    before = other.read_bytes()
    assert_one_line_usage_error(run(ip, f"%qrp_init --db {other}"), "%qrp_init")
    assert other.read_bytes() == before


@pytest.mark.parametrize("magic", ["%qrp_init", "%qrp_runs", "%qrp_data list"])
@pytest.mark.parametrize("arg, needle", [(":memory:", "--db :memory: would keep the store only "
                                          "for this one call"), ("''", "--db is empty")])
def test_paths_no_file_could_hold_are_refused_as_the_cli_refuses_them(ip, magic, arg, needle):
    was = qrp_magics(ip).db
    msg = assert_one_line_usage_error(run(ip, f"{magic} --db {arg}"), needle)
    assert msg.startswith(f"{magic.split()[0]}: --db"), msg
    assert qrp_magics(ip).db == was


def test_data_from_a_csv_and_from_a_dataframe_give_one_id(ip, tmp_path):
    db = tmp_path / "d.sqlite"
    frame = candles()
    frame.to_csv(tmp_path / "btc.csv", index=False)
    ip.user_ns["bars"] = frame
    a = run(ip, f"%qrp_data add {tmp_path / 'btc.csv'} --name from-csv --asset BTC --db {db}")
    assert a.error is None, a.error
    b = run(ip, f"%qrp_data add bars --name from-frame --asset BTC --db {db}")
    assert b.error is None, b.error
    ds = a.value.data["dataset_id_v2"]
    assert len(ds) == 64 and b.value.data["dataset_id_v2"] == ds
    assert names(db) == {"from-csv": ds, "from-frame": ds}
    assert f"registered dataset_id_v2 {ds}" in a.value.bundle["text/plain"]
    listing = run(ip, f"%qrp_data list --db {db}").value
    assert list(listing["dataset_id_v2"]) == [ds]
    assert run(ip, f"%qrp_data --db {db}").value.equals(listing)
    data, _ = ip.display_formatter.format(listing)
    assert f'title="{ds}"' in data["text/html"] and f">{ds[:12]}<" in data["text/html"]


def test_synthetic_data_is_the_generator_of_the_cli(ip, tmp_path):
    from qrp_jupyter.data import synthetic

    db = tmp_path / "s.sqlite"
    cell = run(ip, f"%qrp_data add --synthetic --bars 300 --seed 12 --edge 0.15 --name edge "
                   f"--db {db}")
    assert cell.error is None, cell.error
    assert cell.value.data["dataset_id_v2"] == synthetic(n_bars=300, seed=12,
                                                         edge=0.15).dataset_id_v2
    # options left out are the generator's defaults
    plain = run(ip, f"%qrp_data add --synthetic --name plain --db {db}")
    assert plain.value.data["dataset_id_v2"] == synthetic().dataset_id_v2


@pytest.mark.parametrize("line, needles", [
    ("add nothing_here --name x", ["no variable or file named 'nothing_here'"]),
    ("add not_a_frame --name x", ["is a list, not a pandas DataFrame"]),
    ("add bars --name abcdef12", ["all hex digits"]),
    ("add bars --name x --timestamp-unit ms", ["--timestamp-unit applies to files"]),
    ("add --name x", ["no data given"]),
    ("add bars --bars 10", ["--bars applies to --synthetic"]),
    ("add bars --synthetic", ["both a source"]),
    ("list --name x", ["--name applies to `add`"]),
    ("remove bars", ["invalid choice"]),
    ("add bad.csv --name x", ["bad.csv"]),
])
def test_bad_data_input_is_one_line_and_writes_nothing(ip, tmp_path, monkeypatch, line,
                                                       needles):
    db = tmp_path / "e.sqlite"
    assert run(ip, f"%qrp_init --db {db}").error is None
    before = db.read_bytes()
    ip.user_ns["bars"] = candles()
    ip.user_ns["not_a_frame"] = [1, 2, 3]
    (tmp_path / "bad.csv").write_text("when,price\n1,2\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert_one_line_usage_error(run(ip, f"%qrp_data {line}"), *needles)
    assert db.read_bytes() == before and names(db) == {}


def test_data_add_into_a_missing_store_creates_it_only_when_the_data_is_good(ip, tmp_path):
    db = tmp_path / "later.sqlite"
    ip.user_ns["not_a_frame"] = {"close": [1, 2]}
    assert_one_line_usage_error(run(ip, f"%qrp_data add not_a_frame --db {db}"), "dict")
    assert not db.exists()
    ip.user_ns["bars"] = candles()
    assert run(ip, f"%qrp_data add bars --name ok --db {db}").error is None
    assert set(names(db)) == {"ok"}
