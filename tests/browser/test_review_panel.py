"""The review panel in a real JupyterLab, over real stores served by the ``qrp_review`` server
extension of the same Lab.

Two stores sit in the Lab root: the demo store (``qrp demo``'s golden path: an edge promoted to
``accepted``, a data-mined noise strategy refused) and the hostile store, whose dataset name,
run name, actor and reason are markup. What the panel must show is read from the store file
itself (SQLite, read-only), never from the API the panel uses nor hard-coded: the refused
candidate's blockers, every rule of its report, the governance events; ``qrp verify`` on the
same file gives the verify result the panel must agree with.
"""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from hostile_evidence import ACTOR, DATASET_NAME, REASON, RUN_NAME, build
from lab_harness import MARKUP_JS, shows
from qrp_jupyter.demo import run_demo

PANEL = "#qrp-review-panel"
#: Answers of the review API may wait for a background verify on a busy machine.
ANSWER_MS = 60_000


@dataclass
class Refusal:
    """The demo store's refused report, as the store file holds it."""

    candidate_id: str
    report_id: str
    blockers: list[str]
    rules: list[dict]


def _read_only(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True)


def _refusal(db: Path) -> Refusal:
    with contextlib.closing(_read_only(db)) as con:
        rows = con.execute("SELECT eligibility_report_id, candidate_id, payload_json "
                           "FROM eligibility_reports WHERE passed = 0").fetchall()
    assert len(rows) == 1, f"the demo store should hold one refused report, it holds {len(rows)}"
    (rid, cid, payload), = rows
    body = json.loads(payload)
    assert body["blockers"], "the demo's refusal has no blockers"
    return Refusal(candidate_id=cid, report_id=rid, blockers=body["blockers"],
                   rules=body["rules"])


def _events(db: Path) -> list[tuple[int, str]]:
    with contextlib.closing(_read_only(db)) as con:
        return con.execute("SELECT seq, kind FROM governance_events ORDER BY seq DESC").fetchall()


def _qrp_verify(db: Path) -> int:
    return subprocess.run([sys.executable, "-m", "qrp_jupyter.cli", "verify", "--db", str(db)],
                          capture_output=True, text=True, timeout=300).returncode


@pytest.fixture(scope="module")
def stores(lab):
    """The demo store (through the function ``qrp demo`` calls) and the hostile store, in the
    Lab root."""
    with contextlib.redirect_stdout(io.StringIO()):
        assert run_demo(str(lab.root / "demo.sqlite"), as_json=True) == 0
    return build(lab.root)


def _panel(page):
    panel = page.locator(PANEL)
    panel.wait_for(state="visible", timeout=ANSWER_MS)
    return panel


#: The review command's label in the palette.
OPEN_REVIEW_LABEL = "QRP: Open Review Panel"
#: Tries of the palette: on a loaded machine Lab may still move the focus after the page
#: reports ready (its launcher did, in CI), and the modal palette closes when it loses it.
PALETTE_TRIES = 5


#: Where the keyboard focus is: named in a failure of the palette.
FOCUS_JS = """() => { const a = document.activeElement;
  return a ? `${a.tagName.toLowerCase()}#${a.id}.${[...a.classList].join('.')}` : 'none'; }"""


def _open_from_palette(page):
    """The command palette, as a reviewer uses it: its shortcut, the command's label, Enter.

    The palette is opened again when it did not show or closed before listing the command
    (something took the focus); an open palette that does not list the command fails at
    once. Enter is pressed once: the command runs once."""
    box = page.locator(".lm-CommandPalette-input")
    item = page.locator(f".lm-CommandPalette-item:has-text('{OPEN_REVIEW_LABEL}')").first
    focus = []
    for _ in range(PALETTE_TRIES):
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        page.keyboard.press("Control+Shift+C")
        try:
            box.wait_for(state="visible", timeout=10_000)
            box.fill(OPEN_REVIEW_LABEL)
            item.wait_for(state="visible", timeout=10_000)
        except PlaywrightTimeout:
            assert not (box.is_visible() and box.input_value() == OPEN_REVIEW_LABEL), \
                f"the open palette does not list '{OPEN_REVIEW_LABEL}'"
            focus.append(page.evaluate(FOCUS_JS))
            continue
        page.keyboard.press("Enter")
        return _panel(page)
    raise AssertionError(f"the palette did not stay open to list the command in {PALETTE_TRIES} "
                         f"tries; the focus was on {focus}")


def _wait_checked(panel) -> list[str]:
    """The summary's badges once the background verify has checked the store, and the
    governance log redrawn after it: the panel reloads the summary and the log as two requests,
    so the log's own badges (and each event's link) are waited for as well."""
    boxes = (f"{PANEL} .qrp-review-summary .qrp-review-integrity .qrp-review-badge",
             f"{PANEL} .qrp-review-box > div > .qrp-review-integrity .qrp-review-badge")
    panel.page.wait_for_function(
        """(sels) => sels.every(sel => { const b = [...document.querySelectorAll(sel)];
                      return b.length === 3 &&
                             b.every(x => !x.textContent.includes('unchecked')); })""",
        arg=list(boxes), timeout=ANSWER_MS)
    return panel.page.locator(boxes[0]).all_inner_texts()


#: How the panel writes a value (``cellText`` of view.ts), applied in the page to the values
#: read from the store.
CELL_TEXT_JS = """(values) => values.map(v => {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
})"""


def test_the_palette_opens_the_panel_on_the_demo_store_with_its_refusal(browser, stores):
    page, db = browser.page, browser.lab.root / "demo.sqlite"
    refusal = _refusal(db)
    browser.home()
    panel = _open_from_palette(page)
    # Nothing selected in the file browser: the reviewer picks the store in the panel.
    select = panel.locator("select.qrp-review-store")
    select.locator('option[value="hostile.sqlite"]').wait_for(state="attached", timeout=ANSWER_MS)
    assert sorted(select.locator("option").all_inner_texts()) == \
        sorted(["choose a store", "demo.sqlite", "hostile.sqlite"])
    select.select_option("demo.sqlite")
    panel.locator(".qrp-review-summary h3:has-text('Store demo.sqlite')").wait_for(
        timeout=ANSWER_MS)

    # The refused candidate's row, with the blockers of its report.
    blockers = panel.locator(f'tr.qrp-review-blockers-row[data-candidate="{refusal.candidate_id}"]'
                             " ul.qrp-review-blockers li")
    blockers.first.wait_for(timeout=ANSWER_MS)
    assert blockers.all_inner_texts() == refusal.blockers
    # No other candidate of the demo is shown with blockers (the edge passed both levels).
    assert panel.locator("tr.qrp-review-blockers-row").count() == 1

    # Its report: every rule with its metric, value, threshold and verdict.
    panel.locator(f'tr.qrp-review-row[data-candidate="{refusal.candidate_id}"] '
                  "button.qrp-review-link").click()
    panel.locator(f'.qrp-review-candidate button.qrp-review-link[title="{refusal.report_id}"]') \
        .click()
    report = panel.locator(".qrp-review-report")
    report.wait_for(timeout=ANSWER_MS)
    assert report.locator("h3").inner_text().startswith("REFUSED: candidate")
    assert report.locator(".qrp-review-blocked li").all_inner_texts() == refusal.blockers
    rows = report.locator("table.qrp-review-rules tbody tr")
    shown = [r.locator("td").all_inner_texts() for r in rows.all()]
    values = page.evaluate(CELL_TEXT_JS, [r["value"] for r in refusal.rules])
    thresholds = page.evaluate(CELL_TEXT_JS, [r["threshold"] for r in refusal.rules])
    expected = [[r["rule"], r["metric"], v, f"{r['op']} {t}", r["verdict"]]
                for r, v, t in zip(refusal.rules, values, thresholds)]
    assert [cells[:5] for cells in shown] == expected
    # Each rule's value names the artifact it came from (the store's artifact_id, short).
    for cells, rule in zip(shown, refusal.rules):
        if rule.get("artifact_id"):
            assert cells[6].startswith(rule["artifact_id"][:8]), (rule["rule"], cells[6])
    # The rules that refused it are the failed blocker rules; a failed warning rule does not.
    failed = {r["rule"] for r in refusal.rules
              if r["verdict"] == "fail" and r["severity"] == "blocker"}
    assert failed and all(any(b.startswith(f"{f}:") for b in refusal.blockers) for f in failed)

    # The governance log, newest first, each event's link checked, under the chain and ledger
    # status once the background verify ran.
    badges = _wait_checked(panel)
    assert badges == ["verify: ok", "event chain: ok", "ledger: ok"]
    log = panel.locator(".qrp-review-box > div > table.qrp-review-events")
    log.wait_for()
    logged = [(int(r.locator("td").nth(0).inner_text()), r.locator("td").nth(1).inner_text(),
               r.locator("td").nth(7).inner_text()) for r in log.locator("tbody tr").all()]
    assert logged == [(seq, kind, "ok") for seq, kind in _events(db)]
    assert panel.locator(".qrp-review-box > div > .qrp-review-integrity .qrp-review-badge") \
        .all_inner_texts() == badges

    # Verify on demand: the panel's result agrees with `qrp verify` on the same file.
    assert _qrp_verify(db) == 0
    panel.locator("button.qrp-review-button:has-text('verify now')").click()
    result = panel.locator(".qrp-review-verify")
    result.wait_for(timeout=ANSWER_MS)
    assert result.locator("h3").inner_text() == "verify: OK"
    assert result.locator("pre.qrp-review-verify-text").inner_text().strip()
    assert panel.evaluate(MARKUP_JS) == []


def _open_from_file_browser(page, name: str):
    item = page.locator(f'.jp-DirListing-item[data-isdir="false"]:has-text("{name}")')
    item.first.wait_for(timeout=ANSWER_MS)
    item.first.click(button="right")
    entry = page.locator(".lm-Menu-item:has-text('Open in QRP Review')")
    entry.wait_for(state="visible")
    entry.click()
    return _panel(page)


def test_a_sqlite_files_context_menu_opens_it_in_the_panel(browser, stores):
    page = browser.page
    browser.home()
    panel = _open_from_file_browser(page, "demo.sqlite")
    panel.locator(".qrp-review-summary h3:has-text('Store demo.sqlite')").wait_for(
        timeout=ANSWER_MS)
    assert panel.locator("select.qrp-review-store").input_value() == "demo.sqlite"
    refusal = _refusal(browser.lab.root / "demo.sqlite")
    blockers = panel.locator("ul.qrp-review-blockers li")
    blockers.first.wait_for(timeout=ANSWER_MS)
    assert blockers.all_inner_texts() == refusal.blockers
    # A notebook is not a store: the entry is not offered on it.
    page.keyboard.press("Escape")
    notebook = page.locator(f'.jp-DirListing-item:has-text("{stores.notebook}")').first
    notebook.click(button="right")
    page.locator(".lm-Menu").first.wait_for(state="visible")
    # (Lumino keeps a command's hidden items in the menu's DOM, hidden.)
    assert page.locator(".lm-Menu-item:has-text('Open in QRP Review'):visible").count() == 0
    page.keyboard.press("Escape")


def test_markup_from_the_hostile_store_shows_as_text_in_the_panel(browser, stores):
    page = browser.page
    browser.home()
    panel = _open_from_file_browser(page, "hostile.sqlite")
    panel.locator(".qrp-review-summary h3:has-text('Store hostile.sqlite')").wait_for(
        timeout=ANSWER_MS)
    _wait_checked(panel)
    # The candidates listing names the run; the governance log, the actor and the reason.
    row = panel.locator(f'tr.qrp-review-row[data-candidate="{stores.candidate_id}"]')
    row.wait_for(timeout=ANSWER_MS)
    assert shows(row, RUN_NAME)
    log = panel.locator(".qrp-review-box > div > table.qrp-review-events")
    assert shows(log, ACTOR) and shows(log, REASON)
    # The candidate's own view and its rejection's report; then its lineage DAG, whose
    # dataset node's detail names the dataset.
    row.locator("button.qrp-review-link").click()
    cand = panel.locator(".qrp-review-candidate")
    cand.wait_for(timeout=ANSWER_MS)
    assert shows(cand, REASON) and shows(cand, ACTOR)
    cand.locator(f'button.qrp-review-link[title="{stores.report_id}"]').click()
    panel.locator(".qrp-review-report").wait_for(timeout=ANSWER_MS)
    cand.locator("button.qrp-review-button:has-text('lineage DAG')").click()
    dag = panel.locator(".qrp-review-dag")
    node = dag.locator(f'.qrp-dag-node[data-node-id="dataset:{stores.dataset_id_v2}"]')
    node.wait_for(timeout=ANSWER_MS)
    node.scroll_into_view_if_needed()
    node.click()
    assert shows(dag.locator(".qrp-dag-detail"), DATASET_NAME)
    # Every section is drawn; none holds an element or handler made of the store's strings.
    for section in (".qrp-review-summary", ".qrp-review-candidates", ".qrp-review-candidate",
                    ".qrp-review-report", ".qrp-review-events", ".qrp-review-dag"):
        assert panel.locator(section).count() >= 1, section
    assert panel.evaluate(MARKUP_JS) == []
    assert browser.console.dialogs == []


def _runs(db: Path) -> list[tuple[str, str, str, int]]:
    """(run_key, family, name, trials) of every run, oldest first, as the file holds them."""
    with contextlib.closing(_read_only(db)) as con:
        return con.execute(
            "SELECT u.run_key, u.family, u.name,"
            " (SELECT COUNT(*) FROM trials t WHERE t.run_key = u.run_key)"
            " FROM runs u ORDER BY u.created_at, u.run_key").fetchall()


def test_the_runs_listing_shows_every_run_and_opens_its_lineage(browser, stores):
    page, db = browser.page, browser.lab.root / "demo.sqlite"
    runs = _runs(db)
    assert len(runs) >= 2
    browser.home()
    panel = _open_from_palette(page)
    panel.locator('select.qrp-review-store option[value="demo.sqlite"]').wait_for(
        state="attached", timeout=ANSWER_MS)
    panel.locator("select.qrp-review-store").select_option("demo.sqlite")
    rows = panel.locator("table.qrp-review-runs tbody tr")
    rows.first.wait_for(timeout=ANSWER_MS)
    assert [r.get_attribute("data-run") for r in rows.all()] == [r[0] for r in runs]
    for row, (run_key, family, name, trials) in zip(rows.all(), runs):
        cells = row.locator("td").all_inner_texts()
        assert run_key[:12] in cells[0] and f"{family} \u00b7 {name}" in cells[0], cells
        assert cells[1] == str(trials), cells
    # the last run's id opens its lineage DAG in the panel, rooted at that run
    rows.last.locator("button.qrp-review-link").click()
    dag = panel.locator(".qrp-review-dag svg.qrp-dag")
    dag.wait_for(timeout=ANSWER_MS)
    assert panel.locator(f'.qrp-review-dag .qrp-dag-node[data-node-id="run:{runs[-1][0]}"]') \
        .count() == 1
    assert browser.console.errors == [] and browser.console.dialogs == []


def test_the_console_stayed_clean(browser, stores):
    """Last in the module: no console error, uncaught error or dialog over the whole session
    (both stores, palette and context menu)."""
    assert browser.console.errors == []
    assert browser.console.dialogs == []
