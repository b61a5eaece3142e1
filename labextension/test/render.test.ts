import { describe, expect, it } from 'vitest';
import { fixture } from './fixture';
import { renderPayload } from '../src/render';
import { MIME, MIME_TYPES, QrpMimeType } from '../src/payloads';
import { drawdown, foldMarkers, gridAxes } from '../src/render/run';
import { textWidth } from '../src/render/labels';

const NAMES: Record<QrpMimeType, string> = {
  [MIME.RUN]: 'run',
  [MIME.LINEAGE]: 'lineage',
  [MIME.AUDIT]: 'audit',
  [MIME.REPORT]: 'report',
  [MIME.EVENT]: 'event',
  [MIME.CANDIDATES]: 'candidates',
  [MIME.VERIFY]: 'verify'
};
const EVIL = '<img src=x onerror=alert(1)>';

/** Replace every string of a payload that is not an id or a fixed word with markup. */
function poison(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    return /^[0-9a-f]{64}$/.test(value) || ['mime', 'kind', 'status', 'verdict', 'severity', 'op', 'level', 'test', 'purpose', 'role', 'by', 'scope', 'subject', 'id', 'source', 'target', 'started_at', 'created_at', 'at'].includes(key)
      ? value
      : EVIL;
  }
  if (Array.isArray(value)) {
    return value.map(v => poison(v, key));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, poison(v, k)]));
  }
  return value;
}

describe('every QRP media type', () => {
  for (const mime of MIME_TYPES) {
    it(`${NAMES[mime]}: draws with the test hooks, strings as text`, () => {
      const { element, dispose } = renderPayload(mime, poison(fixture(NAMES[mime])));
      document.body.append(element);
      expect(element.classList.contains('qrp-render')).toBe(true);
      expect(element.getAttribute('data-qrp-mime')).toBe(mime);
      expect(element.querySelector('.qrp-refusal')).toBeNull();
      expect(element.querySelectorAll('img, script, iframe').length).toBe(0);
      expect(document.querySelectorAll('[onerror]').length).toBe(0);
      if (mime !== MIME.VERIFY || JSON.stringify(fixture('verify')).includes('"text"')) {
        expect(element.textContent).toContain(EVIL);
      }
      element.remove();
      dispose();
    });
  }

  it('refuses another qrp_mime_version with a clear message', () => {
    const data = { ...fixture('run'), qrp_mime_version: 2 };
    const { element } = renderPayload(MIME.RUN, data);
    const msg = element.querySelector('.qrp-refusal')!;
    expect(msg.textContent).toMatch(/qrp_mime_version 2.*reads version 1 only/);
    expect(element.querySelector('svg')).toBeNull();
  });

  it('a malformed payload becomes a one-line message, not an exception', () => {
    const { element } = renderPayload(MIME.AUDIT, { qrp_mime_version: 1, mime: MIME.AUDIT });
    expect(element.querySelector('.qrp-refusal')!.textContent).toMatch(/does not match its documented fields/);
  });
});

describe('the run summary', () => {
  const run = fixture('run');
  const { element } = renderPayload(MIME.RUN, run);

  it('draws equity and drawdown with y ticks, gridlines and one colour per curve', () => {
    const equity = element.querySelector('svg.qrp-equity')!;
    expect(equity.querySelectorAll('.qrp-curve').length).toBe(run.equity.curves.length);
    expect(equity.querySelectorAll('.qrp-tick-y').length).toBeGreaterThanOrEqual(3);
    expect(equity.querySelectorAll('.qrp-grid line').length).toBeGreaterThanOrEqual(5);
    const colours = [...equity.querySelectorAll('.qrp-curve')].map(c => `${c.getAttribute('stroke')}|${c.getAttribute('stroke-dasharray')}`);
    expect(new Set(colours).size).toBe(colours.length);
    expect(element.querySelector('svg.qrp-drawdown .qrp-curve')).not.toBeNull();
    // The demo's best trial grows ~9000-fold: a log scale of growth, ticks as multiples.
    expect([...equity.querySelectorAll('.qrp-tick-y')].map(t => t.textContent)).toContain('1000\u00d7');
    expect([...element.querySelectorAll('svg.qrp-drawdown .qrp-tick-y')].every(t => /%$/.test(t.textContent!))).toBe(true);
  });

  it('uses dates on the x axis when the payload carries timestamps', () => {
    const n = run.equity.index.length;
    const t0 = Date.UTC(2023, 0, 1);
    const timestamps = run.equity.index.map((i: number) => new Date(t0 + i * 3600000).toISOString());
    const { element: el } = renderPayload(MIME.RUN, { ...run, equity: { ...run.equity, timestamps } });
    const ticks = [...el.querySelectorAll('svg.qrp-equity .qrp-tick-x')].map(t => t.textContent);
    expect(n).toBeGreaterThan(10);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    for (const t of ticks) {
      expect(t).toMatch(/^20\d\d-\d\d/);
    }
  });

  it('marks the observed statistic on each null histogram, its label inside the plot', () => {
    const hists = element.querySelectorAll('svg.qrp-null-hist');
    expect(hists.length).toBe(run.nulls.length);
    for (const h of hists) {
      expect(h.querySelector('.qrp-observed')).not.toBeNull();
      const label = h.querySelector('.qrp-observed-label')!;
      const width = Number(h.getAttribute('width'));
      const x = Number(label.getAttribute('x'));
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x + label.textContent!.length * 11 * 0.6).toBeLessThanOrEqual(width);
    }
  });

  it('shows the eligibility preview rules', () => {
    const rows = element.querySelectorAll('.qrp-rules tbody tr');
    expect(rows.length).toBe(run.eligibility.rules.length);
  });

  it('draws the whole grid from the payload\u2019s grid, not only the trials shown', () => {
    const gridField = {
      x: { name: 'lookback', values: [1, 2, 3] },
      y: { name: 'threshold', values: [0.1, 0.2] },
      sharpe_annual: [[0.5, 1.5, null], [-0.25, 2, 1]],
      trial_index: [[0, 1, null], [3, 4, 5]]
    };
    const trials = [{ trial_index: 4, params: { lookback: 2, threshold: 0.2 }, sharpe_annual: 2, metrics: {} }];
    const data = { ...run, trials, equity: { ...run.equity, curves: [] }, n_trials: 5, grid: gridField };
    const { element: el } = renderPayload(MIME.RUN, data);
    expect(el.querySelectorAll('svg.qrp-heatmap rect.qrp-cell').length).toBe(6);
    expect(el.querySelectorAll('svg.qrp-heatmap rect.qrp-cell-empty').length).toBe(1);
    // the empty cell's tooltip says why it is empty: the payload holds every trial
    expect(el.querySelector('svg.qrp-heatmap rect.qrp-cell-empty title')!.textContent).toBe(
      'lookback=3, threshold=0.1: no trial has this pair, or its Sharpe is undefined');
    const labels = [...el.querySelectorAll('svg.qrp-heatmap text.qrp-cell-label')].map(t => t.textContent);
    expect(labels).toEqual(expect.arrayContaining(['0.50', '1.50', '-0.25', '2.00', '1.00']));
    expect(el.textContent).toContain('all 5 trials of the grid');
  });

  it('draws a heatmap for a two-parameter grid', () => {
    const grid = [];
    for (const a of [1, 2, 3]) for (const b of [0.1, 0.2]) grid.push({ lookback: a, threshold: b });
    const trials = grid.map((params, i) => ({ trial_index: i, params, sharpe_annual: i / 2, metrics: {} }));
    const data = { ...run, config: { ...run.config, strategy: { ...run.config.strategy, grid } }, trials, equity: { ...run.equity, curves: [] }, n_trials: 6 };
    const { element: el } = renderPayload(MIME.RUN, data);
    expect(el.querySelectorAll('svg.qrp-heatmap rect.qrp-cell').length).toBe(6);
    expect(el.querySelectorAll('svg.qrp-heatmap rect.qrp-cell-empty').length).toBe(0);
    expect(gridAxes(grid)!.names).toEqual(['lookback', 'threshold']);
    expect(gridAxes([{ a: 1 }, { a: 2 }])).toBeNull();
  });

  it('draws the PBO logit histogram when logits are present', () => {
    const data = { ...run, pbo: { ...run.pbo, logits: [-1, -0.5, 0.2, 1.3, 2, 2.5] } };
    const { element: el } = renderPayload(MIME.RUN, data);
    expect(el.querySelector('svg.qrp-pbo-hist .qrp-threshold')).not.toBeNull();
  });

  it('the fixture carries dates, the logit histogram and the fold boundaries', () => {
    expect(run.equity.timestamps.length).toBe(run.equity.index.length);
    expect(run.pbo.bins.length).toBe(run.pbo.counts.length + 1);
    expect(run.walk_forward.boundaries.length).toBe(run.walk_forward.n_folds);
    const ticks = [...element.querySelectorAll('svg.qrp-equity .qrp-tick-x')].map(t => t.textContent);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.every(t => /^20\d\d/.test(t!))).toBe(true);
    expect(element.querySelector('svg.qrp-pbo-hist .qrp-threshold')).not.toBeNull();
    const bars = element.querySelectorAll('svg.qrp-pbo-hist rect.qrp-bar');
    const nonEmpty = run.pbo.counts.filter((c: number) => c > 0).length;
    expect(nonEmpty).toBeGreaterThan(0);
    expect(bars.length).toBe(nonEmpty);
    // the drawn bars are the payload's counts, not a histogram recomputed in the browser
    expect([...bars].map(b => Number(b.querySelector('title')!.textContent!.split(': ')[1]))).toEqual(run.pbo.counts.filter((c: number) => c > 0));
  });

  it('draws each fold boundary as a dashed line on equity and drawdown, at its time', () => {
    for (const cls of ['qrp-equity', 'qrp-drawdown']) {
      const chart = element.querySelector(`svg.${cls}`)!;
      const lines = [...chart.querySelectorAll('line.qrp-marker')];
      expect(lines.map(l => l.querySelector('title')!.textContent)).toEqual(run.walk_forward.boundaries.map((b: { label: string }) => b.label));
      expect(lines.every(l => l.getAttribute('stroke-dasharray') === '4 3')).toBe(true);
      // labelled once, on the equity chart; the drawdown under it keeps lines and tooltips
      const labels = [...chart.querySelectorAll('.qrp-fold-label')].map(t => t.textContent);
      expect(labels).toEqual(cls === 'qrp-equity' ? lines.map(l => l.querySelector('title')!.textContent) : []);
      // in time order, left to right
      const xs = lines.map(l => Number(l.getAttribute('x1')));
      expect(xs).toEqual([...xs].sort((a, b) => a - b));
    }
    const times = foldMarkers(run, true).map(m => m.x);
    expect(times).toEqual(run.walk_forward.boundaries.map((b: { timestamp: string }) => Date.parse(b.timestamp)));
    expect(foldMarkers(run, false).map(m => m.x)).toEqual(run.walk_forward.boundaries.map((b: { row: number }) => b.row));
  });

  it('fold labels that would collide go down a lane, none overlapping or clipped', () => {
    const n = run.equity.index.length;
    const rows = run.equity.index;
    // eight boundaries crowded into the first tenth of the chart, one near the right edge
    const picks = [1, 2, 3, 4, 5, 6, 7, 8].map(k => rows[Math.floor((k * n) / 90)]).concat([rows[n - 2]]);
    const boundaries = picks.map((row: number, k: number) => ({ label: `fold ${k + 1} test`, row, timestamp: run.equity.timestamps[rows.indexOf(row)] }));
    const data = { ...run, walk_forward: { ...run.walk_forward, boundaries } };
    const { element: el } = renderPayload(MIME.RUN, data);
    const chart = el.querySelector('svg.qrp-equity')!;
    const width = Number(chart.getAttribute('width'));
    const labels = [...chart.querySelectorAll('.qrp-fold-label')].map(t => ({ x: Number(t.getAttribute('x')), y: Number(t.getAttribute('y')), w: textWidth(t.textContent!, 11) }));
    expect(labels.length).toBe(boundaries.length);
    expect(new Set(labels.map(l => l.y)).size).toBeGreaterThan(1);
    for (const a of labels) {
      expect(a.x).toBeGreaterThanOrEqual(0);
      expect(a.x + a.w).toBeLessThanOrEqual(width);
      for (const b of labels) {
        if (a !== b && a.y === b.y) {
          expect(a.x + a.w <= b.x || b.x + b.w <= a.x).toBe(true);
        }
      }
    }
  });

  it('without timestamps the markers sit at their rows; boundaries without a time are left off a time axis', () => {
    const { timestamps, timestamp_definition, ...equity } = run.equity;
    expect(timestamps.length + timestamp_definition.length).toBeGreaterThan(0);
    const { element: el } = renderPayload(MIME.RUN, { ...run, equity });
    expect(el.querySelectorAll('svg.qrp-equity line.qrp-marker').length).toBe(run.walk_forward.boundaries.length);
    expect(el.querySelector('svg.qrp-equity .qrp-tick-x')!.textContent).toMatch(/^row /);
    const untimed = { ...run, walk_forward: { ...run.walk_forward, boundaries: [{ label: 'fold 1 test', row: 5 }] } };
    expect(foldMarkers(untimed, true)).toEqual([]);
    expect(foldMarkers(untimed, false)).toEqual([{ x: 5, label: 'fold 1 test' }]);
    expect(foldMarkers({ ...run, walk_forward: null }, true)).toEqual([]);
  });

  it('a fold label from the store is text, never markup', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const boundaries = [{ ...run.walk_forward.boundaries[0], label: evil }];
    const { element: el } = renderPayload(MIME.RUN, { ...run, walk_forward: { ...run.walk_forward, boundaries } });
    expect(el.querySelector('img')).toBeNull();
    expect([...el.querySelectorAll('.qrp-fold-label')].map(t => t.textContent)).toContain(evil);
  });

  it('computes drawdown from cumulative returns', () => {
    expect(drawdown([0, 0.1, -0.12, 0.21, null])).toEqual([0, 0, -0.2, 0, null].map((v, i) => (i === 2 ? expect.closeTo(-0.2, 12) : v)));
  });
});

describe('the audit view', () => {
  it('lists every check with its status', () => {
    const audit = fixture('audit');
    const { element } = renderPayload(MIME.AUDIT, audit);
    const rows = element.querySelectorAll('.qrp-checks tbody tr');
    expect(rows.length).toBe(audit.checks.length);
    rows.forEach((row, i) => {
      expect(row.getAttribute('data-ok')).toBe(String(audit.checks[i].ok));
      expect(row.textContent).toContain(audit.checks[i].check);
    });
  });
});

describe('the lineage view', () => {
  it('has the hooks: svg.qrp-dag, one .qrp-dag-node per node, reset, detail pane', () => {
    const lineage = fixture('lineage');
    const { element, dispose } = renderPayload(MIME.LINEAGE, lineage);
    expect(element.querySelector('svg.qrp-dag')).not.toBeNull();
    const ids = [...element.querySelectorAll('.qrp-dag-node')].map(n => n.getAttribute('data-node-id'));
    expect(ids).toEqual(lineage.nodes.map((n: { id: string }) => n.id));
    expect(element.querySelector('.qrp-dag-reset')).not.toBeNull();
    expect(element.querySelector('.qrp-dag-detail')).not.toBeNull();
    expect(element.querySelectorAll('.qrp-dag-edge').length).toBe(lineage.edges.length);
    dispose();
  });
});

describe('log scale of growth for equity that spans orders of magnitude', () => {
  it('switches on past 20-fold growth and labels ticks as growth multiples', async () => {
    const { wantsLogScale, logGrowthTicks } = await import('../src/render/charts');
    expect(wantsLogScale([0, 0.5, 1.2])).toBe(false);
    expect(wantsLogScale([0, 10, 8930])).toBe(true);
    const ticks = logGrowthTicks(0, Math.log10(8931));
    expect(ticks.map(t => t.label)).toEqual(['1\u00d7', '10\u00d7', '100\u00d7', '1000\u00d7']);
    expect(logGrowthTicks(0, Math.log10(30)).map(t => t.label)).toEqual(['1\u00d7', '2\u00d7', '5\u00d7', '10\u00d7', '20\u00d7']);
    for (let i = 1; i < ticks.length; i++) {
      expect(ticks[i].v).toBeGreaterThan(ticks[i - 1].v);
    }
  });
});
