// The kernel widget's front end (src/kernel_widget/lineage.ts): anywidget's render() contract
// over a model with anywidget's get/on/off, in jsdom. The real anywidget, in a real JupyterLab
// with a live kernel, is exercised by tests/browser/test_lineage_widget.py.
import { describe, expect, it } from 'vitest';
import { render } from '../src/kernel_widget/lineage';
import { MIME } from '../src/payloads';
import { fixture } from './fixture';

/** anywidget's model surface: a `payload` value and its change listeners. */
class PayloadModel {
  listeners = new Set<() => void>();
  constructor(public payload: unknown) {}
  get(_name: 'payload'): unknown {
    return this.payload;
  }
  on(_event: 'change:payload', cb: () => void): void {
    this.listeners.add(cb);
  }
  off(_event: 'change:payload', cb: () => void): void {
    this.listeners.delete(cb);
  }
  set(payload: unknown): void {
    this.payload = payload;
    this.listeners.forEach(cb => cb());
  }
}

function nodeIds(el: HTMLElement): string[] {
  return [...el.querySelectorAll('.qrp-dag-node')].map(n => n.getAttribute('data-node-id')!).sort();
}

describe('the kernel widget front end', () => {
  it('draws the payload with the renderer\u2019s DAG, every node once', () => {
    const payload = fixture('lineage');
    const model = new PayloadModel(payload);
    const el = document.createElement('div');
    render({ model, el });
    const root = el.querySelector('.qrp-render')!;
    expect(root.getAttribute('data-qrp-mime')).toBe(MIME.LINEAGE);
    expect(el.querySelector('svg.qrp-dag')).not.toBeNull();
    expect(el.querySelector('.qrp-dag-reset')).not.toBeNull();
    expect(nodeIds(el)).toEqual(payload.nodes.map((n: { id: string }) => n.id).sort());
    expect(el.querySelectorAll('.qrp-dag-edge').length).toBe(payload.edges.length);
  });

  it('redraws when the payload changes and stops listening when removed', () => {
    const payload = fixture('lineage');
    const model = new PayloadModel(payload);
    const el = document.createElement('div');
    const cleanup = render({ model, el });
    const fewer = { ...payload, nodes: payload.nodes.slice(0, 2), edges: [] };
    model.set(fewer);
    expect(nodeIds(el)).toEqual(fewer.nodes.map((n: { id: string }) => n.id).sort());
    expect(el.querySelectorAll('.qrp-render').length).toBe(1);
    cleanup();
    expect(model.listeners.size).toBe(0);
    model.set(payload);
    expect(nodeIds(el).length).toBe(2); // no longer redrawn
  });

  it('refuses a payload of another version with the renderer\u2019s message', () => {
    const model = new PayloadModel({ ...fixture('lineage'), qrp_mime_version: 2 });
    const el = document.createElement('div');
    render({ model, el });
    expect(el.querySelector('.qrp-refusal')!.textContent).toMatch(/qrp_mime_version 2/);
    expect(el.querySelector('svg.qrp-dag')).toBeNull();
    model.set({});
    expect(el.querySelector('.qrp-refusal')!.textContent).toMatch(/qrp_mime_version null/);
  });
});
