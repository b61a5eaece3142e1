import { describe, expect, it } from 'vitest';
import { formatPercent, linearScale, niceDomain, niceStep, niceTicks, timeTicks } from '../src/render/scale';
import { fixture } from './fixture';

describe('linearScale', () => {
  it('maps the domain ends to the range ends and is linear between', () => {
    const s = linearScale([10, 20], [100, 0]);
    expect(s(10)).toBe(100);
    expect(s(20)).toBe(0);
    expect(s(15)).toBe(50);
  });
  it('maps a zero-width domain to the middle of the range', () => {
    expect(linearScale([3, 3], [0, 10])(3)).toBe(5);
  });
});

describe('niceTicks', () => {
  it('gives round steps inside the interval', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-0.013, 0.047, 5)).toEqual([0, 0.02, 0.04]);
    expect(niceTicks(-0.013, 0.047, 10)).toEqual([-0.01, 0, 0.01, 0.02, 0.03, 0.04]);
    expect(niceTicks(3, 3)).toEqual([3]);
    expect(niceTicks(2, 1)).toEqual([]);
  });
  it('keeps every tick a clean multiple of a 1-2-5 step, within bounds', () => {
    for (let i = 0; i < 200; i++) {
      const a = (Math.sin(i * 7.1) * 10) ** 3;
      const b = a + Math.abs(Math.cos(i * 3.3)) * 10 ** ((i % 9) - 4) + 1e-9;
      const ticks = niceTicks(a, b, 5);
      const step = niceStep(b - a, 5);
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      expect(ticks.length).toBeLessThanOrEqual(12);
      const mantissa = step / 10 ** Math.floor(Math.log10(step));
      expect([1, 2, 5, 10].some(m => Math.abs(mantissa - m) < 1e-9)).toBe(true);
      for (const t of ticks) {
        expect(t).toBeGreaterThanOrEqual(a - step * 1e-6);
        expect(t).toBeLessThanOrEqual(b + step * 1e-6);
        expect(Math.abs(t / step - Math.round(t / step))).toBeLessThan(1e-6);
      }
    }
  });
  it('niceDomain covers the data with round ends', () => {
    expect(niceDomain(0.013, 0.087, 5)).toEqual([0, 0.1]);
    expect(niceDomain(-0.013, 0.087, 10)).toEqual([-0.02, 0.09]);
    expect(niceDomain(0, 0)).toEqual([-1, 1]);
  });
});

describe('formatPercent', () => {
  it('uses as many decimals as the step needs', () => {
    expect(formatPercent(0.25, 0.05)).toBe('25%');
    expect(formatPercent(0.012, 0.002)).toBe('1.2%');
    expect(formatPercent(-0.0, 0.1)).toBe('0%');
    expect(formatPercent(5000, 2000)).toBe('500k%');
    expect(formatPercent(8931.2, 50)).toBe('893k%');
    expect(formatPercent(8931.2, 5)).toBe('893.1k%');
    expect(formatPercent(200000, 100000)).toBe('20M%');
  });
});

describe('timeTicks (dates on the x axis)', () => {
  const day = 86400000;
  it('puts ticks on the first of months for a two-year hourly series', () => {
    const t0 = Date.UTC(2022, 0, 1, 0);
    const t1 = Date.UTC(2023, 11, 31, 23);
    const { ticks, unit, format } = timeTicks(t0, t1, 6);
    expect(unit).toBe('month');
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(ticks.length).toBeLessThanOrEqual(12);
    for (const t of ticks) {
      const d = new Date(t);
      expect(d.getUTCDate()).toBe(1);
      expect(d.getUTCHours()).toBe(0);
      expect(t).toBeGreaterThanOrEqual(t0);
      expect(t).toBeLessThanOrEqual(t1);
    }
    expect(format(ticks[0])).toMatch(/^\d{4}-\d{2}$/);
  });
  it('uses hours for a three-day window and days for a month', () => {
    const t0 = Date.UTC(2024, 1, 27, 5, 30);
    const h = timeTicks(t0, t0 + 3 * day, 6);
    expect(h.unit).toBe('hour');
    for (const t of h.ticks) {
      expect(new Date(t).getUTCMinutes()).toBe(0);
    }
    expect(h.format(h.ticks[0])).toMatch(/^2024-02-2\d \d{2}:00$/);
    const d = timeTicks(t0, t0 + 30 * day, 5);
    expect(d.unit).toBe('day');
    expect(d.format(d.ticks[0])).toMatch(/^2024-0[23]-\d{2}$/);
  });
  it('uses years for decades', () => {
    const r = timeTicks(Date.UTC(1990, 3, 1), Date.UTC(2030, 0, 1), 5);
    expect(r.unit).toBe('year');
    expect(r.ticks.map(r.format)).toEqual(['2000', '2010', '2020', '2030']);
  });
  it('gives a calendar decade 2-year ticks (a mean Gregorian year, not 365 days)', () => {
    // the same ticks as qrp_jupyter/views/ticks.py draws in the static view (its doctest)
    const r = timeTicks(Date.UTC(2021, 0, 1), Date.UTC(2031, 0, 1), 5);
    expect(r.ticks.map(r.format)).toEqual(['2022', '2024', '2026', '2028', '2030']);
  });
  it('puts the ticks views/ticks.py puts on the static chart, for every span (fixtures/ticks.json)', () => {
    const cases: { t0: number; t1: number; count: number; ticks: [number, string][] }[] = fixture('ticks');
    expect(cases.length).toBeGreaterThan(400);
    const differ = cases.filter(c => {
      const r = timeTicks(c.t0 * 1000, c.t1 * 1000, c.count);
      const got = r.ticks.map(t => [t / 1000, r.format(t)]);
      return JSON.stringify(got) !== JSON.stringify(c.ticks);
    });
    expect(differ.map(c => [c.t0, c.t1, c.count])).toEqual([]);
  });
  it('gives a five-month span monthly ticks, not two quarterly ones', () => {
    const r = timeTicks(Date.UTC(2021, 0, 15), Date.UTC(2021, 5, 20), 5);
    expect(r.ticks.map(r.format)).toEqual(['2021-02', '2021-03', '2021-04', '2021-05', '2021-06']);
  });
});
