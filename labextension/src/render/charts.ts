// Small SVG charts (line chart with time or row axis, histogram with a marked statistic,
// heatmap) drawn with the DOM from the scales in ./scale and labels placed by ./labels.
// Hand-drawn rather than through a charting library: the pictures are few and fixed, the
// renderers must draw in untrusted notebooks with no network, and the same code serves the
// kernel widget; see README "JupyterLab extension".

import { el, svg, formatNumber } from './dom';
import { placeLabels, textWidth } from './labels';
import { curveColor, dashOf, sequential } from './palette';
import { formatPercent, linearScale, niceDomain, niceStep, niceTicks, timeTicks } from './scale';

export const FONT = 11;

export interface Margin {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export interface Series {
  name: string;
  values: (number | null)[];
}

export interface LineChartOptions {
  title: string;
  /** x of each point: epoch ms when `time`, else row numbers */
  x: number[];
  time: boolean;
  series: Series[];
  /** y values are fractions shown as percent */
  percent?: boolean;
  width?: number;
  height?: number;
  /** vertical markers at these x (e.g. fold boundaries) */
  markers?: { x: number; label: string }[];
  /** draw the markers' labels (false: lines and tooltips only, for a chart stacked under one
   * that labels the same markers) */
  markerLabels?: boolean;
  /** fill the area between the curve and zero (drawdown) */
  area?: boolean;
  /** y is a cumulative return drawn on a log scale of growth (1 + y) */
  logGrowth?: boolean;
  className?: string;
}

function frame(width: number, height: number, title: string, cls: string): SVGSVGElement {
  const root = svg('svg', {
    class: `qrp-chart ${cls}`.trim(),
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': title,
    'font-size': FONT
  });
  root.append(svg('title', {}, title));
  return root;
}

/** Finite min and max of all values (nulls skipped); [0, 0] when there are none. */
export function extent(values: Iterable<number | null>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v !== null && Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 0];
}

/** SVG path data of a polyline; a null value breaks the line. */
export function linePath(xs: number[], ys: (number | null)[], sx: (v: number) => number, sy: (v: number) => number): string {
  let d = '';
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    if (y === null || y === undefined || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${sx(xs[i]).toFixed(1)},${sy(y).toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** A line chart with x and y axes, tick labels and gridlines, a legend when several curves. */
export function lineChart(o: LineChartOptions): SVGSVGElement {
  const width = o.width ?? 680;
  const height = o.height ?? 240;
  const m: Margin = { top: 22, right: 16, bottom: 30, left: 58 };
  const root = frame(width, height, o.title, o.className ?? '');
  root.append(svg('text', { x: m.left, y: 14, class: 'qrp-chart-title' }, o.title));
  const [x0, x1] = o.x.length ? [o.x[0], o.x[o.x.length - 1]] : [0, 1];
  const sx = linearScale([x0, x1], [m.left, width - m.right]);
  const series = o.logGrowth ? o.series.map(s => ({ ...s, values: s.values.map(toLogGrowth) })) : o.series;
  let [lo, hi] = extent(series.flatMap(s => s.values));
  if (o.area) {
    hi = Math.max(hi, 0);
  }
  [lo, hi] = niceDomain(lo, hi, 5);
  const sy = linearScale([lo, hi], [height - m.bottom, m.top]);
  const grid = svg('g', { class: 'qrp-grid' });
  const axes = svg('g', { class: 'qrp-axis' });
  const yStep = niceStep(hi - lo, 5);
  const yTicks = o.logGrowth ? logGrowthTicks(lo, hi) : niceTicks(lo, hi, 5).map(v => ({ v, label: o.percent ? formatPercent(v, yStep) : formatNumber(v) }));
  for (const { v, label } of yTicks) {
    const y = sy(v);
    grid.append(svg('line', { x1: m.left, x2: width - m.right, y1: y, y2: y }));
    axes.append(svg('text', { x: m.left - 6, y: y + 4, 'text-anchor': 'end', class: 'qrp-tick-y' }, label));
  }
  if (o.logGrowth) {
    axes.append(svg('text', { x: width - m.right, y: 14, 'text-anchor': 'end', class: 'qrp-axis-label' }, 'growth of 1, log scale'));
  }
  if (lo < 0 && hi > 0) {
    grid.append(svg('line', { x1: m.left, x2: width - m.right, y1: sy(0), y2: sy(0), class: 'qrp-zero' }));
  }
  const xt = o.time
    ? timeTicks(x0, x1, Math.max(2, Math.floor((width - m.left - m.right) / 110)))
    : { ticks: niceTicks(x0, x1, 6), format: (v: number) => `row ${formatNumber(v)}` };
  const tickLabels = xt.ticks.map(v => xt.format(v));
  // Drop tick labels that would collide: keep every n-th so that labels never overlap.
  const widest = Math.max(0, ...tickLabels.map(s => textWidth(s, FONT)));
  const room = xt.ticks.length > 1 ? sx(xt.ticks[1]) - sx(xt.ticks[0]) : Infinity;
  const every = Math.max(1, Math.ceil((widest + 8) / Math.max(1, room)));
  xt.ticks.forEach((v, i) => {
    const x = sx(v);
    grid.append(svg('line', { x1: x, x2: x, y1: m.top, y2: height - m.bottom }));
    if (i % every === 0) {
      const half = textWidth(tickLabels[i], FONT) / 2;
      const cx = Math.max(m.left + half, Math.min(width - m.right - half, x));
      axes.append(svg('text', { x: cx, y: height - m.bottom + 16, 'text-anchor': 'middle', class: 'qrp-tick-x' }, tickLabels[i]));
    }
  });
  axes.append(
    svg('line', { x1: m.left, x2: width - m.right, y1: height - m.bottom, y2: height - m.bottom }),
    svg('line', { x1: m.left, x2: m.left, y1: m.top, y2: height - m.bottom })
  );
  root.append(grid, axes);
  // Markers (fold boundaries): dashed vertical lines, labels placed by placeLabels so that
  // none is drawn over another (a label that would overlap moves one lane down).
  const marks = (o.markers ?? []).filter(mk => Number.isFinite(mk.x) && mk.x >= x0 && mk.x <= x1);
  const placed = placeLabels(
    marks.map(mk => ({ anchor: sx(mk.x), width: textWidth(mk.label, FONT) })),
    m.left,
    width - m.right
  );
  const markG = svg('g', { class: 'qrp-markers' });
  marks.forEach((mk, i) => {
    const x = sx(mk.x);
    markG.append(svg('line', { x1: x, x2: x, y1: m.top, y2: height - m.bottom, class: 'qrp-marker', 'stroke-dasharray': '4 3' }, svg('title', {}, mk.label)));
    if (o.markerLabels ?? true) {
      markG.append(svg('text', { x: placed[i].x, y: m.top + 10 + placed[i].lane * (FONT + 2), class: 'qrp-marker-label qrp-fold-label' }, mk.label));
    }
  });
  root.append(markG);
  const curves = svg('g', { class: 'qrp-curves' });
  series.forEach((s, i) => {
    const d = linePath(o.x, s.values, sx, sy);
    if (o.area && d) {
      const first = o.x[0];
      const last = o.x[o.x.length - 1];
      curves.append(svg('path', { d: `${d}L${sx(last).toFixed(1)},${sy(0).toFixed(1)}L${sx(first).toFixed(1)},${sy(0).toFixed(1)}Z`, class: 'qrp-area', fill: curveColor(i) }));
    }
    curves.append(
      svg('path', { d, class: 'qrp-curve', stroke: curveColor(i), 'stroke-dasharray': dashOf(i), 'data-series': s.name }, svg('title', {}, s.name))
    );
  });
  root.append(curves);
  return root;
}

/** log10 of growth 1 + v (null when the account is wiped out or v is missing). */
export function toLogGrowth(v: number | null): number | null {
  return v === null || !Number.isFinite(v) || 1 + v <= 0 ? null : Math.log10(1 + v);
}

/** Whether cumulative returns span enough orders of magnitude to need a log scale. */
export function wantsLogScale(values: (number | null)[]): boolean {
  const [lo, hi] = extent(values.map(toLogGrowth));
  return hi - lo > 1.3; // growth varies more than 20-fold
}

/** Ticks of a log-growth axis (values are log10(1 + r)), labelled as growth multiples
 * (1x = no gain): at 1, 2 and 5 times powers of ten when few decades are shown, at powers of
 * ten otherwise. */
export function logGrowthTicks(lo: number, hi: number): { v: number; label: string }[] {
  const out: { v: number; label: string }[] = [];
  const mults = hi - lo > 3 ? [1] : [1, 2, 5];
  for (let p = Math.floor(lo) - 1; p <= Math.ceil(hi); p++) {
    for (const m of mults) {
      const v = p + Math.log10(m);
      if (v >= lo - 1e-9 && v <= hi + 1e-9) {
        const growth = m * Math.pow(10, p);
        out.push({ v, label: `${formatNumber(Number(growth.toPrecision(3)))}\u00d7` });
      }
    }
  }
  return out;
}

/** A legend for curves: a swatch in each curve's colour and dash, then its name. */
export function legend(names: string[]): HTMLElement {
  return el(
    'div',
    { class: 'qrp-legend' },
    ...names.map((name, i) => {
      const sw = svg('svg', { width: 22, height: 8, class: 'qrp-legend-swatch' });
      sw.append(svg('line', { x1: 0, x2: 22, y1: 4, y2: 4, stroke: curveColor(i), 'stroke-width': 2.5, 'stroke-dasharray': dashOf(i) }));
      return el('span', { class: 'qrp-legend-item' }, sw, name);
    })
  );
}

export interface HistogramOptions {
  title: string;
  bins: number[];
  counts: number[];
  /** the observed statistic, marked with a line and a label */
  observed?: number | null;
  observedLabel?: string;
  /** a threshold line (e.g. logit 0) */
  threshold?: { value: number; label: string } | null;
  xLabel?: string;
  width?: number;
  height?: number;
  className?: string;
}

/** A histogram (bars from bin edges) with the observed statistic marked; labels never
 * collide with each other nor leave the plot. */
export function histogram(o: HistogramOptions): SVGSVGElement {
  const width = o.width ?? 680;
  const height = o.height ?? 200;
  const m: Margin = { top: 22, right: 16, bottom: 34, left: 46 };
  const root = frame(width, height, o.title, o.className ?? '');
  root.append(svg('text', { x: m.left, y: 14, class: 'qrp-chart-title' }, o.title));
  const lo0 = o.bins.length ? o.bins[0] : 0;
  const hi0 = o.bins.length ? o.bins[o.bins.length - 1] : 1;
  const values = [lo0, hi0];
  if (o.observed !== null && o.observed !== undefined && Number.isFinite(o.observed)) {
    values.push(o.observed);
  }
  if (o.threshold) {
    values.push(o.threshold.value);
  }
  const [lo, hi] = extent(values);
  const sx = linearScale(lo === hi ? [lo - 1, hi + 1] : [lo, hi], [m.left, width - m.right]);
  const top = Math.max(1, ...o.counts);
  const [, yHi] = niceDomain(0, top, 4);
  const sy = linearScale([0, yHi], [height - m.bottom, m.top + 16]);
  const grid = svg('g', { class: 'qrp-grid' });
  const axes = svg('g', { class: 'qrp-axis' });
  for (const v of niceTicks(0, yHi, 4)) {
    grid.append(svg('line', { x1: m.left, x2: width - m.right, y1: sy(v), y2: sy(v) }));
    axes.append(svg('text', { x: m.left - 6, y: sy(v) + 4, 'text-anchor': 'end', class: 'qrp-tick-y' }, formatNumber(v)));
  }
  const xTicks = niceTicks(sx.domain[0], sx.domain[1], 6);
  for (const v of xTicks) {
    const half = textWidth(formatNumber(v), FONT) / 2;
    const cx = Math.max(m.left + half, Math.min(width - m.right - half, sx(v)));
    axes.append(svg('text', { x: cx, y: height - m.bottom + 15, 'text-anchor': 'middle', class: 'qrp-tick-x' }, formatNumber(v)));
  }
  if (o.xLabel) {
    axes.append(svg('text', { x: (m.left + width - m.right) / 2, y: height - 4, 'text-anchor': 'middle', class: 'qrp-axis-label' }, o.xLabel));
  }
  axes.append(svg('line', { x1: m.left, x2: width - m.right, y1: height - m.bottom, y2: height - m.bottom }));
  const bars = svg('g', { class: 'qrp-bars' });
  o.counts.forEach((c, i) => {
    const a = sx(o.bins[i]);
    const b = sx(o.bins[i + 1]);
    if (c > 0) {
      bars.append(
        svg('rect', { x: a, y: sy(c), width: Math.max(0.5, b - a - 0.5), height: sy(0) - sy(c), class: 'qrp-bar' }, svg('title', {}, `${formatNumber(o.bins[i])} to ${formatNumber(o.bins[i + 1])}: ${c}`))
      );
    }
  });
  root.append(grid, axes, bars);
  const requests: { anchor: number; width: number; text: string; cls: string }[] = [];
  if (o.observed !== null && o.observed !== undefined && Number.isFinite(o.observed)) {
    const x = sx(o.observed);
    root.append(svg('line', { x1: x, x2: x, y1: m.top + 4, y2: height - m.bottom, class: 'qrp-observed' }));
    const text = o.observedLabel ?? `observed ${formatNumber(o.observed)}`;
    requests.push({ anchor: x, width: textWidth(text, FONT), text, cls: 'qrp-observed-label' });
  }
  if (o.threshold) {
    const x = sx(o.threshold.value);
    root.append(svg('line', { x1: x, x2: x, y1: m.top + 4, y2: height - m.bottom, class: 'qrp-threshold' }));
    requests.push({ anchor: x, width: textWidth(o.threshold.label, FONT), text: o.threshold.label, cls: 'qrp-threshold-label' });
  }
  // Labels sit above the bars (the plot's top band is kept free of bars), one lane per
  // line of text, and never overlap or leave the plot.
  const placed = placeLabels(requests, m.left, width - m.right);
  requests.forEach((r, i) => {
    const p = placed[i];
    root.append(svg('text', { x: p.x, y: m.top + 10 + p.lane * (FONT + 2), class: `qrp-marker-label ${r.cls}` }, r.text));
  });
  return root;
}

export interface HeatmapOptions {
  title: string;
  xName: string;
  yName: string;
  xs: (number | string)[];
  ys: (number | string)[];
  /** value at [yIndex][xIndex], null for an empty cell */
  cells: (number | null)[][];
  format?: (v: number) => string;
  /** what an empty cell means, for its tooltip (the caller knows why it is empty) */
  emptyText?: string;
}

/** A heatmap of a two-parameter grid, each cell labelled with its value. */
export function heatmap(o: HeatmapOptions): SVGSVGElement {
  const cw = Math.max(36, Math.min(72, Math.floor(560 / Math.max(1, o.xs.length))));
  const ch = 24;
  const m: Margin = { top: 24, right: 16, bottom: 40, left: 70 };
  const width = m.left + cw * o.xs.length + m.right;
  const height = m.top + ch * o.ys.length + m.bottom;
  const root = frame(width, height, o.title, 'qrp-heatmap');
  root.append(svg('text', { x: m.left, y: 14, class: 'qrp-chart-title' }, o.title));
  const [lo, hi] = extent(o.cells.flat());
  const fmt = o.format ?? formatNumber;
  o.ys.forEach((yv, j) => {
    const y = m.top + (o.ys.length - 1 - j) * ch;
    root.append(svg('text', { x: m.left - 6, y: y + ch / 2 + 4, 'text-anchor': 'end', class: 'qrp-tick-y' }, String(yv)));
    o.xs.forEach((_xv, i) => {
      const v = o.cells[j]?.[i] ?? null;
      const x = m.left + i * cw;
      const t = v === null || hi === lo ? 0.5 : (v - lo) / (hi - lo);
      const cell = svg('rect', { x, y, width: cw - 1, height: ch - 1, class: v === null ? 'qrp-cell qrp-cell-empty' : 'qrp-cell', fill: v === null ? '#f4f4f4' : sequential(t) });
      cell.append(svg('title', {}, `${o.xName}=${String(o.xs[i])}, ${o.yName}=${String(yv)}: ${v === null ? (o.emptyText ?? 'no value') : fmt(v)}`));
      root.append(cell);
      root.append(svg('text', { x: x + cw / 2, y: y + ch / 2 + 4, 'text-anchor': 'middle', class: t > 0.55 && v !== null ? 'qrp-cell-label qrp-on-dark' : 'qrp-cell-label' }, v === null ? '\u00b7' : fmt(v)));
    });
  });
  o.xs.forEach((xv, i) => {
    root.append(svg('text', { x: m.left + i * cw + cw / 2, y: m.top + ch * o.ys.length + 14, 'text-anchor': 'middle', class: 'qrp-tick-x' }, String(xv)));
  });
  root.append(
    svg('text', { x: m.left + (cw * o.xs.length) / 2, y: height - 6, 'text-anchor': 'middle', class: 'qrp-axis-label' }, o.xName),
    svg('text', { x: 12, y: m.top + (ch * o.ys.length) / 2, transform: `rotate(-90 12 ${m.top + (ch * o.ys.length) / 2})`, 'text-anchor': 'middle', class: 'qrp-axis-label' }, o.yName)
  );
  return root;
}
