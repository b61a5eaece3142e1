// The review panel's views on answers of the review API over a real demo store
// (fixtures/review/, written by make_review_fixtures.py), and the API client's URLs.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { endpointUrl } from '../src/review/api';
import {
  candidateView, candidatesTable, cellText, errorView, eventsTable, integrityLine, reportView,
  runsTable, summaryView, verifyView
} from '../src/review/view';

const EVIL = '<img src=x onerror=alert(1)>';

function answer(name: string): any {
  return JSON.parse(readFileSync(resolve(__dirname, 'fixtures', 'review', `${name}.json`), 'utf8'));
}

function texts(node: Element, selector: string): string[] {
  return Array.from(node.querySelectorAll(selector)).map(n => n.textContent ?? '');
}

describe('review views', () => {
  it('the refused candidate shows its blockers; the accepted one none', () => {
    const page = answer('candidates');
    const opened: string[] = [];
    const table = candidatesTable(page, id => opened.push(id));
    const rows = Array.from(table.querySelectorAll('tbody tr.qrp-review-row'));
    expect(rows).toHaveLength(page.items.length);
    const refused = page.items.findIndex((c: any) => c.blockers.length > 0);
    expect(refused).toBeGreaterThanOrEqual(0);
    const id = page.items[refused].candidate_id;
    const blockers = texts(table, `tr.qrp-review-blockers-row[data-candidate="${id}"] li`);
    expect(blockers).toEqual(page.items[refused].blockers);
    expect(blockers.some(b => b.startsWith('overfitting: pbo'))).toBe(true);
    expect(rows[refused].textContent).toContain('refused (candidate)');
    expect(table.querySelectorAll('tr.qrp-review-blockers-row')).toHaveLength(1);
    (rows[refused].querySelector('button') as HTMLButtonElement).click();
    expect(opened).toEqual([page.items[refused].candidate_id]);
  });

  it('the runs listing: one row per run with family, name, trials and best Sharpe; a click opens its lineage', () => {
    const page = answer('runs');
    expect(page.items.length).toBeGreaterThanOrEqual(2);
    const opened: string[] = [];
    const table = runsTable(page, key => opened.push(key));
    const rows = Array.from(table.querySelectorAll('tbody tr'));
    expect(rows.map(r => r.getAttribute('data-run'))).toEqual(page.items.map((r: any) => r.run_key));
    page.items.forEach((run: any, i: number) => {
      const cells = Array.from(rows[i].querySelectorAll('td')).map(c => c.textContent);
      expect(cells[0]).toContain(run.run_key.slice(0, 12));
      expect(cells[0]).toContain(`${run.family} \u00b7 ${run.name}`);
      expect(cells[1]).toBe(String(run.trials));
      expect(cells[2]).toBe(cellText(run.best_sharpe_annual));
    });
    (rows[1].querySelector('button') as HTMLButtonElement).click();
    expect(opened).toEqual([page.items[1].run_key]);
    const evil = runsTable({ ...page, items: [{ ...page.items[0], name: EVIL, family: EVIL }] }, () => undefined);
    expect(evil.querySelector('img')).toBeNull();
    expect(evil.textContent).toContain(EVIL);
  });

  it('a report lists every rule with value, threshold, verdict and artifact', () => {
    const report = answer('report');
    const node = reportView(report);
    const rows = Array.from(node.querySelectorAll('.qrp-review-rules tbody tr'));
    expect(rows).toHaveLength(report.rules.length);
    report.rules.forEach((rule: any, i: number) => {
      const cells = Array.from(rows[i].querySelectorAll('td')).map(td => td.textContent);
      expect(cells[0]).toBe(rule.rule);
      expect(cells[2]).toBe(cellText(rule.value));
      expect(cells[3]).toBe(`${rule.op} ${cellText(rule.threshold)}`);
      expect(cells[4]).toBe(rule.verdict);
      expect(rows[i].querySelector('.qrp-review-hash')?.getAttribute('data-full')).toBe(rule.artifact_id);
    });
    expect(node.querySelector('h3')?.textContent).toMatch(/^REFUSED/);
    expect(texts(node, '.qrp-review-blocked li')).toEqual(report.blockers);
  });

  it('markup in a reason or actor is shown as text, never parsed', () => {
    const events = answer('events');
    expect(events.items[0].payload.reason).toBe(EVIL);
    const node = eventsTable(events.items);
    document.body.append(node);
    expect(node.querySelectorAll('img')).toHaveLength(0);
    expect(document.querySelectorAll('img')).toHaveLength(0);
    const first = Array.from(node.querySelectorAll('tbody tr')[0].querySelectorAll('td')).map(td => td.textContent);
    expect(first[3]).toBe(EVIL);
    expect(first[5]).toBe(EVIL);
    expect(texts(node, 'tbody tr td:last-child').every(t => t === 'ok')).toBe(true);
    node.remove();
  });

  it('the summary, the integrity badges, a candidate and verify draw from their answers', () => {
    const summary = answer('summary');
    const s = summaryView(summary);
    expect(texts(s, '.qrp-review-badge')).toEqual(['verify: ok', 'event chain: ok', 'ledger: ok']);
    expect(s.querySelector('.qrp-review-head .qrp-review-hash')?.getAttribute('title'))
      .toBe(summary.ledger_head.digest);
    const unchecked = integrityLine({ ...summary, verify: { state: 'unchecked' } });
    expect(unchecked.textContent).toContain('verify: unchecked');
    const detail = answer('candidate');
    const reports: string[] = [];
    const c = candidateView(detail, id => reports.push(id), () => undefined);
    expect(texts(c, '.qrp-review-events tbody tr td:nth-child(2)')).toEqual(
      detail.events.map((e: any) => e.kind));
    (c.querySelector('.qrp-review-reports button') as HTMLButtonElement).click();
    expect(reports).toEqual([detail.reports[0].eligibility_report_id]);
    const v = verifyView(answer('verify'));
    expect(v.querySelector('pre')?.textContent).toMatch(/^verify demo\.sqlite: OK/);
  });

  it('an API refusal shows its message and fix as text', () => {
    const node = errorView({ message: 'm', what: `store path ${EVIL} is absolute`, fix: 'pass a relative path' });
    expect(node.textContent).toBe(`store path ${EVIL} is absolute` + 'Fix: pass a relative path');
    expect(node.querySelectorAll('img')).toHaveLength(0);
  });
});

describe('review API URLs', () => {
  it('joins the base URL, the API path and an encoded query, leaving empty values out', () => {
    expect(endpointUrl('/lab-base/', 'candidates', { db: 'sub dir/a&b.sqlite', cursor: null, limit: '50' }))
      .toBe('/lab-base/qrp/review/api/candidates?db=sub+dir%2Fa%26b.sqlite&limit=50');
    expect(endpointUrl('http://h:1', 'stores')).toBe('http://h:1/qrp/review/api/stores');
  });
});
