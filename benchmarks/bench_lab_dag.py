"""Render time of the JupyterLab lineage renderer for a 500-node DAG, in headless Chromium.

Usage (from the repo root, after scripts/setup.sh built labextension/lib)::

    python benchmarks/bench_lab_dag.py              # 500 nodes, 9 timed renders
    python benchmarks/bench_lab_dag.py --nodes 200 --repeats 5

Prints one JSON document to stdout. The page imports the compiled renderer modules
(`labextension/lib/render`, `lib/dag`: no JupyterLab needed, they are plain DOM code) from a
local HTTP server on 127.0.0.1, and Debian's chromium (``--headless``) runs it; the
figures are measured inside the page with ``performance.now()`` and posted back to the
server. One render = build the payload's view (``renderPayload``), attach it, fit it to the view
and force style and layout (``getBoundingClientRect``); paint is not included. A zoom step is
one wheel event (transform and label redraw) with layout forced. Each figure is the median
after one excluded warm-up render. The reference, measured in the same page and interleaved
with each render: the browser decoding and laying out the core's static lineage image of the
same payload (the ``<img>`` a sanitizer keeps), up to the frame that shows it (two
``requestAnimationFrame`` callbacks); the renderer is timed up to its painted frame as well, and
the ratio of the two says what the interactive view costs over the picture every notebook
viewer shows. The graph is synthetic but shaped like a lineage payload
(layers of nodes with 64-hex hashes and details, edges that span up to 4 layers).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import http.server
import json
import shutil
import subprocess
import sys
import tempfile
import threading
from statistics import median
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
# _common after the sys.path line: the benchmarks import it from their own folder.
from _common import emit, environment, log, set_numba_threads, sig  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
LIB = REPO / "labextension" / "lib"
CHROMIUM = "/usr/bin/chromium"
KINDS = ("dataset", "code", "run", "run_instance", "artifact", "seed", "candidate", "report",
         "event")


def lineage(n_nodes: int, seed: int = 1) -> dict:
    """A lineage payload with ``n_nodes`` nodes in layers of about 20, ~2 edges per node."""
    import random
    rnd = random.Random(seed)
    per_layer = 20
    nodes, layers = [], []
    for i in range(n_nodes):
        layer = i // per_layer
        if layer == len(layers):
            layers.append([])
        h = hashlib.sha256(f"node{i}".encode()).hexdigest()
        kind = KINDS[min(len(KINDS) - 1, layer * len(KINDS) // max(1, n_nodes // per_layer))]
        node_id = f"{kind}:{h}"
        slot = len(layers[layer])
        layers[layer].append(node_id)
        nodes.append({"id": node_id, "kind": kind, "label": f"{kind} #{i} {h[:8]}", "x": layer,
                      "y": slot - per_layer // 2, "hashes": {f"{kind}_id": h},
                      "details": {"size": rnd.randint(100, 10**6), "roles": ["output"]}})
    edges = set()
    for layer in range(1, len(layers)):
        for target in layers[layer]:
            for _ in range(2):
                src_layer = max(0, layer - rnd.randint(1, 4))
                edges.add((rnd.choice(layers[src_layer]), target))
    root = nodes[0]["id"].split(":")[1]
    return {"qrp_mime_version": 1, "mime": "application/vnd.qrp.lineage+json",
            "root": {"kind": "run", "id": root}, "run_key": root, "dataset_id_v2": root,
            "layout": {"algorithm": "layered-longest-path-barycentre",
                       "direction": "left-to-right", "n_layers": len(layers)},
            "nodes": sorted(nodes, key=lambda n: n["id"]),
            "edges": [{"source": s, "target": t, "relation": "derived_from"}
                      for s, t in sorted(edges)]}


PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="style/index.css"></head>
<body style="width:1100px">
<script>window.addEventListener('error', e => fetch('/result', { method: 'POST', body: JSON.stringify({ error: String(e.message) }) }));</script>
<script type="module">
import { renderPayload } from './lib/render/index.js';
const payload = JSON.parse(document.getElementById('payload').textContent);
const staticSrc = JSON.parse(document.getElementById('static').textContent);
const runs = [], zooms = [], statics = [], painted = [];
// Two animation frames: the second callback runs once the first frame (with the new content)
// was painted, so a figure up to it includes paint.
const nextPaint = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
// The reference, in the same page and interleaved with the renderer: the browser drawing the
// core's static lineage image (the sanitizer-proof <img> of views/svg.py) of the same payload.
async function drawStatic() {
  const t0 = performance.now();
  const img = new Image();
  img.src = staticSrc;
  document.body.append(img);
  await img.decode();
  img.getBoundingClientRect();
  await nextPaint();
  const t1 = performance.now();
  img.remove();
  return t1 - t0;
}
for (let r = 0; r < %(total)d; r++) {
  statics.push(await drawStatic());
  const t0 = performance.now();
  const out = renderPayload(payload.mime, payload);
  document.body.append(out.element);
  out.element.getBoundingClientRect();
  out.element.querySelector('.qrp-dag-reset').click();
  out.element.querySelector('svg.qrp-dag').getBoundingClientRect();
  const t1 = performance.now();
  await nextPaint();
  painted.push(performance.now() - t0);
  const svg = out.element.querySelector('svg.qrp-dag');
  const z0 = performance.now();
  svg.dispatchEvent(new WheelEvent('wheel', { deltaY: -120, clientX: 300, clientY: 200, cancelable: true }));
  svg.getBoundingClientRect();
  const z1 = performance.now();
  runs.push(t1 - t0); zooms.push(z1 - z0);
  if (r === 0) {
    document.body.dataset.nodes = out.element.querySelectorAll('.qrp-dag-node').length;
    document.body.dataset.edges = out.element.querySelectorAll('.qrp-dag-edge').length;
  }
  out.element.remove(); out.dispose();
}
await fetch('/result', { method: 'POST', body: JSON.stringify({ runs, zooms, statics, painted,
  nodes: Number(document.body.dataset.nodes), edges: Number(document.body.dataset.edges) }) });
</script>
<script type="application/json" id="payload">%(payload)s</script>
<script type="application/json" id="static">%(static)s</script>
</body></html>"""


class _ResultServer(http.server.ThreadingHTTPServer):
    """The page's server; the page POSTs its timings, which end the wait."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.result: dict[str, Any] = {}
        self.done = threading.Event()


class _Handler(http.server.SimpleHTTPRequestHandler):
    server: _ResultServer
    """Serves the compiled modules; tsc keeps extensionless relative imports as written, so
    a path without a suffix is served from the ``.js`` file of that name, or from the
    ``index.js`` of the folder of that name (Node's resolution, which the bundler applies)."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        local = Path(super().translate_path(self.path))
        if local.is_dir() and (local / "index.js").is_file():
            # A redirect, so that the folder's module resolves its own relative imports.
            self.send_response(301)
            self.send_header("Location", self.path.rstrip("/") + "/index.js")
            self.end_headers()
            return
        super().do_GET()

    def translate_path(self, path: str) -> str:
        local = super().translate_path(path)
        if Path(local + ".js").is_file():
            return local + ".js"
        return local

    def guess_type(self, path):  # noqa: ANN001 - http.server's signature
        return "text/javascript" if str(path).endswith(".js") else super().guess_type(path)

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.result = json.loads(body)
        self.server.done.set()
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):  # noqa: ANN002 - quiet
        pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=9)
    args = ap.parse_args()
    threads = set_numba_threads()
    from qrp_jupyter.views.svg import as_image, lineage_svg  # after the thread count is set
    if not (LIB / "render" / "index.js").exists():
        sys.exit("labextension/lib is missing: run scripts/setup.sh first")
    payload = lineage(args.nodes)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(LIB, root / "lib")
        shutil.copytree(REPO / "labextension" / "style", root / "style")
        text = json.dumps(payload).replace("</", "<\\/")
        img = as_image(lineage_svg(payload["nodes"], payload["edges"]))
        src = json.dumps(img.split('src="', 1)[1].split('"', 1)[0])
        (root / "index.html").write_text(PAGE % {"total": args.repeats + 1, "payload": text,
                                                 "static": src})
        server = _ResultServer(("127.0.0.1", 0),
                               functools.partial(_Handler, directory=str(root)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
        log(f"chromium renders {args.nodes} nodes x {args.repeats + 1} at {url}")
        with tempfile.TemporaryDirectory() as profile:
            browser = subprocess.Popen(
                [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 f"--user-data-dir={profile}", "--window-size=1200,900", url],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                finished = server.done.wait(timeout=600)
            finally:
                browser.terminate()
                browser.wait(timeout=60)
        server.shutdown()
    if not finished:
        sys.exit("the page did not report within 600 s")
    res = server.result
    if "error" in res:
        sys.exit(f"the page failed: {res['error']}")
    # the first render of each is the warm-up
    runs, zooms, statics = res["runs"][1:], res["zooms"][1:], res["statics"][1:]
    painted = res["painted"][1:]
    version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout
    emit({"benchmark": "lab_lineage_render", "nodes": res["nodes"], "edges": res["edges"],
          "repeats": len(runs),
          "render_ms_median": sig(median(runs)), "render_ms_min": sig(min(runs)),
          "render_ms_max": sig(max(runs)), "zoom_step_ms_median": sig(median(zooms)),
          "render_to_paint_ms_median": sig(median(painted)),
          "reference_static_image_to_paint_ms_median": sig(median(statics)),
          "render_vs_static_image_ratio": sig(median(painted) / median(statics)),
          "what": "renderPayload + attach + fit + forced layout, paint excluded",
          "reference": "the same page, interleaved: the core's static lineage image "
                       "(views/svg.py lineage_svg as a data-URI <img>) of the same payload, "
                       "decoded, laid out and painted; the ratio compares both up to paint",
          "environment": environment(threads, chromium=version.strip())})


if __name__ == "__main__":
    main()
