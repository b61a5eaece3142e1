// application/vnd.qrp.audit+json: a candidate's evidence chain, every check with its status.

import type { AuditPayload } from '../payloads';
import { MIME } from '../payloads';
import { badge, el, hashCell, kvTable, section, shortHashCell, show, table } from './dom';
import { okBadge, renderRoot, rulesTable, textList } from './common';

export function renderAudit(p: AuditPayload): HTMLElement {
  const c = p.candidate;
  const failed = p.checks.filter(ch => !ch.ok).length;
  const checks = table(
    ['check', 'status', 'detail'],
    p.checks.map(ch => [ch.check, badge(ch.ok ? 'ok' : 'FAILED', ch.ok ? 'ok' : 'bad'), ch.detail]),
    'qrp-checks'
  );
  p.checks.forEach((ch, i) => checks.tBodies[0].rows[i].setAttribute('data-ok', String(ch.ok)));
  return renderRoot(
    MIME.AUDIT,
    el('h3', {}, 'Audit of candidate ', hashCell(p.candidate_id)),
    el('p', { class: 'qrp-line' }, okBadge(p.ok, 'every check passed', `${failed} of ${p.checks.length} checks failed`), ` status ${c.status} \u00b7 trial ${c.trial_index} \u00b7 Sharpe ${show(c.sharpe_annual)}`),
    section('Checks', checks),
    section(
      'Identity',
      table(
        ['id', 'value'],
        [
          ['run_key', hashCell(p.run_key)],
          ['run_instance_id', hashCell(p.run_instance_id)],
          ['dataset_id_v2', hashCell(p.dataset_id_v2)],
          ['eligibility_report_id', hashCell(c.eligibility_report_id)]
        ],
        'qrp-ids'
      )
    ),
    section(
      `Eligibility reports (${p.reports.length})`,
      ...p.reports.map(r =>
        el(
          'div',
          { class: 'qrp-report' },
          el('p', { class: 'qrp-line' }, okBadge(r.passed), ` ${r.level} at ${r.created_at} by ${r.actor ?? '\u2014'} `, shortHashCell(r.eligibility_report_id)),
          textList('blockers', r.blockers, 'qrp-blockers'),
          textList('warnings', r.warnings, 'qrp-warnings'),
          rulesTable(r.rules)
        )
      )
    ),
    section(
      `Governance events (${p.events.length})`,
      table(
        ['seq', 'kind', 'at', 'actor', 'from', 'to', 'reason', 'event_hash'],
        p.events.map(e => [String(e.seq), e.kind, show(e.at), show(e.actor), show(e.from_status), show(e.to_status), show(e.reason), shortHashCell(e.event_hash)]),
        'qrp-events'
      )
    ),
    section(
      `Artifacts (${p.artifacts.length})`,
      table(
        ['kind', 'role', 'by', 'size', 'artifact_id'],
        p.artifacts.map(a => [a.kind, a.role, a.by, a.missing ? 'MISSING' : show(a.size ?? null), shortHashCell(a.artifact_id)]),
        'qrp-artifact-list'
      )
    ),
    section('Dataset', el('p', { class: 'qrp-line' }, `source ${p.dataset.source}`), kvTable(p.dataset.summary)),
    el('details', {}, el('summary', {}, `seed records (${p.seeds.length})`), el('pre', { class: 'qrp-json' }, JSON.stringify(p.seeds, null, 1)))
  );
}
