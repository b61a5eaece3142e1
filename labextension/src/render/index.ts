// One renderer per QRP media type, behind `renderPayload`, which refuses a payload of
// another qrp_mime_version and turns a malformed payload into a one-line message.

import { MIME, PayloadOf, QrpMimeType } from '../payloads';
import { refusal, payloadProblem } from './common';
import { renderAudit } from './audit';
import { renderCandidates, renderEvent, renderReport, renderVerify } from './governance';
import { renderLineage } from './lineage';
import { renderRun } from './run';

export interface Rendered {
  element: HTMLElement;
  /** release observers (the DAG watches its size) */
  dispose(): void;
}

const noop = () => undefined;

type Renderer<M extends QrpMimeType> = (payload: PayloadOf[M]) => Rendered;

const RENDERERS: { [M in QrpMimeType]: Renderer<M> } = {
  [MIME.RUN]: p => ({ element: renderRun(p), dispose: noop }),
  [MIME.LINEAGE]: p => {
    const { element, view } = renderLineage(p);
    return { element, dispose: () => view.dispose() };
  },
  [MIME.AUDIT]: p => ({ element: renderAudit(p), dispose: noop }),
  [MIME.REPORT]: p => ({ element: renderReport(p), dispose: noop }),
  [MIME.EVENT]: p => ({ element: renderEvent(p), dispose: noop }),
  [MIME.CANDIDATES]: p => ({ element: renderCandidates(p), dispose: noop }),
  [MIME.VERIFY]: p => ({ element: renderVerify(p), dispose: noop })
};

/** Draw a QRP payload of media type `mime`: its view, or a clear refusal. */
export function renderPayload(mime: QrpMimeType, data: unknown): Rendered {
  const problem = payloadProblem(mime, data);
  if (problem !== null) {
    return { element: refusal(mime, problem), dispose: noop };
  }
  try {
    return (RENDERERS[mime] as Renderer<QrpMimeType>)(data as PayloadOf[QrpMimeType]);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      element: refusal(mime, `QRP: this ${mime} output does not match its documented fields (${why}); re-run the cell with this qrp_jupyter version.`),
      dispose: noop
    };
  }
}

export { payloadProblem };
