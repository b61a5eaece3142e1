"""The review API's core (qrp_jupyter.review) without a server: which paths it opens, how it
pages, what it says about the event chain, and that it never writes.

The store is the demo's (``qrp demo``), grown through QRP's write API to a few hundred runs,
candidates and events (``bulk.py``) so that pages have something to page through.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bulk  # noqa: E402  (the helper beside this file)

import insider  # noqa: E402
from qrp_jupyter.demo import run_demo  # noqa: E402
from qrp_jupyter.errors import QrpError  # noqa: E402
from qrp_jupyter.review import (MAX_LIMIT, ReviewError, ReviewService, decode_cursor,  # noqa: E402
                                encode_cursor, error_payload, json_text, list_stores,
                                page_limit, resolve_store)
from qrp_jupyter.store import open_store  # noqa: E402

N_RUNS, N_EVENTS = 240, 700


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    """A folder holding the demo store grown to N_RUNS more runs and N_EVENTS events."""
    root = tmp_path_factory.mktemp("review")
    db = root / "grown.sqlite"
    assert run_demo(str(db), as_json=True) == 0
    bulk.grow_store(db, runs=N_RUNS, events=N_EVENTS, candidate_every=4)
    return root


@pytest.fixture
def root(grown, tmp_path):
    """A private copy of the grown folder (tests that tamper do not see each other)."""
    out = tmp_path / "root"
    shutil.copytree(grown, out)
    return out


# -- which file a request may read --------------------------------------------------------------

@pytest.mark.parametrize("rel, status, says", [
    ("", "bad_request", "no store given"),
    (None, "bad_request", "no store given"),
    ("a\x00b.sqlite", "bad_request", "NUL byte"),
    ("/etc/passwd", "forbidden", "is absolute"),
    ("\\\\server\\share\\x.sqlite", "forbidden", "is absolute"),
    ("C:\\x.sqlite", "forbidden", "is absolute"),
    ("../x.sqlite", "forbidden", "'..'"),
    ("sub/../../x.sqlite", "forbidden", "'..'"),
    ("sub\\..\\..\\x.sqlite", "forbidden", "'..'"),
    ("missing.sqlite", "not_found", "no file"),
    ("sub", "not_found", "not a regular file"),
])
def test_a_store_path_is_checked_before_anything_is_opened(tmp_path, rel, status, says):
    (tmp_path / "sub").mkdir()
    with pytest.raises(ReviewError, match=says.replace("(", r"\(")) as exc:
        resolve_store(tmp_path, rel)
    assert exc.value.status == status and exc.value.fix


def test_a_symlink_is_followed_and_must_stay_inside_the_root(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "s.sqlite").write_bytes(b"x")
    (root / "in.sqlite").write_bytes(b"y")
    (root / "out.sqlite").symlink_to(outside / "s.sqlite")
    (root / "alias.sqlite").symlink_to(root / "in.sqlite")
    (root / "dir").symlink_to(outside, target_is_directory=True)
    assert resolve_store(root, "alias.sqlite") == (root / "in.sqlite").resolve()
    for rel in ("out.sqlite", "dir/s.sqlite"):
        with pytest.raises(ReviewError, match="resolves outside") as exc:
            resolve_store(root, rel)
        assert exc.value.status == "forbidden"
    found, truncated = list_stores(root)
    assert [f["path"] for f in found] == ["alias.sqlite", "in.sqlite"] and not truncated


def test_the_listing_skips_hidden_folders_and_other_files(tmp_path):
    for rel in ("a.sqlite", "deep/b.db", ".hidden/c.sqlite", "node_modules/d.sqlite",
                "notes.txt", "deep/.e.sqlite"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    found, _ = list_stores(tmp_path)
    assert [f["path"] for f in found] == ["a.sqlite", "deep/b.db"]


# -- paging -----------------------------------------------------------------------------------

def test_the_page_size_is_checked_and_capped():
    assert page_limit(None) == page_limit("") == 50
    assert page_limit("1") == 1 and page_limit(str(MAX_LIMIT)) == MAX_LIMIT
    for bad in ("0", str(MAX_LIMIT + 1), "-3", "2.5", "ten", "1e3"):
        with pytest.raises(ReviewError, match="is not a whole number"):
            page_limit(bad)


def test_a_cursor_round_trips_and_a_foreign_one_is_refused():
    assert decode_cursor(encode_cursor([7]), (int,)) == [7]
    assert decode_cursor(encode_cursor(["2026", "ab"]), (str, str)) == ["2026", "ab"]
    assert decode_cursor(None, (int,)) is None
    for bad in ("%%%", encode_cursor(["7"]), encode_cursor([7, 8]), encode_cursor([True]),
                encode_cursor({"a": 1}), "x" * 500):
        with pytest.raises(ReviewError, match="is not a cursor"):
            decode_cursor(bad, (int,))


def _pages(svc, endpoint, **params):
    out, cursor = [], None
    while True:
        page = svc.answer(endpoint, {"db": "grown.sqlite", **params,
                                     **({"cursor": cursor} if cursor else {})})
        out.append(page)
        cursor = page["next"]
        if cursor is None:
            return out


@pytest.mark.parametrize("limit", ["7", "50", "500"])
def test_pages_are_disjoint_cover_everything_and_keep_the_order(grown, limit):
    svc = ReviewService(grown)
    with open_store(grown / "grown.sqlite", readonly=True, create=False) as s:
        seqs = [e["seq"] for e in s.all("governance_events.chain")]
        cands = sorted(c["candidate_id"] for c in s.all("promotion_candidates.all"))
        runs = [(r["created_at"], r["run_key"]) for r in s.all("runs.all")]
    assert len(seqs) == N_EVENTS and len(runs) == N_RUNS + 2
    n = int(limit)
    for order, expected in (("asc", seqs), ("desc", seqs[::-1])):
        pages = _pages(svc, "events", limit=limit, order=order)
        assert [e["seq"] for p in pages for e in p["items"]] == expected
        assert [len(p["items"]) for p in pages[:-1]] == [n] * (len(pages) - 1)
    pages = _pages(svc, "candidates", limit=limit)
    assert [c["candidate_id"] for p in pages for c in p["items"]] == cands
    assert all(p["total"] == len(cands) for p in pages)
    pages = _pages(svc, "runs", limit=limit)
    assert [(r["created_at"], r["run_key"]) for p in pages for r in p["items"]] == sorted(runs)


def test_filters_page_too(grown):
    svc = ReviewService(grown)
    with open_store(grown / "grown.sqlite", readonly=True, create=False) as s:
        cid = s.all("review.candidates_page", ("", "exploratory", 1))[0]["candidate_id"]
        mine = [e["seq"] for e in s.all("governance_events.of_candidates", (f'["{cid}"]',))]
    pages = _pages(svc, "events", limit="3", candidate=cid[:12])
    assert [e["seq"] for p in pages for e in p["items"]] == mine and len(mine) > 3
    assert all(p["candidate_id"] == cid for p in pages)
    accepted = _pages(svc, "candidates", status="accepted")
    assert [c["status"] for p in accepted for c in p["items"]] == ["accepted"]
    with pytest.raises(ReviewError, match="not a candidate status"):
        svc.answer("candidates", {"db": "grown.sqlite", "status": "Accepted"})


# -- what the log says about its chain ----------------------------------------------------------

def test_an_edited_event_is_flagged_on_its_page_and_by_verify(root):
    svc = ReviewService(root)
    q = {"db": "grown.sqlite"}
    first = svc.answer("verify", q)
    assert first["verify"]["ok"] and first["chain"]["state"] == "ok"
    assert svc.answer("events", q)["chain"]["state"] == "ok"

    store = SimpleNamespace(path=str(root / "grown.sqlite"))
    with insider.transaction(store) as c, insider.without(c, "trg_governance_events_no_update"):
        c.execute("UPDATE governance_events SET payload_json = replace(payload_json, "
                  "'\"actor\":\"bulk\"', '\"actor\":\"someone else\"') WHERE seq = 11")
    page = svc.answer("events", {**q, "limit": "20"})
    flagged = [e["seq"] for e in page["items"] if not e["hash_ok"]]
    assert flagged == [11]
    # the remembered result was for the file before the edit: it is not shown as current
    assert page["cached"] is False and page["chain"]["state"] == "unchecked"
    again = svc.answer("verify", q)
    assert again["cached"] is False and again["chain"]["state"] == "problems"
    assert any(p["row"] == "seq 11" for p in again["chain"]["problems"])
    assert again["ledger"]["state"] == "problems"  # the row the ledger covered changed


def test_a_deleted_event_breaks_the_next_ones_link(root):
    svc = ReviewService(root)
    store = SimpleNamespace(path=str(root / "grown.sqlite"))
    with insider.transaction(store) as c, insider.without(c, "trg_governance_events_no_delete"):
        c.execute("DELETE FROM governance_events WHERE seq = 30")
    page = svc.answer("events", {"db": "grown.sqlite", "limit": "40", "verify": "1"})
    assert [e["seq"] for e in page["items"] if not e.get("link_ok")] == [31]
    assert page["chain"]["state"] == "problems" and page["verify"]["state"] == "problems"


# -- reading never writes; answers are strict JSON --------------------------------------------

def test_no_endpoint_changes_the_file(root):
    db = root / "grown.sqlite"
    with open_store(db) as s:
        s.checkpoint()
    for side in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        side.unlink(missing_ok=True)
    os.chmod(db, 0o444)
    before, listing = _sha(db), sorted(os.listdir(root))
    svc = ReviewService(root)
    q = {"db": "grown.sqlite"}
    cid = svc.answer("candidates", {**q, "status": "exploratory"})["items"][0]["candidate_id"]
    for endpoint, arg in (("summary", None), ("runs", None), ("candidates", None),
                          ("events", None), ("verify", None), ("candidate", cid),
                          ("lineage", cid)):
        assert json_text(svc.answer(endpoint, q, arg))
    assert _sha(db) == before
    # SQLite's read-only WAL reader may leave its shared-memory index and an empty log beside
    # the file in a writable folder; nothing is ever written to the log.
    added = set(os.listdir(root)) - set(listing)
    assert added <= {"grown.sqlite-wal", "grown.sqlite-shm"}
    wal = Path(f"{db}-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_errors_are_json_without_the_server_root(root):
    svc = ReviewService(root)
    (root / "empty.sqlite").write_bytes(b"")
    for params, arg, endpoint, status in (({"db": "empty.sqlite"}, None, "summary", 404),
                                          ({"db": "grown.sqlite"}, "f" * 64, "report", 404),
                                          ({"db": "grown.sqlite"}, "abc", "candidate", 404)):
        with pytest.raises(QrpError) as exc:
            svc.answer(endpoint, params, arg)
        code, body = error_payload(exc.value, root)
        assert code == status and body["error"]["message"] and body["error"]["fix"]
        assert str(root.resolve()) not in json_text(body)


def test_json_text_has_no_nan():
    assert json_text({"a": float("nan"), "b": [float("inf"), 1.5]}) == \
        '{"a": null, "b": [null, 1.5]}'


def test_jupyterlabs_cache_buster_is_not_an_unknown_parameter(grown):
    """ServerConnection adds ``&<milliseconds>`` with no value to every GET."""
    svc = ReviewService(grown)
    page = svc.answer("candidates", {"db": ["grown.sqlite"], "limit": ["2"],
                                     "1796242014171": [""]})
    assert len(page["items"]) == 2
    with pytest.raises(ReviewError, match="unknown parameter '17'"):
        svc.answer("candidates", {"db": "grown.sqlite", "17": "x"})


def test_requests_during_a_verify_wait_for_it_instead_of_verifying_again(grown, monkeypatch):
    """One state of the file is verified once at a time, however many requests ask."""
    import threading

    from qrp_jupyter.review import verifying

    calls, gate = [], threading.Event()
    real = verifying._result

    def counted(*args):
        calls.append(args[-1])
        gate.wait(10)  # hold the first run until every request has arrived
        return real(*args)

    monkeypatch.setattr(verifying, "_result", counted)
    svc = ReviewService(grown)
    answers: list[dict] = []
    threads = [threading.Thread(target=lambda: answers.append(
        svc.answer("verify", {"db": "grown.sqlite", "fresh": "1"}))) for _ in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while not calls and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    gate.set()
    for t in threads:
        t.join(60)
    assert len(calls) == 1 and len(answers) == 4
    assert all(a["verify"] == answers[0]["verify"] and a["verify"]["ok"] for a in answers)
