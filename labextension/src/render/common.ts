// What every renderer shares: the root element with its test hooks, the version check and
// the tables of rules (eligibility preview, reports, audit).

import { MIME_VERSION } from '../payloads';
import { badge, el, shortHashCell, show, table } from './dom';

type Rule = {
  rule: string;
  metric: string;
  op: string;
  threshold: unknown;
  value: unknown;
  verdict: string;
  severity: string;
  scope?: string;
  why?: string;
  artifact_id: string | null;
};

/** The root of a rendered payload: class `qrp-render`, `data-qrp-mime` = its media type. */
export function renderRoot(mime: string, ...children: (Node | null | undefined)[]): HTMLElement {
  return el('div', { class: 'qrp-render', 'data-qrp-mime': mime }, ...children);
}

/** Why a payload cannot be drawn (a one-line message), or null when it can. */
export function payloadProblem(mime: string, data: unknown): string | null {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return `QRP: the ${mime} output is not a JSON object; re-run the cell to render it again.`;
  }
  const version = (data as { qrp_mime_version?: unknown }).qrp_mime_version;
  if (version !== MIME_VERSION) {
    return (
      `QRP: this output has qrp_mime_version ${JSON.stringify(version ?? null)}, and this ` +
      `extension reads version ${MIME_VERSION} only; upgrade qrp_jupyter (pip install -U ` +
      `qrp_jupyter) or re-run the cell.`
    );
  }
  const own = (data as { mime?: unknown }).mime;
  if (own !== mime) {
    return `QRP: the output says it is ${JSON.stringify(own ?? null)} but was shown as ${mime}; re-run the cell.`;
  }
  return null;
}

/** A refusal: the message as text, in the renderer's root. */
export function refusal(mime: string, message: string): HTMLElement {
  return renderRoot(mime, el('div', { class: 'qrp-refusal', role: 'alert' }, message));
}

/** A verdict badge. */
export function verdictBadge(verdict: string): HTMLElement {
  const kind = verdict === 'pass' || verdict === 'ok' ? 'ok' : verdict === 'fail' ? 'bad' : 'warn';
  return badge(verdict, kind);
}

/** A pass/fail badge of a boolean. */
export function okBadge(ok: boolean, yes = 'passed', no = 'refused'): HTMLElement {
  return badge(ok ? yes : no, ok ? 'ok' : 'bad');
}

/** Every rule with value, threshold, verdict, severity, scope and source artifact. */
export function rulesTable(rules: Rule[]): HTMLTableElement {
  const out = table(
    ['rule', 'metric', 'scope', 'value', 'test', 'verdict', 'severity', 'artifact'],
    rules.map(r => [
      el('span', { title: r.why ?? '' }, r.rule),
      r.metric,
      r.scope ?? '\u2014',
      show(r.value),
      `${r.op} ${show(r.threshold)}`,
      verdictBadge(r.verdict),
      r.severity,
      shortHashCell(r.artifact_id)
    ]),
    'qrp-rules'
  );
  rules.forEach((r, i) => out.tBodies[0].rows[i].setAttribute('data-verdict', r.verdict));
  return out;
}

/** A list of readable strings (blockers, warnings), or nothing when empty. */
export function textList(title: string, items: string[], cls: string): HTMLElement | null {
  if (!items.length) {
    return null;
  }
  return el('div', { class: cls }, el('strong', {}, title), el('ul', {}, ...items.map(s => el('li', {}, s))));
}
