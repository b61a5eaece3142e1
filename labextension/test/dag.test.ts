import { describe, expect, it } from 'vitest';
import { fixture } from './fixture';
import {
  Box,
  boundsOf,
  columnsOf,
  createDagView,
  fitTransform,
  labelStyle,
  labelsVisible,
  nodeBoxes,
  routeEdge,
  sampleRoute,
  zoomAt
} from '../src/dag';
import type { LineagePayload } from '../src/payloads';

const lineage: LineagePayload = fixture('lineage');

function inside(p: [number, number], b: Box): boolean {
  return p[0] > b.x && p[0] < b.x + b.w && p[1] > b.y && p[1] < b.y + b.h;
}

describe('fit-to-view', () => {
  it('shows all of the bounds inside the viewport, centred, with the padding', () => {
    const bounds = { x0: 0, y0: -40, x1: 2000, y1: 600 };
    const t = fitTransform(bounds, 800, 400, 24);
    const left = bounds.x0 * t.k + t.tx;
    const right = bounds.x1 * t.k + t.tx;
    const top = bounds.y0 * t.k + t.ty;
    const bottom = bounds.y1 * t.k + t.ty;
    expect(left).toBeGreaterThanOrEqual(24 - 1e-9);
    expect(right).toBeLessThanOrEqual(800 - 24 + 1e-9);
    expect(top).toBeGreaterThanOrEqual(24 - 1e-9);
    expect(bottom).toBeLessThanOrEqual(400 - 24 + 1e-9);
    expect(Math.abs(left + right - 800)).toBeLessThan(1e-9);
    expect(Math.abs(top + bottom - 400)).toBeLessThan(1e-9);
    // The binding dimension touches the padding.
    expect(Math.min(left - 24, top - 24)).toBeCloseTo(0, 9);
  });
  it('does not blow a small graph up', () => {
    expect(fitTransform({ x0: 0, y0: 0, x1: 100, y1: 30 }, 800, 400).k).toBe(1.25);
  });
});

describe('zoom around the pointer', () => {
  it('keeps the world point under the pointer fixed', () => {
    const t = { k: 0.8, tx: 30, ty: -12 };
    const [px, py] = [321, 97];
    const wx = (px - t.tx) / t.k;
    const wy = (py - t.ty) / t.k;
    for (const f of [0.5, 1.1, 3]) {
      const u = zoomAt(t, px, py, f);
      expect(u.k).toBeCloseTo(0.8 * f, 12);
      expect(wx * u.k + u.tx).toBeCloseTo(px, 9);
      expect(wy * u.k + u.ty).toBeCloseTo(py, 9);
    }
  });
  it('labels grow when zoomed out, then hide when they would be too small to read', () => {
    expect(labelStyle(1)).toEqual({ fontSize: 12, chars: 21 });
    const far = labelStyle(0.4)!;
    expect(far.fontSize * 0.4).toBeCloseTo(10, 6);
    expect(far.chars).toBeLessThan(21);
    expect(far.chars).toBeGreaterThanOrEqual(4);
    expect(labelsVisible(0.05)).toBe(false);
  });
});

describe('edge routing', () => {
  it('no edge of the demo lineage passes through a node', () => {
    const boxes = nodeBoxes(lineage.nodes);
    const columns = columnsOf(boxes.values());
    expect(lineage.edges.length).toBeGreaterThan(10);
    let longEdges = 0;
    const crossings: string[] = [];
    for (const e of lineage.edges) {
      const s = boxes.get(e.source)!;
      const t = boxes.get(e.target)!;
      longEdges += t.layer - s.layer > 1 ? 1 : 0;
      const route = routeEdge(s, t, columns);
      for (const p of sampleRoute(route, 40)) {
        for (const b of boxes.values()) {
          if (inside(p, b)) {
            crossings.push(`${e.source} -> ${e.target} crosses ${b.id}`);
          }
        }
      }
    }
    expect(crossings).toEqual([]);
    expect(longEdges).toBeGreaterThan(0);
  });
  it('goes around a node that sits on the straight line of a long edge', () => {
    const nodes = [
      { id: 'a', x: 0, y: 0 },
      { id: 'blocker', x: 1, y: 0 },
      { id: 'also', x: 1, y: 1 },
      { id: 'b', x: 2, y: 0 }
    ];
    const boxes = nodeBoxes(nodes);
    const route = routeEdge(boxes.get('a')!, boxes.get('b')!, columnsOf(boxes.values()));
    const straight: [number, number][] = [[boxes.get('a')!.x + 168, 16], [boxes.get('b')!.x, 16]];
    expect(sampleRoute(straight).some(p => inside(p, boxes.get('blocker')!))).toBe(true);
    for (const p of sampleRoute(route, 60)) {
      for (const b of boxes.values()) {
        expect(inside(p, b)).toBe(false);
      }
    }
  });
  it('no edge crosses a node in a 500-node layered graph with long edges', () => {
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const nodes: { id: string; x: number; y: number }[] = [];
    for (let layer = 0; layer < 25; layer++) {
      const n = 5 + Math.floor(rand() * 30);
      // Unit steps centred on 0, with gaps (slots left empty), as layered_layout may leave.
      let y = -Math.floor(n / 2);
      for (let i = 0; i < n && nodes.length < 500; i++) {
        nodes.push({ id: `n${nodes.length}`, x: layer, y });
        y += rand() < 0.2 ? 2 : 1;
      }
    }
    const boxes = nodeBoxes(nodes);
    const columns = columnsOf(boxes.values());
    const byLayer = [...columns.entries()];
    const crossings: string[] = [];
    for (let e = 0; e < 600; e++) {
      const [la, ca] = byLayer[Math.floor(rand() * (byLayer.length - 1))];
      const span = 1 + Math.floor(rand() * 6);
      const cb = columns.get(Math.min(la + span, byLayer.length - 1))!;
      const s = ca[Math.floor(rand() * ca.length)];
      const t = cb[Math.floor(rand() * cb.length)];
      if (t.layer <= s.layer) {
        continue;
      }
      const layers = new Set<number>();
      for (let l = s.layer; l <= t.layer; l++) layers.add(l);
      for (const p of sampleRoute(routeEdge(s, t, columns), 16)) {
        for (const l of layers) {
          for (const b of columns.get(l)!) {
            if (inside(p, b)) {
              crossings.push(`${s.id} -> ${t.id} crosses ${b.id}`);
            }
          }
        }
      }
    }
    expect(nodes.length).toBe(500);
    expect(crossings).toEqual([]);
  });
  it('bounds include the routes', () => {
    const boxes = nodeBoxes([{ id: 'a', x: 0, y: 0 }]);
    expect(boundsOf(boxes.values(), [[-50, -60]]).y0).toBe(-60);
  });
});

function pointer(type: string, target: Element, x: number, y: number, buttons = 1): void {
  const ev = new MouseEvent(type, { bubbles: true, cancelable: true, clientX: x, clientY: y, button: 0, buttons });
  Object.defineProperty(ev, 'pointerId', { value: 1 });
  target.dispatchEvent(ev);
}

describe('the DAG view', () => {
  const graph = {
    nodes: [
      { id: 'dataset:' + 'a'.repeat(64), kind: 'dataset' as const, label: '<img src=x onerror=alert(1)>', x: 0, y: 0, hashes: { dataset_id_v2: 'a'.repeat(64) }, details: { source: '<script>alert(2)</script>' } },
      { id: 'run:' + 'b'.repeat(64), kind: 'run' as const, label: 'run', x: 1, y: 0, hashes: {}, details: {} }
    ],
    edges: [{ source: 'dataset:' + 'a'.repeat(64), target: 'run:' + 'b'.repeat(64), relation: 'input' }]
  };

  it('each view draws its arrows with its own marker (one page shows many DAGs)', () => {
    const views = [createDagView(graph), createDagView(graph)];
    const ids = views.map(v => v.element.querySelector('marker')!.id);
    expect(new Set(ids).size).toBe(2);
    views.forEach((v, i) => {
      const edges = [...v.element.querySelectorAll('.qrp-dag-edge')];
      expect(edges.length).toBe(graph.edges.length);
      for (const e of edges) {
        expect(e.getAttribute('marker-end')).toBe(`url(#${ids[i]})`);
      }
      v.dispose();
    });
  });

  it('draws labels and details from the data as text, never as markup', () => {
    const view = createDagView(graph);
    document.body.append(view.element);
    const svgRoot = view.element.querySelector('svg.qrp-dag')!;
    expect(view.element.querySelectorAll('img, script').length).toBe(0);
    const label = svgRoot.querySelector('.qrp-dag-node .qrp-dag-label')!;
    expect(label.childNodes.length).toBe(1);
    expect(label.firstChild!.nodeType).toBe(Node.TEXT_NODE);
    expect(label.textContent!.startsWith('<img src=x')).toBe(true);
    view.select(graph.nodes[0].id);
    const detail = view.element.querySelector('.qrp-dag-detail')!;
    expect(detail.querySelector('h4')!.textContent).toBe('<img src=x onerror=alert(1)>');
    expect(detail.textContent).toContain('<script>alert(2)</script>');
    expect(detail.querySelector('.qrp-fullhash')!.textContent).toBe('a'.repeat(64));
    expect(view.element.querySelectorAll('img, script').length).toBe(0);
    view.element.remove();
  });

  it('a click selects a node; a drag that starts on a node pans and does not select', () => {
    const view = createDagView(graph);
    document.body.append(view.element);
    const svgRoot = view.element.querySelector('svg.qrp-dag')!;
    const node = svgRoot.querySelector('.qrp-dag-node')!;
    pointer('pointerdown', node, 100, 100);
    pointer('pointerup', node, 101, 100, 0);
    expect(svgRoot.getAttribute('data-selected')).toBe(graph.nodes[0].id);
    view.select(null);
    const before = view.transform();
    pointer('pointerdown', node, 100, 100);
    pointer('pointermove', node, 140, 120);
    pointer('pointerup', node, 140, 120, 0);
    expect(svgRoot.getAttribute('data-selected')).toBe('');
    expect(view.transform().tx - before.tx).toBe(40);
    expect(view.transform().ty - before.ty).toBe(20);
    view.element.remove();
  });

  it('pointercancel ends a drag: later moves do not pan', () => {
    const view = createDagView(graph);
    document.body.append(view.element);
    const svgRoot = view.element.querySelector('svg.qrp-dag')!;
    pointer('pointerdown', svgRoot, 10, 10);
    pointer('pointermove', svgRoot, 30, 10);
    pointer('pointercancel', svgRoot, 30, 10, 0);
    const t = view.transform();
    pointer('pointermove', svgRoot, 90, 90, 1);
    expect(view.transform()).toEqual(t);
    // A move with no button pressed also ends a drag whose release was missed.
    pointer('pointerdown', svgRoot, 10, 10);
    pointer('pointermove', svgRoot, 20, 10, 0);
    pointer('pointermove', svgRoot, 80, 10, 1);
    expect(view.transform()).toEqual(t);
    view.element.remove();
  });

  it('the reset control fits again after panning; wheel zoom hides labels far out', () => {
    const view = createDagView(graph);
    document.body.append(view.element);
    const svgRoot = view.element.querySelector('svg.qrp-dag')!;
    const fitted = view.transform();
    pointer('pointerdown', svgRoot, 10, 10);
    pointer('pointermove', svgRoot, 200, 10);
    pointer('pointerup', svgRoot, 200, 10, 0);
    expect(view.transform()).not.toEqual(fitted);
    (view.element.querySelector('.qrp-dag-reset') as HTMLButtonElement).click();
    expect(view.transform()).toEqual(fitted);
    for (let i = 0; i < 20; i++) {
      svgRoot.dispatchEvent(new WheelEvent('wheel', { deltaY: 300, clientX: 50, clientY: 50, cancelable: true }));
    }
    expect(svgRoot.getAttribute('data-labels')).toBe('hidden');
    expect(view.element.querySelectorAll('.qrp-dag-legend-item').length).toBe(2);
    view.element.remove();
  });
});
