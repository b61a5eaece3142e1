// The front end of the kernel's LineageWidget (qrp_kernel.widgets), as an anywidget module.
//
// It draws the widget's `payload` trait (an application/vnd.qrp.lineage+json payload) with the
// very code of the JupyterLab renderer: renderLineage, over ../dag. scripts/build_labextension.sh
// bundles this file, with the renderers' stylesheet, into kernel_ext/qrp_kernel/static/ (one
// self-contained ES module and one CSS file, loaded by anywidget in any front end with
// ipywidgets: Notebook 7, VS Code, a JupyterLab without QRP's extension).

import { MIME } from '../payloads';
import type { LineagePayload } from '../payloads';
import { payloadProblem, refusal } from '../render/common';
import { renderLineage } from '../render/lineage';

/** The part of anywidget's model interface this view uses. */
export interface WidgetModel {
  get(name: 'payload'): unknown;
  on(event: 'change:payload', callback: () => void): void;
  off(event: 'change:payload', callback: () => void): void;
}

/** Draw the model's payload into `el` and redraw it when the payload changes; the returned
 * function releases the listener and the DAG's size observer (anywidget calls it when the
 * view is removed). */
export function render({ model, el }: { model: WidgetModel; el: HTMLElement }): () => void {
  let release = (): void => undefined;
  const draw = (): void => {
    release();
    const data = model.get('payload');
    const problem = payloadProblem(MIME.LINEAGE, data);
    if (problem !== null) {
      el.replaceChildren(refusal(MIME.LINEAGE, problem));
      release = () => undefined;
      return;
    }
    const { element, view } = renderLineage(data as LineagePayload);
    el.replaceChildren(element);
    release = () => view.dispose();
  };
  model.on('change:payload', draw);
  draw();
  return () => {
    model.off('change:payload', draw);
    release();
  };
}

export default { render };
