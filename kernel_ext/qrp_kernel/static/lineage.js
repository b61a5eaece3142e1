// QRP lineage DAG: the front end of qrp_kernel.widgets.LineageWidget (anywidget ES module).
//
// The graph and its layered layout come from Python (payload trait, the
// application/vnd.qrp.lineage+json format): nodes {id, kind, label, x, y, hashes, details},
// edges {source, target, relation}. This module only draws them at the given positions,
// pans (drag the background), zooms (mouse wheel, around the pointer) and shows a clicked
// node's hashes, config and metrics in a side panel. No build step, no dependencies.

const SVG_NS = "http://www.w3.org/2000/svg";
const COLUMN_GAP = 190; // pixels per layout unit along x (one layer)
const ROW_GAP = 48; // pixels per layout unit along y (one slot within a layer)
const NODE_W = 150;
const NODE_H = 34;
// One colour per node kind of qrp_jupyter.lineage.NODE_KINDS.
const KIND_COLORS = {
  dataset: "#4e79a7",
  code: "#9c755f",
  run: "#f28e2b",
  run_instance: "#ffbe7d",
  artifact: "#76b7b2",
  seed: "#bab0ac",
  candidate: "#59a14f",
  report: "#edc948",
  event: "#b07aa1",
};

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

function html(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

// Map layout coordinates (x = layer, y = position within the layer, unit steps) to pixels,
// linearly, so the picture is exactly the layout Python computed.
export function scaleLayout(nodes) {
  const xs = nodes.map((n) => Number(n.x) || 0);
  const ys = nodes.map((n) => Number(n.y) || 0);
  const minX = Math.min(...xs);
  const minY = Math.min(...ys);
  const out = new Map();
  nodes.forEach((n, i) => {
    out.set(String(n.id), { x: 20 + (xs[i] - minX) * COLUMN_GAP, y: 20 + (ys[i] - minY) * ROW_GAP });
  });
  return out;
}

function short(value) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return /^[0-9a-f]{64}$/.test(text) ? `${text.slice(0, 12)}…` : text;
}

function showNode(panel, node) {
  panel.replaceChildren();
  panel.append(html("h4", { style: "margin: 0 0 4px 0" }, node.label ?? String(node.id)));
  panel.append(html("div", { style: "color: #666; margin-bottom: 6px" }, `${node.kind} · ${short(String(node.id))}`));
  const hashes = node.hashes ?? {};
  if (Object.keys(hashes).length > 0) {
    panel.append(html("h5", { style: "margin: 6px 0 2px 0" }, "hashes"));
    const table = html("table", { style: "font-family: monospace; font-size: 11px" });
    for (const [key, value] of Object.entries(hashes)) {
      const row = html("tr");
      row.append(html("td", { style: "padding-right: 6px" }, key));
      row.append(html("td", { title: String(value), style: "word-break: break-all" }, String(value)));
      table.append(row);
    }
    panel.append(table);
  }
  const details = node.details ?? {};
  for (const [key, value] of Object.entries(details)) {
    panel.append(html("h5", { style: "margin: 6px 0 2px 0" }, key));
    const body = typeof value === "object" && value !== null ? JSON.stringify(value, null, 1) : String(value);
    panel.append(html("pre", { style: "margin: 0; font-size: 11px; white-space: pre-wrap; max-height: 14em; overflow: auto" }, body));
  }
}

function draw(root, payload) {
  root.replaceChildren();
  const nodes = Array.isArray(payload?.nodes) ? payload.nodes : [];
  const edges = Array.isArray(payload?.edges) ? payload.edges : [];
  if (nodes.length === 0) {
    root.append(html("div", {}, "qrp lineage: empty graph"));
    return () => {};
  }
  const pos = scaleLayout(nodes);
  const byId = new Map(nodes.map((n) => [String(n.id), n]));
  const width = Math.max(...[...pos.values()].map((p) => p.x)) + NODE_W + 40;
  const height = Math.max(...[...pos.values()].map((p) => p.y)) + NODE_H + 40;

  const frame = html("div", { class: "qrp-lineage", style: "display: flex; gap: 8px; font: 12px sans-serif" });
  const canvas = svg("svg", { width: Math.min(width, 760), height: Math.min(height, 480), style: "border: 1px solid #ddd; cursor: grab; flex: 0 0 auto" });
  const panel = html("div", { class: "qrp-lineage-panel", style: "flex: 1 1 16em; min-width: 14em; max-height: 480px; overflow: auto" }, "Click a node for its hashes, config and metrics. Drag to pan, wheel to zoom.");
  const defs = svg("defs");
  const marker = svg("marker", { id: "qrp-arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" });
  marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#888" }));
  defs.append(marker);
  canvas.append(defs);
  const scene = svg("g");
  canvas.append(scene);

  for (const e of edges) {
    const a = pos.get(String(e.source));
    const b = pos.get(String(e.target));
    if (!a || !b) continue;
    const line = svg("line", { x1: a.x + NODE_W, y1: a.y + NODE_H / 2, x2: b.x, y2: b.y + NODE_H / 2, stroke: "#888", "marker-end": "url(#qrp-arrow)" });
    const title = svg("title");
    title.textContent = e.relation ?? "";
    line.append(title);
    scene.append(line);
  }
  let selected = null;
  for (const [id, p] of pos) {
    const n = byId.get(id);
    const g = svg("g", { transform: `translate(${p.x},${p.y})`, style: "cursor: pointer", "data-id": id });
    const box = svg("rect", { width: NODE_W, height: NODE_H, rx: 6, fill: KIND_COLORS[n.kind] ?? "#bab0ac", stroke: "#333", "stroke-width": 1 });
    const label = svg("text", { x: 8, y: 21, fill: "#111" });
    const text = String(n.label ?? id);
    label.textContent = text.length > 22 ? `${text.slice(0, 21)}…` : text;
    g.append(box, label);
    g.addEventListener("click", (event) => {
      event.stopPropagation();
      if (selected) selected.setAttribute("stroke-width", 1);
      box.setAttribute("stroke-width", 3);
      selected = box;
      showNode(panel, n);
    });
    scene.append(g);
  }

  // Pan and zoom: one transform on the scene group.
  const view = { x: 0, y: 0, k: 1 };
  const apply = () => scene.setAttribute("transform", `translate(${view.x},${view.y}) scale(${view.k})`);
  let drag = null;
  const onDown = (event) => {
    drag = { x: event.clientX - view.x, y: event.clientY - view.y };
    canvas.style.cursor = "grabbing";
  };
  const onMove = (event) => {
    if (!drag) return;
    view.x = event.clientX - drag.x;
    view.y = event.clientY - drag.y;
    apply();
  };
  const onUp = () => {
    drag = null;
    canvas.style.cursor = "grab";
  };
  const onWheel = (event) => {
    event.preventDefault();
    const rect = canvas.getBoundingClientRect();
    const px = event.clientX - rect.left;
    const py = event.clientY - rect.top;
    const factor = Math.exp(-event.deltaY * 0.0015);
    const k = Math.min(8, Math.max(0.1, view.k * factor));
    view.x = px - ((px - view.x) * k) / view.k;
    view.y = py - ((py - view.y) * k) / view.k;
    view.k = k;
    apply();
  };
  canvas.addEventListener("pointerdown", onDown);
  window.addEventListener("pointermove", onMove);
  window.addEventListener("pointerup", onUp);
  canvas.addEventListener("wheel", onWheel, { passive: false });

  frame.append(canvas, panel);
  root.append(frame);
  return () => {
    window.removeEventListener("pointermove", onMove);
    window.removeEventListener("pointerup", onUp);
  };
}

function render({ model, el }) {
  let cleanup = draw(el, model.get("payload"));
  const redraw = () => {
    cleanup();
    cleanup = draw(el, model.get("payload"));
  };
  model.on("change:payload", redraw);
  return () => {
    model.off("change:payload", redraw);
    cleanup();
  };
}

export default { render };
