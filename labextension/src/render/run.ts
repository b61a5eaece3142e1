// application/vnd.qrp.run+json: one run instance: ids, equity and drawdown over time, the
// best trials, the null distributions with the observed statistic, a heatmap for a
// two-parameter grid, PBO, StepM, walk-forward and the eligibility preview.

import type { RunPayload } from '../payloads';
import { MIME } from '../payloads';
import { el, formatNumber, hashCell, kvTable, section, shortHashCell, show, table } from './dom';
import { heatmap, histogram, legend, lineChart, wantsLogScale } from './charts';
import { eligibilityView } from './eligibility';
import { okBadge, renderRoot } from './common';
import { parseTime } from './scale';

/** Raw logits, which a payload may carry instead of the histogram (drawn when present). */
type RunExtras = {
  pbo: { logits?: number[] } | null;
};

/** Drawdown of a cumulative-return curve: (1 + v) / running max of (1 + v) - 1. */
export function drawdown(values: (number | null)[]): (number | null)[] {
  let peak = -Infinity;
  return values.map(v => {
    if (v === null || !Number.isFinite(v)) {
      return null;
    }
    peak = Math.max(peak, 1 + v);
    return peak > 0 ? (1 + v) / peak - 1 : null;
  });
}

/** Equal-width histogram of values: `bins` edges (n + 1) and counts (n). */
export function histogramOf(values: number[], n = 30): { bins: number[]; counts: number[] } {
  const finite = values.filter(v => Number.isFinite(v));
  if (!finite.length) {
    return { bins: [0, 1], counts: [0] };
  }
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const w = (hi - lo) / n;
  const bins = Array.from({ length: n + 1 }, (_, i) => lo + i * w);
  const counts = new Array<number>(n).fill(0);
  for (const v of finite) {
    counts[Math.min(n - 1, Math.floor((v - lo) / w))] += 1;
  }
  return { bins, counts };
}

function paramsText(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(', ');
}

/** The two parameters that vary over a grid of parameter objects, or null. */
export function gridAxes(grid: unknown): { names: [string, string]; xs: unknown[]; ys: unknown[] } | null {
  if (!Array.isArray(grid) || grid.length < 2) {
    return null;
  }
  const values = new Map<string, unknown[]>();
  for (const point of grid) {
    if (point === null || typeof point !== 'object') {
      return null;
    }
    for (const [k, v] of Object.entries(point as Record<string, unknown>)) {
      const list = values.get(k) ?? [];
      if (!list.some(u => JSON.stringify(u) === JSON.stringify(v))) {
        list.push(v);
      }
      values.set(k, list);
    }
  }
  const varying = [...values.entries()].filter(([, vs]) => vs.length > 1);
  if (varying.length !== 2) {
    return null;
  }
  const sortKey = (a: unknown, b: unknown) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
  const [[xName, xs], [yName, ys]] = varying;
  return { names: [xName, yName], xs: [...xs].sort(sortKey), ys: [...ys].sort(sortKey) };
}

/** Walk-forward fold boundaries as chart markers: at their time on a time axis, at their row
 * otherwise (a boundary without a timestamp is left out of a time axis). */
export function foldMarkers(p: RunPayload, time: boolean): { x: number; label: string }[] {
  const bounds = p.walk_forward?.boundaries ?? [];
  const out: { x: number; label: string }[] = [];
  for (const b of bounds) {
    const x = time ? (typeof b.timestamp === 'string' ? parseTime(b.timestamp) : NaN) : b.row;
    if (Number.isFinite(x)) {
      out.push({ x, label: b.label });
    }
  }
  return out;
}

function equitySection(p: RunPayload & RunExtras): HTMLElement {
  const stamps = p.equity.timestamps;
  const times = Array.isArray(stamps) && stamps.length === p.equity.index.length ? stamps.map(parseTime) : null;
  const time = times !== null && times.every(t => Number.isFinite(t));
  const x = time ? (times as number[]) : p.equity.index;
  const names = p.equity.curves.map(c => {
    const trial = p.trials.find(t => t.trial_index === c.trial_index);
    return `trial ${c.trial_index}${trial ? ` (${paramsText(trial.params)})` : ''}`;
  });
  const series = p.equity.curves.map((c, i) => ({ name: names[i], values: c.values }));
  const dd = p.equity.curves.map((c, i) => ({ name: names[i], values: drawdown(c.values) }));
  const markers = foldMarkers(p, time);
  return section(
    'Equity',
    lineChart({ title: 'cumulative return', x, time, series, percent: true, logGrowth: wantsLogScale(series.flatMap(s => s.values)), markers, className: 'qrp-equity' }),
    lineChart({ title: 'drawdown', x, time, series: dd, percent: true, height: 160, area: dd.length === 1, markers, markerLabels: false, className: 'qrp-drawdown' }),
    legend(names),
    el(
      'p',
      { class: 'qrp-note' },
      `${p.equity.definition}; ${p.equity.index.length} of ${p.equity.n_obs} rows drawn` +
        (time ? '.' : '; the payload has no timestamps, so x is the row number.') +
        (markers.length ? ' Dashed lines: where each walk-forward test fold starts.' : '')
    )
  );
}

function nullsSection(p: RunPayload): HTMLElement | null {
  if (!p.nulls.length) {
    return null;
  }
  const names: Record<string, string> = { reality_check: "White's Reality Check", spa: "Hansen's SPA" };
  return section(
    'Null distributions',
    ...p.nulls.map(n =>
      el(
        'div',
        { class: 'qrp-null-test', 'data-test': n.test },
        histogram({
          title: `${names[n.test] ?? n.test}: p = ${formatNumber(n.pvalue)} (${n.reps} bootstrap replicates, ${n.studentized ? 'studentized' : 'not studentized'}, mean block ${show(n.block_size)})`,
          bins: n.bins,
          counts: n.counts,
          observed: n.statistic,
          observedLabel: n.statistic === null ? undefined : `observed ${formatNumber(n.statistic)}`,
          xLabel: 'test statistic',
          className: 'qrp-null-hist'
        }),
        el('div', { class: 'qrp-line' }, 'result ', shortHashCell(n.artifact_id), ' null ', shortHashCell(n.null_artifact_id))
      )
    )
  );
}

function heatmapSection(p: RunPayload): HTMLElement | null {
  const title = (x: string, y: string) => `annualized Sharpe by ${x} and ${y}`;
  if (p.grid) {
    // every trial of the grid, laid out by the core (axes in a locale-free order)
    const g = p.grid;
    return section(
      'Parameter grid',
      heatmap({ title: title(g.x.name, g.y.name), xName: g.x.name, yName: g.y.name, xs: g.x.values.map(show), ys: g.y.values.map(show), cells: g.sharpe_annual, format: v => v.toFixed(2), emptyText: 'no trial has this pair, or its Sharpe is undefined' }),
      el('p', { class: 'qrp-note' }, `all ${p.n_trials} trials of the grid; \u00b7 marks a pair no trial has or a Sharpe that is undefined.`)
    );
  }
  const grid = (p.config as { strategy?: { grid?: unknown } }).strategy?.grid;
  const axes = gridAxes(grid);
  if (axes === null) {
    return null;
  }
  const [xName, yName] = axes.names;
  const key = (v: unknown) => JSON.stringify(v);
  const cells = axes.ys.map(yv =>
    axes.xs.map(xv => {
      const t = p.trials.find(tr => key(tr.params[xName]) === key(xv) && key(tr.params[yName]) === key(yv));
      return t?.sharpe_annual ?? null;
    })
  );
  return section(
    'Parameter grid',
    heatmap({ title: title(xName, yName), xName, yName, xs: axes.xs.map(show), ys: axes.ys.map(show), cells, format: v => v.toFixed(2), emptyText: 'not among the trials in this output' }),
    el('p', { class: 'qrp-note' }, `${p.trials.length} of ${p.n_trials} trials are in this output (the best by Sharpe); the other cells show \u00b7.`)
  );
}

function pboSection(p: RunPayload & RunExtras): HTMLElement | null {
  const pbo = p.pbo;
  if (pbo === null) {
    return null;
  }
  let hist: { bins: number[]; counts: number[] } | null = null;
  if (Array.isArray(pbo.bins) && Array.isArray(pbo.counts) && pbo.bins.length === pbo.counts.length + 1) {
    hist = { bins: pbo.bins, counts: pbo.counts };
  } else if (Array.isArray(pbo.logits)) {
    hist = histogramOf(pbo.logits);
  }
  return section(
    'Probability of backtest overfitting (CSCV)',
    el('p', { class: 'qrp-line' }, `PBO = ${formatNumber(pbo.pbo)} over ${pbo.n_splits} splits of ${pbo.n_blocks} blocks `, shortHashCell(pbo.artifact_id)),
    hist === null
      ? el('p', { class: 'qrp-note' }, 'This output carries no logits, so the logit histogram cannot be drawn; the pbo artifact above holds them.')
      : histogram({ title: 'logit of the in-sample best trial\u2019s out-of-sample rank', bins: hist.bins, counts: hist.counts, threshold: { value: 0, label: 'logit 0: PBO counts splits at or left of here' }, xLabel: 'logit', className: 'qrp-pbo-hist' })
  );
}

export function renderRun(p: RunPayload): HTMLElement {
  const ext = p as RunPayload & RunExtras;
  const run = p.run;
  const head = el(
    'div',
    { class: 'qrp-header' },
    el('h3', {}, `Run ${run.name ?? '(unnamed)'} \u00b7 ${run.family}`),
    table(
      ['id', 'value'],
      [
        ['run_key', hashCell(p.run_key)],
        ['run_instance_id', hashCell(p.run_instance_id)],
        ['dataset_id_v2', hashCell(p.dataset_id_v2)]
      ],
      'qrp-ids'
    ),
    el('p', { class: 'qrp-line' }, `instance ${run.seq} (${run.purpose}) started ${run.started_at} by ${run.actor} \u00b7 engine ${run.engine_version} \u00b7 ${p.n_trials} trials`)
  );
  const trials = section(
    'Best trials',
    table(
      ['trial', 'params', 'Sharpe (annual)', ...['n_trades', 'max_drawdown', 'total_return'].filter(k => p.trials.some(t => k in t.metrics))],
      p.trials.map(t => [
        String(t.trial_index),
        paramsText(t.params),
        show(t.sharpe_annual),
        ...['n_trades', 'max_drawdown', 'total_return'].filter(k => p.trials.some(tr => k in tr.metrics)).map(k => show(t.metrics[k]))
      ]),
      'qrp-trials'
    )
  );
  const tests = section(
    'Multiple testing and out of sample',
    table(
      ['test', 'result', 'artifact'],
      [
        ...p.nulls.map(n => [n.test, `p = ${formatNumber(n.pvalue)}`, shortHashCell(n.artifact_id)]),
        ...(p.stepm ? [['stepm', `superior trials: ${p.stepm.superior.join(', ') || 'none'} at FWER ${formatNumber(p.stepm.size)}`, shortHashCell(p.stepm.artifact_id)]] : []),
        ...(p.walk_forward
          ? [
              ['walk_forward', `OOS Sharpe ${show(p.walk_forward.oos_sharpe_annual)} over ${p.walk_forward.n_folds} folds`, shortHashCell(p.walk_forward.artifact_id)],
              ['fold_causality', okBadge(p.walk_forward.fold_causality_valid, 'valid', 'INVALID'), shortHashCell(p.walk_forward.attestation_id)]
            ]
          : [])
      ] as (Node | string)[][],
      'qrp-tests'
    )
  );
  const artifacts = el('details', { class: 'qrp-artifacts' }, el('summary', {}, `artifacts (${Object.keys(p.artifacts).length})`), kvTable(p.artifacts));
  const config = el('details', {}, el('summary', {}, 'config'), el('pre', { class: 'qrp-json' }, JSON.stringify(p.config, null, 1)));
  return renderRoot(
    MIME.RUN,
    head,
    equitySection(ext),
    trials,
    tests,
    nullsSection(p),
    heatmapSection(p),
    pboSection(ext),
    eligibilityView(p.eligibility),
    artifacts,
    config
  );
}
