// QRP's JupyterLab extension: the plugins it registers. Each plugin is one feature; add new
// ones to `plugins` below.

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { rendererFactories, QRP_RANK } from './widget';

/** Renderers for every application/vnd.qrp.* media type, in trusted and untrusted notebooks. */
export const renderersPlugin: JupyterFrontEndPlugin<void> = {
  id: 'qrp-jupyterlab:renderers',
  description: 'Draws QRP outputs (run summary, lineage DAG, audit, reports, candidates, verify, events).',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  activate: (_app: JupyterFrontEnd, registry: IRenderMimeRegistry) => {
    for (const factory of rendererFactories) {
      registry.addFactory(factory, QRP_RANK);
    }
  }
};

const plugins: JupyterFrontEndPlugin<any>[] = [renderersPlugin];

export default plugins;
export { rendererFactories } from './widget';
export { renderPayload } from './render';
