// The JupyterLab side of a renderer: a Lumino widget that draws one QRP payload, and the
// rendermime factory (safe: the views build DOM from text only, so they also draw in
// untrusted notebooks).

import { renderHTML } from '@jupyterlab/rendermime';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { MIME_TYPES, QrpMimeType } from './payloads';
import { payloadProblem, renderPayload, Rendered } from './render';

/** Rank of QRP's factories (lower is preferred): before text/html (rank 50), so the payload
 * is drawn, not the static fallback, and before the ipywidgets view (rank -10,
 * @jupyter-widgets/jupyterlab-manager): `%qrp_lineage`'s output carries both its widget view
 * and the lineage payload, and the payload is drawn by the same DAG code as the widget, live
 * or reopened, with or without saved widget state (never "model not found"). */
export const QRP_RANK = -20;

/** The rank of the ipywidgets view renderer (jupyterlab_widgets' plugin registers it so). */
export const WIDGET_VIEW_RANK = -10;

export class QrpRenderer extends Widget implements IRenderMime.IRenderer {
  private rendered: Rendered | null = null;

  constructor(
    private readonly options: IRenderMime.IRendererOptions,
    private readonly mime: QrpMimeType
  ) {
    super();
    this.addClass('qrp-output');
    this.node.setAttribute('data-mime-type', mime);
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this.rendered?.dispose();
    const data = model.data[this.mime];
    this.rendered = renderPayload(this.mime, data);
    this.node.replaceChildren(this.rendered.element);
    const html = model.data['text/html'];
    if (payloadProblem(this.mime, data) !== null && typeof html === 'string') {
      // docs/mime-types.md: a payload of another version is refused and the output's static
      // text/html shown instead, through JupyterLab's own HTML path (sanitized when the
      // notebook is not trusted), exactly as Lab would show it without this extension.
      const host = document.createElement('div');
      host.className = 'qrp-fallback-html';
      this.rendered.element.append(host);
      await renderHTML({
        host,
        source: html,
        trusted: model.trusted,
        sanitizer: this.options.sanitizer,
        resolver: this.options.resolver,
        linkHandler: this.options.linkHandler,
        shouldTypeset: false,
        latexTypesetter: null,
        translator: this.options.translator
      });
    }
  }

  dispose(): void {
    this.rendered?.dispose();
    this.rendered = null;
    super.dispose();
  }
}

/** One factory per media type (one renderer each). */
export const rendererFactories: IRenderMime.IRendererFactory[] = MIME_TYPES.map(mime => ({
  safe: true,
  mimeTypes: [mime],
  defaultRank: QRP_RANK,
  createRenderer: (options: IRenderMime.IRendererOptions) => new QrpRenderer(options, mime)
}));
