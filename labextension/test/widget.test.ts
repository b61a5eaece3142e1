// The JupyterLab glue with JupyterLab's own components: a real MimeModel and the real HTML
// sanitizer of @jupyterlab/apputils (what Lab passes to renderers).
import { describe, expect, it } from 'vitest';
// The sanitizer's own module: the package index also loads Lab's UI components.
import { Sanitizer } from '@jupyterlab/apputils/lib/sanitizer';
import { MimeModel } from '@jupyterlab/rendermime';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { MIME } from '../src/payloads';
import { QrpRenderer, rendererFactories, WIDGET_VIEW_RANK } from '../src/widget';
import { fixture } from './fixture';

const options = {
  mimeType: MIME.CANDIDATES,
  sanitizer: new Sanitizer(),
  resolver: null,
  linkHandler: null,
  latexTypesetter: null
} as unknown as IRenderMime.IRendererOptions;

describe('the rendermime factories', () => {
  it('one safe factory per QRP type, ranked before text/html and the widget view', () => {
    expect(rendererFactories.map(f => f.mimeTypes[0]).sort()).toEqual(Object.values(MIME).sort());
    for (const f of rendererFactories) {
      expect(f.safe).toBe(true);
      expect(f.defaultRank).toBeLessThan(50);
      expect(f.defaultRank).toBeLessThan(WIDGET_VIEW_RANK);
    }
  });
});

describe('QrpRenderer', () => {
  it('draws a payload in an untrusted output', async () => {
    const r = new QrpRenderer(options, MIME.CANDIDATES);
    const data = fixture('candidates');
    await r.renderModel(new MimeModel({ data: { [MIME.CANDIDATES]: data, 'text/html': '<p>static</p>' }, trusted: false }));
    expect(r.node.getAttribute('data-mime-type')).toBe(MIME.CANDIDATES);
    expect(r.node.querySelectorAll('.qrp-candidates tbody tr').length).toBe(data.candidates.length);
    expect(r.node.querySelector('.qrp-fallback-html')).toBeNull();
    r.dispose();
  });

  it('refuses another version and shows the static html, sanitized when untrusted', async () => {
    const r = new QrpRenderer(options, MIME.CANDIDATES);
    const data = { ...fixture('candidates'), qrp_mime_version: 2 };
    const html = '<table class="static"><tr><td>x</td></tr></table><img src="x" onerror="alert(1)"><script>alert(2)</script>';
    await r.renderModel(new MimeModel({ data: { [MIME.CANDIDATES]: data, 'text/html': html }, trusted: false }));
    expect(r.node.querySelector('.qrp-refusal')!.textContent).toMatch(/qrp_mime_version 2/);
    const fallback = r.node.querySelector('.qrp-fallback-html')!;
    expect(fallback.querySelector('table.static')).not.toBeNull();
    expect(fallback.querySelector('[onerror]')).toBeNull();
    expect(fallback.querySelector('script')).toBeNull();
    r.dispose();
  });
});
