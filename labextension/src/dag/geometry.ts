// Geometry of the lineage DAG: layout to pixels, edge routing, fit-to-view and zoom. Pure
// functions with no DOM and no JupyterLab import (test/dag-geometry.test.ts).
//
// The payload carries a deterministic layered layout (x = layer, y = slot in the layer, made
// by qrp_jupyter.lineage.layered_layout), so no layout library is needed: the picture is
// exactly the layout the Python side computed and hashed.

export const COLUMN_GAP = 230; // pixels per layer along x
export const ROW_GAP = 56; // pixels per slot along y
export const NODE_W = 168;
export const NODE_H = 32;
/** Clearance kept between an edge and any node it passes. */
export const EDGE_CLEARANCE = 8;

export interface LayoutNode {
  id: string;
  x: number;
  y: number;
}

export interface Box {
  id: string;
  layer: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Bounds {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface Transform {
  /** scale */
  k: number;
  /** translation, screen pixels */
  tx: number;
  ty: number;
}

export type Point = [number, number];

/** Pixel boxes of the nodes: layer `x` to a column, slot `y` to a row (top-left corner). */
export function nodeBoxes(nodes: LayoutNode[]): Map<string, Box> {
  const ys = nodes.map(n => Number(n.y) || 0);
  const minY = ys.length ? Math.min(...ys) : 0;
  const out = new Map<string, Box>();
  nodes.forEach((n, i) => {
    const layer = Math.round(Number(n.x) || 0);
    out.set(n.id, {
      id: n.id,
      layer,
      x: layer * COLUMN_GAP,
      y: (ys[i] - minY) * ROW_GAP,
      w: NODE_W,
      h: NODE_H
    });
  });
  return out;
}

/** The bounding box of boxes (and of extra points, e.g. edge routes). */
export function boundsOf(boxes: Iterable<Box>, points: Point[] = []): Bounds {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const b of boxes) {
    x0 = Math.min(x0, b.x);
    y0 = Math.min(y0, b.y);
    x1 = Math.max(x1, b.x + b.w);
    y1 = Math.max(y1, b.y + b.h);
  }
  for (const [x, y] of points) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return Number.isFinite(x0) ? { x0, y0, x1, y1 } : { x0: 0, y0: 0, x1: 1, y1: 1 };
}

export const MIN_SCALE = 0.02;
export const MAX_SCALE = 4;
/** Fit never enlarges past this, so that a 3-node graph is not drawn huge. */
export const FIT_MAX_SCALE = 1.25;

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}

/** The transform that shows all of `bounds` centred in a `width` x `height` viewport. */
export function fitTransform(bounds: Bounds, width: number, height: number, pad = 24): Transform {
  const bw = Math.max(1, bounds.x1 - bounds.x0);
  const bh = Math.max(1, bounds.y1 - bounds.y0);
  const k = clamp(
    Math.min((width - 2 * pad) / bw, (height - 2 * pad) / bh, FIT_MAX_SCALE),
    MIN_SCALE,
    MAX_SCALE
  );
  return {
    k,
    tx: (width - bw * k) / 2 - bounds.x0 * k,
    ty: (height - bh * k) / 2 - bounds.y0 * k
  };
}

/** Zoom by `factor` keeping the world point under the screen point (px, py) fixed. */
export function zoomAt(t: Transform, px: number, py: number, factor: number): Transform {
  const k = clamp(t.k * factor, MIN_SCALE, MAX_SCALE);
  const wx = (px - t.tx) / t.k;
  const wy = (py - t.ty) / t.k;
  return { k, tx: px - wx * k, ty: py - wy * k };
}

/** The world point under a screen point. */
export function toWorld(t: Transform, px: number, py: number): Point {
  return [(px - t.tx) / t.k, (py - t.ty) / t.k];
}

/** Wheel delta (pixels or lines) to a zoom factor: smooth, symmetric in and out. */
export function wheelFactor(deltaY: number, deltaMode = 0): number {
  const pixels = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY;
  return Math.exp(-clamp(pixels, -300, 300) * 0.0015);
}

/** Labels are at least 12 world px, and grow when zoomed out so that they stay this many
 * screen px high; they are hidden when they would be smaller than LABEL_MIN_SCREEN_PX. */
export const LABEL_TARGET_SCREEN_PX = 10;
export const LABEL_MIN_SCREEN_PX = 7;
/** Largest label size in world px: one row's height, so labels never cover the next row. */
export const LABEL_MAX_WORLD_PX = ROW_GAP * 0.85;
/** Fewer characters than this would say nothing: hide the label instead. */
export const LABEL_MIN_CHARS = 4;

export interface LabelStyle {
  /** font size in world px */
  fontSize: number;
  /** most characters that fit in a node box at that size */
  chars: number;
}

/** How node labels are drawn at scale k, or null when they are hidden (nodes keep their
 * tooltips and the detail pane). */
export function labelStyle(k: number): LabelStyle | null {
  const fontSize = Math.min(LABEL_MAX_WORLD_PX, Math.max(12, LABEL_TARGET_SCREEN_PX / k));
  const chars = Math.floor((NODE_W - 12) / (fontSize * 0.6));
  if (fontSize * k < LABEL_MIN_SCREEN_PX || chars < LABEL_MIN_CHARS) {
    return null;
  }
  return { fontSize: Math.round(fontSize * 10) / 10, chars };
}

/** Whether labels are drawn at scale k. */
export function labelsVisible(k: number): boolean {
  return labelStyle(k) !== null;
}

/** y of a horizontal lane through a layer's column that passes no node, nearest `target`. */
export function freeLane(column: Box[], target: number): number {
  if (column.length === 0) {
    return target;
  }
  const sorted = [...column].sort((a, b) => a.y - b.y);
  const c = EDGE_CLEARANCE;
  const intervals: [number, number][] = [];
  intervals.push([-Infinity, sorted[0].y - c]);
  for (let i = 0; i + 1 < sorted.length; i++) {
    const lo = sorted[i].y + sorted[i].h + c;
    const hi = sorted[i + 1].y - c;
    if (hi >= lo) {
      intervals.push([lo, hi]);
    }
  }
  const last = sorted[sorted.length - 1];
  intervals.push([last.y + last.h + c, Infinity]);
  let best = target;
  let bestDistance = Infinity;
  for (const [lo, hi] of intervals) {
    // Inside a gap between two nodes, run along its middle: the most room either side.
    const y = Number.isFinite(lo) && Number.isFinite(hi) ? (lo + hi) / 2 : clamp(target, lo, hi);
    const distance = Math.abs(y - target);
    if (distance < bestDistance) {
      best = y;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * The route of an edge as points: it leaves the source's right side, crosses each
 * intermediate layer's column along a free lane, and enters the target's left side. Between
 * columns (where there are no nodes) consecutive points are joined by a curve; along a lane,
 * by a straight line. So no edge crosses a node.
 */
export function routeEdge(source: Box, target: Box, columns: Map<number, Box[]>): Point[] {
  const start: Point = [source.x + source.w, source.y + source.h / 2];
  const end: Point = [target.x, target.y + target.h / 2];
  if (target.layer > source.layer) {
    const points: Point[] = [start];
    const span = target.layer - source.layer;
    for (let layer = source.layer + 1; layer < target.layer; layer++) {
      const f = (layer - source.layer) / span;
      const want = start[1] + (end[1] - start[1]) * f;
      const lane = freeLane(columns.get(layer) ?? [], want);
      const left = layer * COLUMN_GAP - EDGE_CLEARANCE;
      points.push([left, lane], [left + NODE_W + 2 * EDGE_CLEARANCE, lane]);
    }
    points.push(end);
    return points;
  }
  // An edge that does not go downstream (not made by QRP's layout): around the top.
  let top = Math.min(source.y, target.y);
  for (const column of columns.values()) {
    for (const b of column) {
      top = Math.min(top, b.y);
    }
  }
  const lane = top - 3 * EDGE_CLEARANCE;
  return [
    start,
    [source.x + source.w + EDGE_CLEARANCE * 2, lane],
    [target.x - EDGE_CLEARANCE * 2, lane],
    end
  ];
}

/** Boxes grouped by layer. */
export function columnsOf(boxes: Iterable<Box>): Map<number, Box[]> {
  const out = new Map<number, Box[]>();
  for (const b of boxes) {
    const list = out.get(b.layer) ?? [];
    list.push(b);
    out.set(b.layer, list);
  }
  return out;
}

/** True when segment i of a route runs along a lane (straight), false for a gap curve. */
function isLane(points: Point[], i: number): boolean {
  const [a, b] = [points[i], points[i + 1]];
  return a[1] === b[1] && b[0] - a[0] === NODE_W + 2 * EDGE_CLEARANCE;
}

/** SVG path data of a route: horizontal-tangent curves in the gaps, lines along lanes. */
export function routePath(points: Point[]): string {
  const f = (v: number) => String(Math.round(v * 100) / 100);
  let d = `M${f(points[0][0])},${f(points[0][1])}`;
  for (let i = 0; i + 1 < points.length; i++) {
    const [a, b] = [points[i], points[i + 1]];
    if (isLane(points, i)) {
      d += ` L${f(b[0])},${f(b[1])}`;
    } else {
      const mx = (a[0] + b[0]) / 2;
      d += ` C${f(mx)},${f(a[1])} ${f(mx)},${f(b[1])} ${f(b[0])},${f(b[1])}`;
    }
  }
  return d;
}

/** Points along the drawn route (curves sampled), for tests and hit checks. */
export function sampleRoute(points: Point[], perSegment = 24): Point[] {
  const out: Point[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const [a, b] = [points[i], points[i + 1]];
    for (let s = 0; s <= perSegment; s++) {
      const t = s / perSegment;
      if (isLane(points, i)) {
        out.push([a[0] + (b[0] - a[0]) * t, a[1]]);
      } else {
        // Cubic Bezier with control points (mx, a.y) and (mx, b.y).
        const mx = (a[0] + b[0]) / 2;
        const u = 1 - t;
        const x = u * u * u * a[0] + 3 * u * u * t * mx + 3 * u * t * t * mx + t * t * t * b[0];
        const y = u * u * u * a[1] + 3 * u * u * t * a[1] + 3 * u * t * t * b[1] + t * t * t * b[1];
        out.push([x, y]);
      }
    }
  }
  return out;
}
