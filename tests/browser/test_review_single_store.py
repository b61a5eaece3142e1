"""The review panel opens the store itself when the folder Jupyter serves holds only one: a
reviewer who was sent one store file has nothing to choose."""

from __future__ import annotations

from hostile_evidence import build
from test_review_panel import ANSWER_MS, _open_from_palette, _wait_checked


def test_the_only_store_opens_without_a_choice(browser):
    build(browser.lab.root)  # hostile.sqlite (and a notebook), the one store of this root
    browser.home()
    panel = _open_from_palette(browser.page)
    panel.locator(".qrp-review-summary h3:has-text('Store hostile.sqlite')").wait_for(
        timeout=ANSWER_MS)
    assert panel.locator("select.qrp-review-store").input_value() == "hostile.sqlite"
    # the summary and the candidates page arrive as separate requests: wait for the page
    rows = panel.locator("table.qrp-review-candidates tbody tr.qrp-review-row")
    rows.first.wait_for(timeout=ANSWER_MS)
    assert rows.count() == 1
    assert _wait_checked(panel) == ["verify: ok", "event chain: ok", "ledger: ok"]
    assert browser.console.errors == [] and browser.console.dialogs == []
