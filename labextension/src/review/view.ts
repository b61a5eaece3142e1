// The review panel's DOM, built from API answers with textContent only (through el()): a
// reason or actor such as <img src=x onerror=alert(1)> shows as those characters. No
// JupyterLab imports, so the views are unit-tested in jsdom on answers of a real store.

import { el, shortHash } from '../render/dom';
import type {
  ApiError, Candidate, CandidateDetail, GovEvent, Integrity, Page, Report, RunRow, Status,
  Summary, VerifyResult
} from './types';

/** A value as a cell shows it: numbers to 4 significant digits, absent values as "-". */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) {
    return '-';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  }
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value);
}

/** A hash shown short, with the full value as its tooltip and for copying. */
export function hashCell(value: string | null | undefined): HTMLElement {
  if (!value) {
    return el('span', {}, '-');
  }
  return el('code', { class: 'qrp-review-hash', title: value, 'data-full': value }, shortHash(value));
}

function table(head: string[], rows: (Node | string)[][], cls: string): HTMLTableElement {
  return el('table', { class: `qrp-review-table ${cls}` },
    el('thead', {}, el('tr', {}, ...head.map(h => el('th', {}, h)))),
    el('tbody', {}, ...rows.map(cells => el('tr', {}, ...cells.map(c => el('td', {}, c))))));
}

function badge(label: string, status: Status): HTMLElement {
  const extra = status.state === 'problems' && status.problems ? ` (${status.problems})` : '';
  return el('span', { class: `qrp-review-badge qrp-review-${status.state}`, title: status.fix ?? '' },
    `${label}: ${status.state}${extra}`);
}

/** The verify, event-chain and ledger status of a store, as three badges. */
export function integrityLine(i: Integrity): HTMLElement {
  return el('div', { class: 'qrp-review-integrity' },
    badge('verify', i.verify), badge('event chain', i.chain), badge('ledger', i.ledger));
}

export function summaryView(s: Summary): HTMLElement {
  const counts = Object.entries(s.counts).map(([k, v]) => [k.replace(/_/g, ' '), cellText(v)]);
  const statuses = Object.entries(s.candidates_by_status).map(([k, v]) => [k, cellText(v)]);
  return el('section', { class: 'qrp-review-summary' },
    el('h3', {}, `Store ${s.db}`),
    integrityLine(s),
    el('div', { class: 'qrp-review-head' }, 'ledger head: ',
      s.ledger_head ? `block ${s.ledger_head.block_seq} ` : 'none',
      s.ledger_head ? hashCell(s.ledger_head.digest) : null),
    table(['table', 'rows'], counts, 'qrp-review-counts'),
    table(['status', 'candidates'], statuses, 'qrp-review-statuses'));
}

function verdict(c: Candidate): string {
  if (!c.last_report) {
    return 'no report';
  }
  return `${c.last_report.passed ? 'passed' : 'refused'} (${c.last_report.level})`;
}

function list(items: string[], cls: string): HTMLElement {
  return items.length
    ? el('ul', { class: cls }, ...items.map(b => el('li', {}, b)))
    : el('span', {}, '-');
}

/** The candidates of one page: status and the newest report's verdict, each refusal's
 * blockers on a full-width row under its candidate (readable in a narrow side panel). */
export function candidatesTable(page: Page<Candidate>, onOpen: (id: string) => void): HTMLElement {
  const head = ['candidate', 'status', 'last report', 'Sharpe (annual)'];
  const body = el('tbody', {});
  for (const c of page.items) {
    const open = el('button', { class: 'qrp-review-link', title: c.candidate_id }, shortHash(c.candidate_id));
    open.addEventListener('click', () => onOpen(c.candidate_id));
    const where = el('div', { class: 'qrp-review-note' },
      `${cellText(c.family)} \u00b7 ${cellText(c.run_name)} \u00b7 trial ${cellText(c.trial_index)}`);
    const cells = [el('div', {}, open, where), c.status, verdict(c), cellText(c.sharpe_annual)];
    body.append(el('tr', { class: 'qrp-review-row', 'data-candidate': c.candidate_id },
      ...cells.map(x => el('td', {}, x))));
    if (c.blockers.length) {
      body.append(el('tr', { class: 'qrp-review-blockers-row', 'data-candidate': c.candidate_id },
        el('td', { colspan: head.length }, 'blockers:', list(c.blockers, 'qrp-review-blockers'))));
    }
  }
  return el('table', { class: 'qrp-review-table qrp-review-candidates' },
    el('thead', {}, el('tr', {}, ...head.map(h => el('th', {}, h)))), body);
}

/** The runs, oldest first: identity, family and name, trials, best Sharpe, instances and
 * replays; a run's id button opens its lineage DAG. */
export function runsTable(page: Page<RunRow>, onLineage: (runKey: string) => void): HTMLElement {
  const rows = page.items.map(r => {
    const open = el('button', { class: 'qrp-review-link', title: `lineage of run ${r.run_key}` },
      shortHash(r.run_key));
    open.addEventListener('click', () => onLineage(r.run_key));
    return [el('div', {}, open, el('div', { class: 'qrp-review-note' },
      `${cellText(r.family)} \u00b7 ${cellText(r.name)}`)),
      cellText(r.trials), cellText(r.best_sharpe_annual),
      `${cellText(r.instances)}${r.replays ? ` + ${r.replays} replay${r.replays > 1 ? 's' : ''}` : ''}`,
      cellText(r.created_at)];
  });
  const out = table(['run', 'trials', 'best Sharpe (annual)', 'instances', 'created'], rows, 'qrp-review-runs');
  page.items.forEach((r, i) => out.tBodies[0].rows[i].setAttribute('data-run', r.run_key));
  return out;
}

/** One candidate: its reports (each opens), and its events. */
export function candidateView(d: CandidateDetail, onReport: (id: string) => void,
  onLineage: (id: string) => void): HTMLElement {
  const lineage = el('button', { class: 'qrp-review-button' }, 'lineage DAG');
  lineage.addEventListener('click', () => onLineage(d.candidate.candidate_id));
  const reports = d.reports.map(r => {
    const open = el('button', { class: 'qrp-review-link', title: r.eligibility_report_id },
      shortHash(r.eligibility_report_id));
    open.addEventListener('click', () => onReport(r.eligibility_report_id));
    return [open, r.level, r.passed ? 'passed' : 'refused', list(r.blockers, 'qrp-review-blockers'),
      cellText(r.created_at)];
  });
  return el('section', { class: 'qrp-review-candidate' },
    el('h3', {}, 'Candidate ', hashCell(d.candidate.candidate_id), ` is ${d.candidate.status}`),
    lineage,
    table(['report', 'level', 'verdict', 'blockers', 'at'], reports, 'qrp-review-reports'),
    eventsTable(d.events));
}

/** One report: every rule with its value, threshold, verdict and the artifact it came from. */
export function reportView(r: Report): HTMLElement {
  const rows = r.rules.map(rule => [rule.rule, rule.metric, cellText(rule.value),
    `${rule.op} ${cellText(rule.threshold)}`,
    el('span', { class: `qrp-review-verdict qrp-review-${rule.verdict}` }, rule.verdict),
    rule.severity + (rule.scope ? `, ${rule.scope}` : ''),
    rule.artifact
      ? el('span', {}, hashCell(rule.artifact.artifact_id),
        ` ${rule.artifact.lineage.map(l => l.kind).join(', ') || rule.artifact.media_type}`)
      : '-']);
  const policy = r.policy ? ` (policy ${r.policy.name} v${r.policy.version})` : '';
  return el('section', { class: 'qrp-review-report' },
    el('h3', {}, `${r.passed ? 'PASSED' : 'REFUSED'}: ${r.level}${policy}`),
    el('div', {}, 'eligibility_report_id ', hashCell(r.eligibility_report_id)),
    r.blockers.length ? el('div', { class: 'qrp-review-blocked' }, 'blockers:', list(r.blockers, 'qrp-review-blockers')) : null,
    r.warnings.length ? el('div', {}, 'warnings:', list(r.warnings, 'qrp-review-warnings')) : null,
    table(['rule', 'metric', 'value', 'needs', 'verdict', 'severity', 'artifact'], rows, 'qrp-review-rules'));
}

function field(e: GovEvent, name: string): string {
  const v = e.payload ? e.payload[name] : undefined;
  return cellText(v ?? null);
}

/** Governance events, each with the check of its own link of the hash chain. */
export function eventsTable(items: GovEvent[]): HTMLElement {
  const rows = items.map(e => [cellText(e.seq), e.kind, hashCell(e.candidate_id), field(e, 'actor'),
    field(e, 'to_status'), field(e, 'reason'), cellText(e.created_at),
    el('span', { class: e.hash_ok && e.link_ok !== false ? 'qrp-review-ok' : 'qrp-review-problems' },
      e.hash_ok && e.link_ok !== false ? 'ok' : (!e.hash_ok ? 'hash differs' : 'link broken'))]);
  return table(['seq', 'kind', 'candidate', 'actor', 'to', 'reason', 'at', 'chain'], rows, 'qrp-review-events');
}

export function verifyView(v: VerifyResult): HTMLElement {
  return el('section', { class: 'qrp-review-verify' },
    el('h3', {}, `verify: ${v.verify.ok ? 'OK' : `${v.verify.problems.length} problem(s)`}`),
    el('pre', { class: 'qrp-review-verify-text' }, v.verify.text));
}

export function errorView(error: ApiError | Error): HTMLElement {
  const e = error as ApiError;
  return el('div', { class: 'qrp-review-error', role: 'alert' }, e.what ?? e.message,
    e.what && e.fix ? el('div', { class: 'qrp-review-fix' }, `Fix: ${e.fix}`) : null);
}
