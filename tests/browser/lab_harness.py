"""Start and stop a real ``jupyter lab`` for the browser tests, and read what its page shows.

The fixtures that use these live in ``conftest.py``; the tests import the helpers from
here (a ``conftest`` module cannot be imported by name: the suite has several).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


#: Debian's chromium (``.ci/run`` installs it); ``QRP_CHROMIUM`` points elsewhere.
CHROMIUM = os.environ.get("QRP_CHROMIUM", "/usr/bin/chromium")
#: The flags of the developers' guide (Playwright adds ``--headless`` itself).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
#: Seconds to wait for the server to answer, and for Lab to draw in the page.
SERVER_START_S = 90
PAGE_READY_MS = 90_000
VIEWPORT = {"width": 1500, "height": 1000}

#: Lab settings for a test session (written into the isolated settings folder): every cell
#: attached to the DOM (no virtual scrolling, so every output can be inspected), no news or
#: update check (the page stays offline).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    """A running ``jupyter lab``: its root folder, URL, token and log."""

    root: Path
    url: str
    token: str
    log: Path
    proc: subprocess.Popen

    def api(self, path: str, *, method: str = "GET") -> tuple[int, bytes]:
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"


def _lab_env(base: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    for name in ("config", "runtime", "data", "ipython"):
        (base / name).mkdir()
    env.update(JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_RUNTIME_DIR=str(base / "runtime"),
               JUPYTER_DATA_DIR=str(base / "data"), IPYTHONDIR=str(base / "ipython"),
               PYTHONUNBUFFERED="1")
    return env


class _PortTaken(RuntimeError):
    """The free port found was taken by another process before the server bound it."""


def start_lab(base: Path, *, disabled: tuple[str, ...] = ()) -> Lab:
    """Start ``jupyter lab`` with everything of its own under ``base``; return when it answers.
    ``disabled`` names lab extensions to turn off, as a user without them would have Lab.

    A port is picked free and then bound by the server a moment later; another test worker may
    take it in between, so that case (only) is tried again on a new port.
    """
    root, settings, workspaces = base / "root", base / "settings", base / "workspaces"
    for d in (root, settings, workspaces):
        d.mkdir()
    for rel, values in LAB_SETTINGS.items():
        (settings / rel).parent.mkdir(parents=True, exist_ok=True)
        (settings / rel).write_text(json.dumps(values), encoding="utf-8")
    env = _lab_env(base)
    if disabled:  # Lab's own switch: page_config.json in the (isolated) config folder
        (base / "config" / "labconfig").mkdir()
        (base / "config" / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {name: True for name in disabled}}),
            encoding="utf-8")
    for attempt in range(3):
        try:
            return _serve(base, root, settings, workspaces, env, attempt)
        except _PortTaken:
            continue
    raise RuntimeError(f"jupyter lab found no free port in 3 attempts (log: {base})")


def _serve(base: Path, root: Path, settings: Path, workspaces: Path, env: dict[str, str],
           attempt: int) -> Lab:
    port, token = _free_port(), secrets.token_hex(24)
    log = base / f"lab-{attempt}.log"
    cmd = [sys.executable, "-m", "jupyterlab", "--allow-root", "--no-browser",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={workspaces}",
           "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.extension_manager=readonly"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    lab = Lab(root=root, url=f"http://127.0.0.1:{port}", token=token, log=log, proc=proc)
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            if "already in use" in lab.log_tail():
                raise _PortTaken(port)
            raise RuntimeError(f"jupyter lab exited with {proc.returncode} before it answered:\n"
                               f"{lab.log_tail()}")
        try:
            if lab.api("/api/status")[0] == 200:
                return lab
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.25)
    stop_lab(lab)
    raise RuntimeError(f"jupyter lab did not answer within {SERVER_START_S} s:\n"
                       f"{lab.log_tail()}")


def stop_lab(lab: Lab) -> None:
    """Shut the server down through its API (kernels included), then make sure it is gone."""
    if lab.proc.poll() is None:
        try:
            lab.api("/api/shutdown", method="POST")
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        try:
            lab.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            lab.proc.terminate()
            try:
                lab.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                lab.proc.kill()
                lab.proc.wait(timeout=10)


@dataclass
class Console:
    """Everything the page said that a user would call an error, as one-line strings."""

    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@dataclass
class Browser:
    page: object
    console: Console
    lab: Lab

    def home(self) -> None:
        """Open a fresh Lab page with no document and wait until its shell and file browser
        are drawn, with the launcher in the main area as Lab shows an empty one.

        Lab opens that launcher itself once its file browser has restored, which on a loaded
        machine comes after ``restored``, and the launcher then takes the focus from whatever
        the test opened (the modal command palette closes). Opening it here and letting its
        activation land leaves Lab nothing to open later; the focus may still move late on a
        loaded machine, so a test that types checks its target kept the focus."""
        p = self.page
        p.goto(f"{self.lab.url}/lab?reset&token={self.lab.token}")
        p.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell && "
                            "document.querySelector('#jp-main-dock-panel') && "
                            "document.querySelector('.jp-DirListing-content')",
                            timeout=PAGE_READY_MS)
        p.evaluate("""async () => {
          const app = window.jupyterapp;
          await app.restored;
          if (app.shell.isEmpty('main')) await app.commands.execute('launcher:create');
          return true;
        }""")
        p.locator("#jp-main-dock-panel .jp-Launcher").first.wait_for(
            state="visible", timeout=PAGE_READY_MS)
        p.wait_for_function("() => document.querySelectorAll("
                            "'#jp-main-dock-panel .jp-Launcher').length === 1",
                            timeout=PAGE_READY_MS)
        # Lab activates the launcher through Lumino's message loop (animation frames), and the
        # activation focuses it: let a few frames pass so that it lands before the test acts.
        p.evaluate("() => new Promise(r => { let n = 4; const f = () => (--n ? "
                   "requestAnimationFrame(f) : r(true)); requestAnimationFrame(f); })")

    def open(self, path: str) -> None:
        """Open ``path`` (relative to the Lab root) in a fresh Lab page and wait until it is
        drawn: the shell is up and the document's tab is the current one."""
        p = self.page
        p.goto(f"{self.lab.url}/lab/tree/{path}?reset&token={self.lab.token}")
        p.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell && "
                            "document.querySelector('#jp-main-dock-panel')",
                            timeout=PAGE_READY_MS)
        p.wait_for_function(
            "(name) => { const w = window.jupyterapp.shell.currentWidget;"
            " return !!w && !!w.context && w.context.path === name && w.context.isReady; }",
            arg=path, timeout=PAGE_READY_MS)


# ---------------------------------------------------------------------------------------------
# What the page shows, read through the DOM and Lab's own model (window.jupyterapp)
# ---------------------------------------------------------------------------------------------

#: Every output Lab drew with a QRP media type: its cell, the type Lab chose, whether QRP's
#: renderer root and a drawing are inside, its visible text. Lab's own renderers mark their
#: node with ``data-mime-type`` (``RenderedCommon``); a renderer that is a plain widget may
#: not, and then the type is the one its ``.qrp-render`` root names (``marked`` says which).
QRP_OUTPUTS_JS = """() => {
  const nb = window.jupyterapp.shell.currentWidget.content;
  const found = [];
  nb.widgets.forEach((cell, i) => {
    for (const out of cell.node.querySelectorAll('.jp-OutputArea-output')) {
      const root = out.querySelector('.qrp-render');
      const mime = out.getAttribute('data-mime-type') ||
                   (root ? root.getAttribute('data-qrp-mime') : '');
      if (!mime || !mime.startsWith('application/vnd.qrp.')) continue;
      found.push({cell: i, mime, root: root ? root.getAttribute('data-qrp-mime') : null,
                  marked: out.hasAttribute('data-mime-type'),
                  drawing: !!out.querySelector('svg, canvas'), text: out.innerText});
    }
  });
  return found;
}"""


def qrp_output(page, mime: str):
    """The locator of the outputs QRP's renderer drew for ``mime``."""
    return page.locator(f'.jp-OutputArea-output:has(.qrp-render[data-qrp-mime="{mime}"])')


#: ``trusted`` of every code cell of the current notebook, from Lab's cell models.
TRUSTED_JS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  const out = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type === 'code') out.push(c.trusted);
  }
  return out;
}"""


def saved_qrp_outputs(nb: dict) -> list[tuple[int, str]]:
    """(cell index, QRP media type) of every saved output that carries one, in order."""
    found = []
    for ci, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            mimes = [k for k in out.get("data", {}) if k.startswith("application/vnd.qrp.")]
            found += [(ci, m) for m in mimes]
    return found


def wait_for_qrp_outputs(browser: "Browser", expected: int) -> list[dict]:
    """The QRP outputs once ``expected`` of them are drawn by QRP's renderers (renderers may
    draw asynchronously); what is there after the timeout otherwise, for the assertion."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        browser.page.wait_for_function(
            f"() => ({QRP_OUTPUTS_JS})().filter(o => o.root).length >= {expected}",
            timeout=30_000)
    except PlaywrightTimeout:  # the assertion that follows says what is missing
        pass
    return browser.page.evaluate(QRP_OUTPUTS_JS)


#: Elements and attributes that would mean a string from the store was parsed as markup.
MARKUP_JS = """(out) => {
  const bad = [];
  for (const el of out.querySelectorAll('img, script, iframe, object, embed, image')) {
    // QRP's own static charts: an image whose source is an SVG data URI it made (its
    // attributes are exactly these, so a store string cannot pass for one).
    const names = el.getAttributeNames().sort().join(',');
    if (el.tagName === 'IMG' && names === 'alt,height,src,style,width' &&
        el.getAttribute('src').startsWith('data:image/svg+xml;base64,')) continue;
    bad.push('<' + el.tagName.toLowerCase() + '>');
  }
  for (const el of out.querySelectorAll('*'))
    for (const a of el.getAttributeNames())
      if (a.toLowerCase().startsWith('on')) bad.push(el.tagName.toLowerCase() + '[' + a + ']');
  return bad;
}"""


def shows(loc, text: str) -> bool:
    """``text`` is literally in a visible element of ``loc`` (HTML or SVG text)."""
    return loc.evaluate("""(root, text) => {
      for (const el of [root, ...root.querySelectorAll('*')]) {
        if (!el.textContent.includes(text)) continue;
        const own = [...el.childNodes].some(n => n.nodeType === 3 && n.data.includes(text));
        if (!own) continue;
        const r = el.getBoundingClientRect();
        const st = getComputedStyle(el);
        if (r.width > 0 && r.height > 0 && st.visibility !== 'hidden' && st.display !== 'none')
          return true;
      }
      return false;
    }""", text)
