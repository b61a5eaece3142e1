// The lineage DAG as an interactive SVG: fit-to-view on open and a reset control, pan by
// dragging (pointer capture; pointercancel ends a drag), wheel zoom around the pointer,
// click to select a node (a drag never selects), a detail pane with full hashes and copy
// buttons, a colour legend, labels hidden when too small to read. DOM only: no JupyterLab
// import, so the kernel widget can use the same module.

import { el, svg, copyButton, valueCell } from '../render/dom';
import type { LineagePayload } from '../payloads';
import {
  Box,
  Transform,
  boundsOf,
  columnsOf,
  FIT_MAX_SCALE,
  fitTransform,
  labelStyle,
  nodeBoxes,
  routeEdge,
  routePath,
  wheelFactor,
  zoomAt
} from './geometry';

export type DagNode = LineagePayload['nodes'][number];
export type DagEdge = LineagePayload['edges'][number];

/** One colour per node kind of qrp_jupyter.lineage.NODE_KINDS (as the static view). */
export const KIND_COLORS: Record<string, string> = {
  dataset: '#4e79a7',
  code: '#9c755f',
  run: '#f28e2b',
  run_instance: '#ffbe7d',
  artifact: '#76b7b2',
  seed: '#bab0ac',
  candidate: '#59a14f',
  report: '#edc948',
  event: '#b07aa1'
};

/** Pixels the pointer may move between down and up and still count as a click. */
export const CLICK_SLOP = 4;

export interface DagView {
  element: HTMLElement;
  /** fit the whole graph into the view (what the reset control does) */
  fit(): void;
  /** select a node by id (null clears) */
  select(id: string | null): void;
  /** the current transform */
  transform(): Transform;
  /** stop observing size changes */
  dispose(): void;
}

function truncate(text: string, n: number): string {
  return text.length <= n ? text : `${text.slice(0, n - 1)}\u2026`;
}

function detailPane(node: DagNode | null): HTMLElement[] {
  if (node === null) {
    return [el('p', { class: 'qrp-dag-hint' }, 'Click a node to see its hashes and details.')];
  }
  const out: HTMLElement[] = [
    el('h4', {}, node.label),
    el('div', { class: 'qrp-dag-kind' }, node.kind),
    el('div', { class: 'qrp-dag-fullid' }, el('code', {}, node.id), copyButton(node.id))
  ];
  const hashes = Object.entries(node.hashes ?? {});
  if (hashes.length) {
    const rows = hashes.map(([name, value]) =>
      el(
        'tr',
        {},
        el('th', {}, name),
        el('td', {}, el('code', { class: 'qrp-fullhash' }, value)),
        el('td', {}, copyButton(value))
      )
    );
    out.push(el('h5', {}, 'hashes'), el('table', { class: 'qrp-dag-hashes' }, el('tbody', {}, ...rows)));
  }
  for (const [key, value] of Object.entries(node.details ?? {})) {
    out.push(el('h5', {}, key));
    const compact = JSON.stringify(value);
    if (value !== null && typeof value === 'object' && compact.length > 72) {
      out.push(el('pre', { class: 'qrp-dag-json' }, JSON.stringify(value, null, 1)));
    } else if (value !== null && typeof value === 'object') {
      out.push(el('div', {}, el('code', {}, compact)));
    } else {
      out.push(el('div', {}, valueCell(value)));
    }
  }
  return out;
}

/** Views made so far: each view's arrow marker gets its own id (an SVG marker is found by
 * document-wide id, and one page may show many DAGs, some hidden or removed). */
let viewCount = 0;

/** Build the interactive DAG of `graph` (nodes with x/y layout, edges). */
export function createDagView(graph: { nodes: DagNode[]; edges: DagEdge[] }): DagView {
  const boxes = nodeBoxes(graph.nodes);
  const columns = columnsOf(boxes.values());
  const byId = new Map(graph.nodes.map(n => [n.id, n]));
  const arrowId = `qrp-dag-arrow-${++viewCount}`;

  const root = svg('svg', { class: 'qrp-dag', role: 'img', 'aria-label': 'lineage graph' });
  const viewport = svg('g', { class: 'qrp-dag-viewport' });
  const edgeLayer = svg('g', { class: 'qrp-dag-edges' });
  const nodeLayer = svg('g', { class: 'qrp-dag-nodes' });
  const defs = svg(
    'defs',
    {},
    svg(
      'marker',
      {
        id: arrowId,
        viewBox: '0 0 10 10',
        refX: 10,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: 'auto-start-reverse'
      },
      svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'qrp-dag-arrowhead' })
    )
  );
  root.append(defs, viewport);
  viewport.append(edgeLayer, nodeLayer);

  const routePoints: [number, number][] = [];
  for (const edge of graph.edges) {
    const s = boxes.get(edge.source);
    const t = boxes.get(edge.target);
    if (!s || !t) {
      continue;
    }
    const points = routeEdge(s, t, columns);
    routePoints.push(...points);
    const path = svg('path', {
      class: 'qrp-dag-edge',
      d: routePath(points),
      'marker-end': `url(#${arrowId})`,
      'data-source': edge.source,
      'data-target': edge.target
    });
    path.append(svg('title', {}, `${edge.relation}: ${edge.source} \u2192 ${edge.target}`));
    edgeLayer.append(path);
  }

  const nodeEls = new Map<string, SVGGElement>();
  for (const node of graph.nodes) {
    const b = boxes.get(node.id) as Box;
    const g = svg('g', {
      class: 'qrp-dag-node',
      'data-node-id': node.id,
      'data-kind': node.kind,
      transform: `translate(${b.x},${b.y})`,
      tabindex: 0,
      role: 'button',
      'aria-label': `${node.kind} ${node.label}`
    });
    g.append(
      svg('title', {}, `${node.kind}: ${node.label}\n${node.id}`),
      svg('rect', {
        width: b.w,
        height: b.h,
        rx: 5,
        fill: KIND_COLORS[node.kind] ?? '#cccccc',
        class: 'qrp-dag-box'
      }),
      svg('text', { x: 6, y: b.h / 2, 'dominant-baseline': 'central', 'font-size': 12, class: 'qrp-dag-label' }, node.label)
    );
    nodeEls.set(node.id, g);
    nodeLayer.append(g);
  }
  const bounds = boundsOf(boxes.values(), routePoints);

  const detail = el('aside', { class: 'qrp-dag-detail' }, ...detailPane(null));
  const reset = el('button', { type: 'button', class: 'qrp-dag-reset', title: 'fit the whole graph in view' }, 'Fit');
  const zoomIn = el('button', { type: 'button', class: 'qrp-dag-zoom-in', title: 'zoom in' }, '+');
  const zoomOut = el('button', { type: 'button', class: 'qrp-dag-zoom-out', title: 'zoom out' }, '\u2212');
  const kinds = [...new Set(graph.nodes.map(n => n.kind))];
  const legend = el(
    'div',
    { class: 'qrp-dag-legend' },
    ...kinds.map(kind =>
      el(
        'span',
        { class: 'qrp-dag-legend-item', 'data-kind': kind },
        el('span', { class: 'qrp-dag-swatch', style: `background:${KIND_COLORS[kind] ?? '#cccccc'}` }),
        kind
      )
    )
  );
  const toolbar = el(
    'div',
    { class: 'qrp-dag-toolbar' },
    reset,
    zoomIn,
    zoomOut,
    el('span', { class: 'qrp-dag-help' }, `${graph.nodes.length} nodes, ${graph.edges.length} edges \u00b7 drag to pan, wheel to zoom, click a node`),
    legend
  );
  const canvas = el('div', { class: 'qrp-dag-canvas' }, root);
  const element = el('div', { class: 'qrp-dag-view' }, toolbar, el('div', { class: 'qrp-dag-main' }, canvas, detail));
  element.setAttribute('data-nodes', String(graph.nodes.length));

  let t: Transform = { k: 1, tx: 0, ty: 0 };
  let touched = false; // the user moved the view: size changes no longer refit
  let selected: string | null = null;

  // Labels grow as the view zooms out (up to a row's height) and are cut to what fits in a
  // box; only redrawn when the style changes.
  let drawnStyle = '';
  const labelEls = [...nodeLayer.querySelectorAll<SVGTextElement>('.qrp-dag-label')];
  const drawLabels = () => {
    const style = labelStyle(t.k);
    const key = style === null ? 'hidden' : `${style.fontSize}/${style.chars}`;
    if (key === drawnStyle) {
      return;
    }
    drawnStyle = key;
    root.classList.toggle('qrp-dag-labels-hidden', style === null);
    root.setAttribute('data-labels', style === null ? 'hidden' : 'shown');
    if (style !== null) {
      graph.nodes.forEach((node, i) => {
        labelEls[i].setAttribute('font-size', String(style.fontSize));
        labelEls[i].textContent = truncate(node.label, style.chars);
      });
    }
  };
  const apply = () => {
    viewport.setAttribute('transform', `translate(${t.tx},${t.ty}) scale(${t.k})`);
    drawLabels();
    root.setAttribute('data-scale', String(Math.round(t.k * 1000) / 1000));
  };
  const size = (): [number, number] => {
    const r = root.getBoundingClientRect();
    return [r.width || 800, r.height || parseFloat(root.style.height) || 420];
  };
  const fit = () => {
    // The canvas is as tall as the fitted graph needs (within 240..560 px), so a wide,
    // flat graph does not leave a tall empty band.
    const [w0] = size();
    const bw = Math.max(1, bounds.x1 - bounds.x0);
    const bh = Math.max(1, bounds.y1 - bounds.y0);
    const k0 = Math.min((w0 - 48) / bw, FIT_MAX_SCALE);
    root.style.height = `${Math.round(Math.max(240, Math.min(560, bh * k0 + 48)))}px`;
    const [w, h] = size();
    t = fitTransform(bounds, w, h);
    touched = false;
    apply();
  };
  const select = (id: string | null) => {
    if (selected !== null) {
      nodeEls.get(selected)?.classList.remove('qrp-dag-selected');
    }
    selected = id !== null && byId.has(id) ? id : null;
    if (selected !== null) {
      nodeEls.get(selected)?.classList.add('qrp-dag-selected');
    }
    root.setAttribute('data-selected', selected ?? '');
    detail.replaceChildren(...detailPane(selected === null ? null : (byId.get(selected) as DagNode)));
  };

  // Pointer handling: one drag at a time, captured so that moves and the release outside
  // the svg still reach it; pointercancel and lost capture end it, so panning never sticks.
  let drag: { id: number; x: number; y: number; t: Transform; node: string | null; moved: boolean } | null = null;
  root.addEventListener('pointerdown', (e: PointerEvent) => {
    if (e.button !== 0 || drag !== null) {
      return;
    }
    const hit = (e.target as Element).closest?.('.qrp-dag-node');
    drag = { id: e.pointerId, x: e.clientX, y: e.clientY, t, node: hit?.getAttribute('data-node-id') ?? null, moved: false };
    root.setPointerCapture?.(e.pointerId);
    root.classList.add('qrp-dag-dragging');
    e.preventDefault(); // no text selection, no native drag
  });
  root.addEventListener('pointermove', (e: PointerEvent) => {
    if (drag === null || e.pointerId !== drag.id) {
      return;
    }
    if ((e.buttons & 1) === 0) {
      end(e); // the button was released where we did not hear it
      return;
    }
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) <= CLICK_SLOP) {
      return;
    }
    drag.moved = true;
    touched = true;
    t = { k: drag.t.k, tx: drag.t.tx + dx, ty: drag.t.ty + dy };
    apply();
  });
  const end = (e: PointerEvent, click = false) => {
    if (drag === null || e.pointerId !== drag.id) {
      return;
    }
    const d = drag;
    drag = null;
    root.classList.remove('qrp-dag-dragging');
    if (root.hasPointerCapture?.(e.pointerId)) {
      root.releasePointerCapture(e.pointerId);
    }
    if (click && !d.moved) {
      select(d.node);
    }
  };
  root.addEventListener('pointerup', e => end(e, true));
  root.addEventListener('pointercancel', e => end(e));
  root.addEventListener('lostpointercapture', e => end(e));
  root.addEventListener(
    'wheel',
    (e: WheelEvent) => {
      e.preventDefault();
      const r = root.getBoundingClientRect();
      t = zoomAt(t, e.clientX - r.left, e.clientY - r.top, wheelFactor(e.deltaY, e.deltaMode));
      touched = true;
      apply();
    },
    { passive: false }
  );
  root.addEventListener('keydown', (e: KeyboardEvent) => {
    const hit = (e.target as Element).closest?.('.qrp-dag-node');
    if (hit && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault();
      select(hit.getAttribute('data-node-id'));
    }
  });
  const zoomCentre = (factor: number) => {
    const [w, h] = size();
    t = zoomAt(t, w / 2, h / 2, factor);
    touched = true;
    apply();
  };
  reset.addEventListener('click', () => fit());
  zoomIn.addEventListener('click', () => zoomCentre(1.25));
  zoomOut.addEventListener('click', () => zoomCentre(0.8));

  // Fit on open: as soon as the svg has a size, and again on resizes until the user moves
  // the view.
  let observer: ResizeObserver | null = null;
  if (typeof ResizeObserver !== 'undefined') {
    observer = new ResizeObserver(() => {
      if (!touched && root.getBoundingClientRect().width > 0) {
        fit();
      }
    });
    observer.observe(root);
  }
  fit();
  select(null);

  return {
    element,
    fit,
    select,
    transform: () => t,
    dispose: () => observer?.disconnect()
  };
}
