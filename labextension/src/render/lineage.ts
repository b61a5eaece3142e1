// application/vnd.qrp.lineage+json: the lineage DAG (drawn by ../dag, shared with the widget).

import type { LineagePayload } from '../payloads';
import { MIME } from '../payloads';
import { createDagView, DagView } from '../dag';
import { el, hashCell } from './dom';
import { renderRoot } from './common';

export function renderLineage(p: LineagePayload): { element: HTMLElement; view: DagView } {
  const view = createDagView({ nodes: p.nodes, edges: p.edges });
  const element = renderRoot(
    MIME.LINEAGE,
    el('h3', {}, `Lineage of ${p.root.kind} `, hashCell(p.root.id)),
    view.element,
    el('p', { class: 'qrp-note' }, `layout ${p.layout.algorithm}, ${p.layout.n_layers} layers, ${p.layout.direction}`)
  );
  return { element, view };
}
