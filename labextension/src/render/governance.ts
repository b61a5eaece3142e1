// The governance payloads: report+json (one eligibility report), candidates+json (the
// listing), event+json (a rejection or retirement), verify+json (a verify result).

import type { CandidatesPayload, EventPayload, ReportPayload, VerifyPayload } from '../payloads';
import { MIME } from '../payloads';
import { badge, el, hashCell, kvTable, section, shortHashCell, show, table } from './dom';
import { okBadge, renderRoot, rulesTable, textList } from './common';

type StoredReport = {
  rules?: Parameters<typeof rulesTable>[0];
  blockers?: string[];
  warnings?: string[];
  policy?: Record<string, unknown>;
  evidence?: Record<string, unknown>;
  actor?: unknown;
  created_at?: unknown;
};

export function renderReport(p: ReportPayload): HTMLElement {
  const r = p.report as StoredReport;
  return renderRoot(
    MIME.REPORT,
    el('h3', {}, `Eligibility report: ${p.level} `, okBadge(p.passed, 'promoted', 'refused')),
    table(
      ['id', 'value'],
      [
        ['eligibility_report_id', hashCell(p.eligibility_report_id)],
        ['candidate_id', hashCell(p.candidate_id)],
        ['run_key', hashCell(p.run_key)],
        ['run_instance_id', hashCell(p.run_instance_id)],
        ['dataset_id_v2', hashCell(p.dataset_id_v2)]
      ],
      'qrp-ids'
    ),
    textList('blockers', Array.isArray(r.blockers) ? r.blockers.map(String) : [], 'qrp-blockers'),
    textList('warnings', Array.isArray(r.warnings) ? r.warnings.map(String) : [], 'qrp-warnings'),
    Array.isArray(r.rules) ? section('Rules', rulesTable(r.rules)) : null,
    r.policy ? section('Policy', kvTable(r.policy)) : null,
    r.evidence ? section('Evidence', kvTable(r.evidence)) : null,
    el('details', {}, el('summary', {}, 'stored report'), el('pre', { class: 'qrp-json' }, JSON.stringify(p.report, null, 1)))
  );
}

const STATUS_KIND: Record<string, 'ok' | 'bad' | 'warn' | 'neutral'> = {
  accepted: 'ok',
  candidate: 'ok',
  exploratory: 'neutral',
  rejected: 'bad',
  retired: 'warn'
};

export function renderCandidates(p: CandidatesPayload): HTMLElement {
  return renderRoot(
    MIME.CANDIDATES,
    el('h3', {}, `Promotion candidates (${p.candidates.length})`),
    table(
      ['candidate', 'status', 'family', 'run', 'trial', 'params', 'Sharpe (annual)', 'report'],
      p.candidates.map(c => [
        shortHashCell(c.candidate_id),
        badge(c.status, STATUS_KIND[c.status] ?? 'neutral'),
        c.family,
        c.run_name ?? '\u2014',
        String(c.trial_index),
        Object.entries(c.params)
          .map(([k, v]) => `${k}=${show(v)}`)
          .join(', '),
        show(c.sharpe_annual),
        shortHashCell(c.eligibility_report_id)
      ]),
      'qrp-candidates'
    )
  );
}

export function renderEvent(p: EventPayload): HTMLElement {
  return renderRoot(
    MIME.EVENT,
    el('h3', {}, `Governance event ${p.seq}: ${p.kind}`),
    table(
      ['id', 'value'],
      [
        ['event_hash', hashCell(p.event_hash)],
        ['candidate_id', hashCell(p.candidate_id)],
        ['run_key', hashCell(p.run_key)],
        ['dataset_id_v2', hashCell(p.dataset_id_v2)]
      ],
      'qrp-ids'
    ),
    section('Event', kvTable(p.event))
  );
}

export function renderVerify(p: VerifyPayload): HTMLElement {
  const keys = [...new Set(p.problems.flatMap(pr => Object.keys(pr)))];
  return renderRoot(
    MIME.VERIFY,
    el('h3', {}, `verify ${p.subject} ${p.target} `, okBadge(p.ok, 'OK', `${p.problems.length} problem${p.problems.length === 1 ? '' : 's'}`)),
    section('Checked', kvTable(p.checked)),
    p.problems.length ? section('Problems', table(keys, p.problems.map(pr => keys.map(k => show(pr[k] ?? null))), 'qrp-problems')) : null,
    el('details', {}, el('summary', {}, 'as `qrp verify` prints it'), el('pre', { class: 'qrp-verify-text' }, p.text))
  );
}

export { shortHashCell };
