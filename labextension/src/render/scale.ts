// Scales and axis ticks: pure functions, unit-tested (test/scale.test.ts).

export interface Scale {
  (value: number): number;
  domain: [number, number];
  range: [number, number];
}

/** A linear map from `domain` to `range`; a zero-width domain maps to the range's middle. */
export function linearScale(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const width = d1 - d0;
  const f = ((v: number) =>
    width === 0 ? (r0 + r1) / 2 : r0 + ((v - d0) / width) * (r1 - r0)) as Scale;
  f.domain = [d0, d1];
  f.range = [r0, r1];
  return f;
}

/** The "nice" step (1, 2 or 5 times a power of ten) giving about `count` intervals. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !Number.isFinite(span)) {
    return 1;
  }
  const raw = span / Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/** Round a tick value to the precision of `step`, so 0.1 + 0.2 prints as 0.3. */
function clean(value: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(Math.min(20, digits))) + 0; // + 0: no -0 tick
}

/** A domain widened outwards to multiples of the nice step (min == max gets a unit span). */
export function niceDomain(min: number, max: number, count = 5): [number, number] {
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return [min - pad, max + pad];
  }
  const step = niceStep(max - min, count);
  return [clean(Math.floor(min / step) * step, step), clean(Math.ceil(max / step) * step, step)];
}

/** Tick values at multiples of a nice step inside [min, max], ascending. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) {
    return [];
  }
  if (min === max) {
    return [min];
  }
  const step = niceStep(max - min, count);
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  const out: number[] = [];
  for (let i = first; i <= last; i++) {
    out.push(clean(i * step, step));
  }
  return out;
}

/** Percent text of a fraction, with as many decimals as the tick step needs; very large
 * values in thousands (k%) or millions (M%) so that axis labels stay short. */
export function formatPercent(value: number, step = 0.01): string {
  const pct = Math.abs(value * 100);
  if (pct >= 1e4) {
    const [div, unit] = pct >= 1e7 ? [1e6, 'M'] : [1e3, 'k'];
    const stepDigits = Math.max(0, Math.min(3, -Math.floor(Math.log10((step * 100) / div) + 1e-9)));
    return `${((value * 100) / div).toFixed(stepDigits)}${unit}%`;
  }
  const digits = Math.max(0, Math.min(4, -Math.floor(Math.log10(step * 100) + 1e-9)));
  const text = (value * 100).toFixed(digits);
  return `${text === '-0' || /^-0\.0*$/.test(text) ? text.slice(1) : text}%`;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// The mean Gregorian year (365.2425 days) and month: ten calendar years are never "longer
// than" ten of these, so a decade gets 2-year ticks, not 5-year ones (as views/ticks.py).
const YEAR = 31556952 * SECOND;
const MONTH = YEAR / 12;

interface TimeUnit {
  name: 'minute' | 'hour' | 'day' | 'month' | 'year';
  steps: number[];
  approx: number;
}

const UNITS: TimeUnit[] = [
  { name: 'minute', steps: [1, 2, 5, 10, 15, 30], approx: MINUTE },
  { name: 'hour', steps: [1, 3, 6, 12], approx: HOUR },
  { name: 'day', steps: [1, 2, 7, 14], approx: DAY },
  { name: 'month', steps: [1, 2, 3, 6], approx: MONTH },
  { name: 'year', steps: [1, 2, 5, 10, 20, 50], approx: YEAR }
];

export interface TimeTicks {
  /** tick times, epoch milliseconds, ascending, inside [t0, t1] */
  ticks: number[];
  /** the unit the ticks fall on */
  unit: TimeUnit['name'];
  /** the label of a tick (UTC) */
  format: (t: number) => string;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function formatter(unit: TimeUnit['name']): (t: number) => string {
  return (t: number) => {
    const d = new Date(t);
    const ymd = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
    if (unit === 'year') {
      return String(d.getUTCFullYear());
    }
    if (unit === 'month') {
      return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}`;
    }
    if (unit === 'day') {
      return ymd;
    }
    return `${ymd} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  };
}

/** Every (unit, step) of UNITS, shortest first. */
const STEPS: { unit: TimeUnit; step: number }[] = UNITS.flatMap(unit => unit.steps.map(step => ({ unit, step })));
/** Fewer ticks than this (or than the count asked for) inside the range: one step finer. */
const MIN_TICKS = 3;

/** Calendar-aligned ticks (UTC) between t0 and t1 (epoch ms), about `count` of them.
 *
 * The step is the one of UNITS nearest, by ratio, to (t1 - t0) / count (d3-time's rule in
 * `scale.utcTicks`), one step finer when that leaves fewer than MIN_TICKS ticks in the range:
 * the rule of views/ticks.py, in the same float operations on seconds, so that a chart and
 * its static twin put their ticks at the same times (test/fixtures/ticks.json pins both). */
export function timeTicks(t0: number, t1: number, count = 5): TimeTicks {
  if (!(t1 > t0)) {
    return { ticks: [t0], unit: 'day', format: formatter('day') };
  }
  const n = Math.max(1, count);
  const span = (t1 - t0) / SECOND;
  const i = STEPS.findIndex(({ unit, step }) => step * (unit.approx / SECOND) * n >= span);
  if (i < 0) {
    // longer than 50 years a tick: whole years, rounded up
    const year = UNITS[UNITS.length - 1];
    return ticksOf(t0, t1, year, Math.ceil(span / (n * (year.approx / SECOND))));
  }
  let k = i;
  if (i > 0) {
    const target = span / n;
    const prev = STEPS[i - 1].step * (STEPS[i - 1].unit.approx / SECOND);
    const cur = STEPS[i].step * (STEPS[i].unit.approx / SECOND);
    if (target / prev < cur / target) {
      k = i - 1;
    }
  }
  let out = ticksOf(t0, t1, STEPS[k].unit, STEPS[k].step);
  if (out.ticks.length < Math.min(MIN_TICKS, n) && k > 0) {
    out = ticksOf(t0, t1, STEPS[k - 1].unit, STEPS[k - 1].step);
  }
  return out;
}

function ticksOf(t0: number, t1: number, unit: TimeUnit, step: number): TimeTicks {
  const ticks: number[] = [];
  const start = new Date(t0);
  if (unit.name === 'month' || unit.name === 'year') {
    let y = start.getUTCFullYear();
    let m = unit.name === 'year' ? 0 : start.getUTCMonth();
    if (unit.name === 'year') {
      y = Math.floor(y / step) * step;
    } else {
      m = Math.floor(m / step) * step;
    }
    for (let guard = 0; guard < 10000; guard++) {
      const t = Date.UTC(y, m, 1);
      if (t > t1) {
        break;
      }
      if (t >= t0) {
        ticks.push(t);
      }
      if (unit.name === 'year') {
        y += step;
      } else {
        m += step;
        y += Math.floor(m / 12);
        m %= 12;
      }
    }
  } else {
    const size = step * unit.approx;
    // Days and weeks align on midnight UTC; minutes and hours on their multiples.
    let t = Math.ceil(t0 / size) * size;
    if (unit.name === 'day' && step === 7) {
      // ISO weeks start on Monday: 1970-01-05 was a Monday.
      const monday = 4 * DAY;
      t = Math.ceil((t0 - monday) / size) * size + monday;
    }
    for (; t <= t1 && ticks.length < 10000; t += size) {
      ticks.push(t);
    }
  }
  return { ticks, unit: unit.name, format: formatter(unit.name) };
}

/** Parse an ISO-8601 time to epoch ms; NaN when it is not one. */
export function parseTime(text: string): number {
  return Date.parse(text);
}
