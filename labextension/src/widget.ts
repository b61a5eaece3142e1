// The JupyterLab side of a renderer: a Lumino widget that draws one QRP payload, and the
// rendermime factory (safe: the views build DOM from text only, so they also draw in
// untrusted notebooks).

import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { MIME_TYPES, QrpMimeType } from './payloads';
import { renderPayload, Rendered } from './render';

/** Rank of QRP's factories: before text/html (rank 50), so the payload is drawn, not the
 * static fallback. */
export const QRP_RANK = 20;

export class QrpRenderer extends Widget implements IRenderMime.IRenderer {
  private rendered: Rendered | null = null;

  constructor(private readonly mime: QrpMimeType) {
    super();
    this.addClass('qrp-output');
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this.rendered?.dispose();
    this.rendered = renderPayload(this.mime, model.data[this.mime]);
    this.node.replaceChildren(this.rendered.element);
    return Promise.resolve();
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
  createRenderer: () => new QrpRenderer(mime)
}));
