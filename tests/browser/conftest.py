"""A real JupyterLab in a real Chromium: the fixtures of the browser tests.

One ``jupyter lab`` server per test module (``lab``), started on 127.0.0.1 with a token, a
temporary root folder and its own config, runtime, data, settings and workspace folders, so
nothing on the machine (a user's settings, trusted-notebook signatures, a saved workspace)
leaks in; the QRP extension is still found, from the venv's ``share/jupyter``. One Chromium per
module (``page``), Debian's ``/usr/bin/chromium`` driven by Playwright's Python package (its own
browser download does not work here, and Playwright needs none with ``executable_path``), in a
fresh user-data folder, with every console error, uncaught page error and dialog recorded.

Why the Python package rather than Node Playwright or Galata: these tests then run in
``scripts/test.sh``'s pytest pass with the repo's other fixtures (real stores built through the
QRP API), and no second test runner has to start and stop the server.

Without Chromium or Playwright a developer's run skips with the reason; under ``CI=true`` the
same condition fails, so CI never passes by skipping the browser.
"""

from __future__ import annotations

import os
import shutil

import pytest

from lab_harness import (CHROMIUM, CHROMIUM_ARGS, PAGE_READY_MS, VIEWPORT, Browser, Console,
                         start_lab, stop_lab)


def _unavailable(reason: str) -> None:
    """Skip on a developer machine; fail under CI, where the browser must run."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"browser tests cannot run: {reason} (CI=true: the browser tests must run; "
                    "`.ci/run` installs chromium with apt-get, `scripts/setup.sh` installs "
                    "playwright)", pytrace=False)
    pytest.skip(f"browser tests need {reason}")


@pytest.fixture(scope="session")
def playwright_api():
    """Playwright's sync API module (its package is a test dependency)."""
    try:
        from playwright import sync_api
    except ImportError:
        _unavailable("the Python package playwright (pip install -e '.[test]')")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"Chromium at {CHROMIUM} (apt-get install -y chromium)")
    return sync_api


@pytest.fixture(scope="module")
def lab(playwright_api, tmp_path_factory):
    """A real ``jupyter lab`` for this module; its root folder is empty until a test fills it."""
    server = start_lab(tmp_path_factory.mktemp("lab"))
    yield server
    stop_lab(server)


@pytest.fixture(scope="module")
def browser(playwright_api, lab, tmp_path_factory):
    """One Chromium for this module with a fresh profile; its console is recorded throughout."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    console = Console()
    with playwright_api.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport=VIEWPORT)
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        # Lab's first load is megabytes of JavaScript on a machine that may be busy with
        # other test workers: navigation gets the page-ready budget.
        page.set_default_navigation_timeout(PAGE_READY_MS)
        page.on("console", lambda m: console.errors.append(f"console.{m.type}: {m.text} "
                                                           f"({m.location.get('url', '')})")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: console.errors.append(f"uncaught: {e}"))

        def on_dialog(d):
            # Leaving a page whose notebook Lab marked modified asks first: that is Lab's
            # own prompt, accepted so the next notebook opens. Any other dialog is recorded.
            if d.type == "beforeunload":
                d.accept()
                return
            console.dialogs.append(f"{d.type}: {d.message}")
            d.dismiss()
        page.on("dialog", on_dialog)
        try:
            yield Browser(page=page, console=console, lab=lab)
        finally:
            ctx.close()
    shutil.rmtree(profile, ignore_errors=True)


