"""The review API through a real Jupyter server, started as `jupyter server` in a subprocess.

The server enables ``qrp_review`` only through the config file the package installs (nothing
on its command line names the extension), serves a temporary root folder holding the demo
store and the files an attacker would plant (another application's SQLite file, a symlink out
of the root, a read-only copy, a store whose reason and actor are markup), and is asked over
HTTP with and without its token.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from qrp_jupyter.demo import run_demo
from qrp_jupyter.governance import reject
from qrp_jupyter.store import open_store

TOKEN = "qrp-review-test-token"
XSS = "<img src=x onerror=alert(1)>"
API = "qrp/review/api"
ROUTES = ["stores", "summary", "runs", "candidates", "events", "verify",
          "candidates/abcdef", "reports/abcdef", "lineage/abcdef"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, url: str, root: Path):
        self.url, self.root = url, root

    def request(self, path: str, params: dict | None = None, *, method: str = "GET",
                token: str | None = TOKEN) -> tuple[int, dict | None, dict]:
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        req = urllib.request.Request(f"{self.url}{path}{query}", method=method,
                                     data=b"{}" if method in ("POST", "PUT") else None)
        if token is not None:
            req.add_header("Authorization", f"token {token}")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, raw, headers = r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            status, raw, headers = e.code, e.read(), dict(e.headers)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        return status, body, headers

    def api(self, endpoint: str, **params) -> tuple[int, dict]:
        status, body, _ = self.request(f"{API}/{endpoint}", params)
        return status, body


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    outside = tmp_path_factory.mktemp("outside")
    demo = root / "demo.sqlite"
    assert run_demo(str(demo), as_json=True) == 0
    with open_store(demo) as s:
        s.checkpoint()  # the file alone holds everything: copies below are complete
    # A store whose strings are markup: the refused candidate rejected with a markup reason,
    # by a markup actor, through QRP's own write API.
    xss = root / "xss.sqlite"
    shutil.copyfile(demo, xss)
    with open_store(xss) as s:
        refused = [c for c in s.all("promotion_candidates.all") if c["status"] == "exploratory"]
        reject(s, refused[0]["candidate_id"], XSS, actor=XSS)
        s.checkpoint()
    (root / "ro").mkdir()
    shutil.copyfile(demo, root / "ro" / "locked.sqlite")
    (root / "ro" / "locked.sqlite").chmod(0o444)
    foreign = root / "other-app.sqlite"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    con.execute("INSERT INTO notes (body) VALUES ('not QRP')")
    con.commit()
    con.close()
    shutil.copyfile(demo, outside / "secret.sqlite")
    (root / "escape.sqlite").symlink_to(outside / "secret.sqlite")
    (root / "notes.txt").write_text("hello")

    port = _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path_factory.mktemp("jcfg")),
           "JUPYTER_RUNTIME_DIR": str(tmp_path_factory.mktemp("jrt")),
           "JUPYTER_PLATFORM_DIRS": "1"}
    log = (tmp_path_factory.mktemp("log") / "server.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}",
         f"--IdentityProvider.token={TOKEN}"],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    server = Server(f"http://127.0.0.1:{port}/", root)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if server.request("api/status")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"jupyter server did not start:\n{log.read()[-3000:]}")
            time.sleep(0.25)
        server.outside = outside
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_the_installed_config_enables_the_extension(served):
    out = subprocess.run([sys.executable, "-m", "jupyter_server", "extension", "list"],
                         capture_output=True, text=True)
    text = out.stdout + out.stderr
    assert "qrp_review" in text and "enabled" in text.split("qrp_review", 1)[1][:40]
    # and the running server (whose command line does not name it) serves its routes
    status, body = served.api("stores")
    assert status == 200 and any(s["path"] == "demo.sqlite" for s in body["stores"])


@pytest.mark.parametrize("route", ROUTES)
def test_a_request_without_the_token_is_refused(served, route):
    for token in (None, "wrong-token"):
        status, body, _ = served.request(f"{API}/{route}", {"db": "demo.sqlite"}, token=token)
        assert status == 403, (route, token, status)
        assert body is None or "stores" not in body and "items" not in body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("route", ["summary", "candidates", "events", "verify"])
def test_no_method_but_get_is_served_and_the_file_is_unchanged(served, method, route):
    demo = served.root / "demo.sqlite"
    before = _sha(demo)
    status, _, _ = served.request(f"{API}/{route}", {"db": "demo.sqlite"}, method=method)
    assert status == 405
    # without the token, the XSRF/authentication check refuses it before anything else
    status, _, _ = served.request(f"{API}/{route}", {"db": "demo.sqlite"}, method=method,
                                  token=None)
    assert status == 403
    assert _sha(demo) == before


@pytest.mark.parametrize("db, says", [
    ("../outside/secret.sqlite", "steps out with '..'"),
    ("ro/../../x.sqlite", "steps out with '..'"),
    ("/etc/passwd", "is absolute"),
    ("escape.sqlite", "resolves outside the server root"),
])
def test_a_path_out_of_the_root_is_refused_with_a_json_error(served, db, says):
    outside = served.outside / "secret.sqlite"
    before = _sha(outside)
    for endpoint in ("summary", "candidates", "verify"):
        status, body = served.api(endpoint, db=db)
        assert status == 403
        assert says in body["error"]["message"] and body["error"]["where"] == "db"
        assert body["error"]["fix"]
        assert str(served.root) not in json.dumps(body)  # no server path in the answer
    assert _sha(outside) == before


def test_a_missing_store_and_a_missing_db_parameter_are_clear_errors(served):
    status, body = served.api("summary", db="nope.sqlite")
    assert status == 404 and "no file 'nope.sqlite'" in body["error"]["message"]
    status, body = served.api("summary")
    assert status == 400 and body["error"]["what"] == "no store given"


def test_a_file_that_is_not_a_qrp_store_is_refused_and_left_as_it_is(served):
    for name, says in (("other-app.sqlite", "another application's SQLite database"),
                       ("notes.txt", "not a SQLite database")):
        path = served.root / name
        before, listing = _sha(path), sorted(p.name for p in served.root.iterdir())
        status, body = served.api("summary", db=name)
        assert status == 400, body
        assert says in body["error"]["message"]
        assert _sha(path) == before
        assert sorted(p.name for p in served.root.iterdir()) == listing  # no -wal, no -shm


def test_a_read_only_store_file_is_served(served):
    locked = served.root / "ro" / "locked.sqlite"
    assert locked.stat().st_mode & 0o777 == 0o444
    before = _sha(locked)
    status, body = served.api("summary", db="ro/locked.sqlite", verify="1")
    assert status == 200
    assert body["counts"]["candidates"] == 2 and body["verify"]["state"] == "ok"
    status, body = served.api("candidates", db="ro/locked.sqlite")
    assert status == 200 and len(body["items"]) == 2
    assert _sha(locked) == before


def _all_pages(served, endpoint, **params):
    pages, cursor = [], None
    while True:
        status, body = served.api(endpoint, **params, **({"cursor": cursor} if cursor else {}))
        assert status == 200, body
        pages.append(body)
        cursor = body["next"]
        if cursor is None:
            return pages


def test_pages_are_disjoint_and_cover_everything(served):
    with open_store(served.root / "demo.sqlite", readonly=True, create=False) as s:
        seqs = [e["seq"] for e in s.all("governance_events.chain")]
        cands = sorted(c["candidate_id"] for c in s.all("promotion_candidates.all"))
        runs = sorted(r["run_key"] for r in s.all("runs.all"))
    for order, expected in (("asc", seqs), ("desc", seqs[::-1])):
        pages = _all_pages(served, "events", db="demo.sqlite", limit="2", order=order)
        got = [e["seq"] for p in pages for e in p["items"]]
        assert got == expected and len(pages) == -(-len(seqs) // 2)
        assert all(p["total"] == len(seqs) and len(p["items"]) <= 2 for p in pages)
        assert all(e["hash_ok"] and e["link_ok"] for p in pages for e in p["items"])
    pages = _all_pages(served, "candidates", db="demo.sqlite", limit="1")
    assert [c["candidate_id"] for p in pages for c in p["items"]] == cands
    pages = _all_pages(served, "runs", db="demo.sqlite", limit="1")
    assert sorted(r["run_key"] for p in pages for r in p["items"]) == runs
    assert len({r["run_key"] for p in pages for r in p["items"]}) == len(runs)


def test_the_page_size_has_a_hard_cap_and_a_bad_cursor_is_refused(served):
    status, body = served.api("events", db="demo.sqlite", limit="501")
    assert status == 400 and "from 1 to 500" in body["error"]["message"]
    status, body = served.api("events", db="demo.sqlite", limit="500")
    assert status == 200
    status, body = served.api("events", db="demo.sqlite", cursor="not-a-cursor")
    assert status == 400 and body["error"]["where"] == "cursor"
    status, body = served.api("events", db="demo.sqlite", colour="red")
    assert status == 400 and "unknown parameter 'colour'" in body["error"]["message"]


def test_the_refused_candidate_shows_its_blockers_and_its_report_rules(served):
    status, body = served.api("candidates", db="demo.sqlite")
    assert status == 200
    refused = [c for c in body["items"] if c["last_report"] and not c["last_report"]["passed"]]
    assert len(refused) == 1
    c = refused[0]
    assert c["status"] == "exploratory" and c["eligibility_report_id"] is None
    assert c["blockers"] == c["last_report"]["blockers"] and len(c["blockers"]) >= 1
    assert any(b.startswith("overfitting: pbo") for b in c["blockers"])
    accepted = [x for x in body["items"] if x["status"] == "accepted"]
    assert len(accepted) == 1 and accepted[0]["blockers"] == []

    status, rep = served.api(f"reports/{c['last_report']['eligibility_report_id']}",
                             db="demo.sqlite")
    assert status == 200 and rep["passed"] is False
    assert rep["blockers"] == c["blockers"]
    failing = {r["rule"] for r in rep["rules"] if r["verdict"] == "fail"
               and r["severity"] == "blocker"}
    assert {b.split(":")[0] for b in rep["blockers"]} == failing
    for rule in rep["rules"]:
        assert {"value", "threshold", "verdict", "op", "metric"} <= set(rule)
        assert rule["artifact"]["artifact_id"] == rule["artifact_id"]
        assert rule["artifact"]["size"] > 0 and rule["artifact"]["lineage"]

    status, detail = served.api(f"candidates/{c['candidate_id'][:10]}", db="demo.sqlite")
    assert status == 200 and detail["candidate"]["candidate_id"] == c["candidate_id"]
    assert [r["passed"] for r in detail["reports"]] == [False]
    assert [e["kind"] for e in detail["events"]] == ["candidate_created", "promotion_refused"]


def test_markup_from_the_store_comes_back_as_the_literal_string(served):
    status, raw_body, headers = served.request(f"{API}/events", {"db": "xss.sqlite",
                                                                   "order": "desc"})
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    last = raw_body["items"][0]
    assert last["kind"] == "rejected"
    assert last["payload"]["reason"] == XSS and last["payload"]["actor"] == XSS
    status, body = served.api("candidates", db="xss.sqlite", status="rejected")
    assert status == 200 and body["total"] == 1 and body["items"][0]["status"] == "rejected"


def test_verify_and_the_logs_integrity_status(served):
    status, body = served.api("verify", db="demo.sqlite")
    assert status == 200 and body["verify"]["ok"] is True
    assert body["chain"]["state"] == "ok" and body["ledger"]["state"] == "ok"
    assert body["verify"]["text"].startswith("verify demo.sqlite: OK")
    status, again = served.api("verify", db="demo.sqlite")
    assert again["cached"] is True and again["verify"] == body["verify"]
    status, events = served.api("events", db="demo.sqlite")
    assert events["cached"] is True and events["chain"]["state"] == "ok"
    assert events["ledger"]["state"] == "ok"
    status, body = served.api("verify", db="demo.sqlite", digest="00" * 32)
    assert status == 200 and body["verify"]["ok"] is False
    status, body = served.api("verify", db="demo.sqlite", digest="xyz")
    assert status == 400 and body["error"]["where"] == "digest"


def test_the_lineage_of_a_candidate(served):
    status, body = served.api("candidates", db="demo.sqlite", status="accepted")
    cid = body["items"][0]["candidate_id"]
    status, body = served.api(f"lineage/{cid}", db="demo.sqlite")
    assert status == 200
    lin = body["lineage"]
    assert lin["mime"] == "application/vnd.qrp.lineage+json"
    assert lin["root"] == {"kind": "candidate", "id": cid} and len(lin["nodes"]) > 5
    status, body = served.api("lineage/zz-not-hex", db="demo.sqlite")
    assert status == 404 and "not a hex id" in body["error"]["message"]


def test_the_request_jupyterlab_sends_is_answered(served):
    """JupyterLab's ServerConnection appends a bare cache-busting number to every GET."""
    status, body, headers = served.request(f"{API}/candidates",
                                           {"db": "demo.sqlite", "1796242014171": ""})
    assert status == 200 and body["total"] == 2
    assert headers["Cache-Control"] == "no-store"  # the store as it is now, never a cached copy
