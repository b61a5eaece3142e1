// The eligibility preview of a trial (inside the run summary): nothing was written.

import type { EligibilityPreview } from '../payloads';
import { el, section, shortHashCell } from './dom';
import { okBadge, rulesTable, textList } from './common';

export function eligibilityView(p: EligibilityPreview): HTMLElement {
  return section(
    `Eligibility preview: trial ${p.trial_index} for ${p.level}`,
    el(
      'p',
      { class: 'qrp-line' },
      okBadge(p.passed, 'would pass', 'would be refused'),
      ` policy ${p.policy.name} v${p.policy.version} `,
      shortHashCell(p.policy.hash),
      ` \u00b7 status ${p.candidate_status ?? 'not a candidate'} \u00b7 promotion ${p.transition_allowed ? 'possible' : 'not possible'} from ${p.from_status} \u00b7 preview only, nothing stored`
    ),
    textList('blockers', p.blockers, 'qrp-blockers'),
    textList('warnings', p.warnings, 'qrp-warnings'),
    rulesTable(p.rules)
  );
}
