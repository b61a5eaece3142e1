// The review panel's own logic over an API whose answers the test releases in any order:
// a late answer (another store, another run, a store list asked for earlier) never
// overwrites what the reviewer opened since. The views are drawn from answers of a real
// demo store (fixtures/review/, fixtures/lineage.json); the browser tests run the same
// panel against the real server.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ReviewPanel } from '../src/review/panel';
import type { ReviewApi } from '../src/review/api';
import { fixture } from './fixture';

function answer(name: string): any {
  return JSON.parse(readFileSync(resolve(__dirname, 'fixtures', 'review', `${name}.json`), 'utf8'));
}

interface Call {
  endpoint: string;
  params: Record<string, string | null | undefined>;
  resolve: (value: unknown) => void;
}

/** An API whose every GET waits until the test answers it. */
class HeldApi {
  readonly calls: Call[] = [];
  get<T>(endpoint: string, params: Call['params'] = {}): Promise<T> {
    return new Promise(resolve => this.calls.push({ endpoint, params, resolve: resolve as Call['resolve'] }));
  }
  /** Answer every held call matching ``test`` with ``body(call)``; how many were answered. */
  release(test: (c: Call) => boolean, body: (c: Call) => unknown): number {
    const hit = this.calls.filter(test);
    for (const c of hit) {
      this.calls.splice(this.calls.indexOf(c), 1);
      c.resolve(body(c));
    }
    return hit.length;
  }
}

const RUNS = answer('runs');

/** The listings of store ``db``: the demo's answers, the summary naming ``db`` and its runs
 * listing cut to ``runs`` rows, so two stores' views differ. */
function storeAnswers(db: string, runs: number) {
  return (c: Call): unknown => {
    switch (c.endpoint) {
      case 'summary': return { ...answer('summary'), db };
      case 'candidates': return answer('candidates');
      case 'runs': return { ...RUNS, items: RUNS.items.slice(0, runs), total: runs, next: null };
      case 'events': return answer('events');
      default: throw new Error(`no answer for ${c.endpoint}`);
    }
  };
}

const listing = (db: string) => (c: Call) =>
  c.params.db === db && ['summary', 'candidates', 'runs', 'events'].includes(c.endpoint);

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise(r => setTimeout(r, 0));
  }
}

function shown(panel: ReviewPanel) {
  return {
    store: panel.node.querySelector('.qrp-review-summary h3')?.textContent,
    runs: panel.node.querySelectorAll('table.qrp-review-runs tbody tr').length,
    busy: panel.node.querySelectorAll('[aria-busy]').length,
    choice: (panel.node.querySelector('select.qrp-review-store') as HTMLSelectElement).value
  };
}

describe('the review panel under answers that arrive late', () => {
  it('a store opened after another shows its own listings when the first one answers last', async () => {
    expect(RUNS.items.length).toBeGreaterThanOrEqual(2);
    const api = new HeldApi();
    const panel = new ReviewPanel(api as unknown as ReviewApi);
    void panel.refreshStores(null);
    await settle();
    api.release(c => c.endpoint === 'stores',
      () => ({ stores: [{ path: 'a.sqlite' }, { path: 'b.sqlite' }], truncated: false }));
    await settle();
    // the reviewer picks a.sqlite, then b.sqlite before a's listings have come
    const select = panel.node.querySelector('select.qrp-review-store') as HTMLSelectElement;
    for (const db of ['a.sqlite', 'b.sqlite']) {
      select.value = db;
      select.dispatchEvent(new Event('change'));
    }
    expect(api.release(listing('b.sqlite'), storeAnswers('b.sqlite', 1))).toBe(4);
    await settle();
    expect(api.release(listing('a.sqlite'), storeAnswers('a.sqlite', 2))).toBe(4);
    await settle();
    expect(shown(panel)).toEqual({ store: 'Store b.sqlite', runs: 1, busy: 0, choice: 'b.sqlite' });
    panel.dispose();
  });

  it('a store opened from the file browser while the panel lists the stores stays open', async () => {
    const api = new HeldApi();
    const panel = new ReviewPanel(api as unknown as ReviewApi);
    const stores = { stores: [{ path: 'a.sqlite' }, { path: 'b.sqlite' }], truncated: false };
    void panel.refreshStores(null); // the palette: no store chosen yet
    await settle();
    const first = api.calls.find(c => c.endpoint === 'stores');
    void panel.refreshStores('b.sqlite'); // the context menu on b.sqlite, before that answer
    await settle();
    const second = api.calls.filter(c => c.endpoint === 'stores').find(c => c !== first);
    expect(first && second).toBeTruthy();
    api.release(c => c === second, () => stores);
    await settle();
    api.release(listing('b.sqlite'), storeAnswers('b.sqlite', 2));
    await settle();
    api.release(c => c === first, () => stores);
    await settle();
    expect(shown(panel)).toEqual({ store: 'Store b.sqlite', runs: 2, busy: 0, choice: 'b.sqlite' });
    expect(api.calls.filter(c => c.endpoint !== 'verify')).toEqual([]); // nothing re-asked
    panel.dispose();
  });

  it("a run's lineage arriving after another run was opened does not replace that run's DAG", async () => {
    const api = new HeldApi();
    const panel = new ReviewPanel(api as unknown as ReviewApi);
    const lineage = fixture('lineage');
    void panel.openRun('1111aaaa'.repeat(8));
    void panel.openRun('2222bbbb'.repeat(8));
    const late = (key: string) => (c: Call) => c.endpoint === `lineage/${key.repeat(8)}`;
    expect(api.release(late('2222bbbb'), () => ({ lineage }))).toBe(1);
    await settle();
    const dag = panel.node.querySelector('.qrp-review-dag svg.qrp-dag');
    expect(dag).not.toBeNull();
    expect(api.release(late('1111aaaa'), () => ({ lineage }))).toBe(1);
    await settle();
    expect(Array.from(panel.node.querySelectorAll('h3')).map(h => h.textContent))
      .toContain('Lineage of run 2222bbbb2222');
    // the same DAG element, still drawn (the late answer neither replaced nor disposed it)
    expect(panel.node.querySelectorAll('.qrp-review-dag svg.qrp-dag')).toHaveLength(1);
    expect(panel.node.querySelector('.qrp-review-dag svg.qrp-dag')).toBe(dag);
    expect(dag!.querySelectorAll('.qrp-dag-node').length).toBe(lineage.nodes.length);
    // and the renderer the panel will dispose next is the one drawn, not the late one
    const current = (panel as unknown as { lineage: { element: HTMLElement } | null }).lineage;
    expect(current?.element.contains(dag)).toBe(true);
    panel.dispose();
  });
});
