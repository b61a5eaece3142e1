// DOM construction helpers. Every string that comes from a payload goes through textContent
// or setAttribute, never through innerHTML, so markup in the data stays text.

export const SVG_NS = 'http://www.w3.org/2000/svg';

type Attrs = Record<string, string | number | boolean | null | undefined>;

function setAttrs(node: Element, attrs: Attrs): void {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    node.setAttribute(key, value === true ? '' : String(value));
  }
}

/** An HTML element with attributes and, optionally, text content or children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

/** An SVG element with attributes and, optionally, text content or children. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined)[]
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function append(node: Element, children: (Node | string | null | undefined)[]): void {
  for (const child of children) {
    if (child === null || child === undefined) {
      continue;
    }
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

const HEX64 = /^[0-9a-f]{64}$/;

/** True for a full 64-hex SHA-256 digest. */
export function isHash(value: unknown): value is string {
  return typeof value === 'string' && HEX64.test(value);
}

/** A 12-character prefix of a full hash (followed by an ellipsis); other text unchanged. */
export function shortHash(value: string): string {
  return isHash(value) ? `${value.slice(0, 12)}\u2026` : value;
}

/** A value as display text: null and undefined become an em dash, numbers are rounded. */
export function show(value: unknown): string {
  if (value === null || value === undefined) {
    return '\u2014';
  }
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value);
}

/** A number with at most 4 significant digits after the point, integers as they are. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) {
    return String(value);
  }
  if (Number.isInteger(value)) {
    return String(value);
  }
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) {
    return value.toExponential(3);
  }
  return String(Number(value.toPrecision(4)));
}

/** Copy text to the clipboard; resolves false where the browser refuses. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** A small button that copies `text`, saying so for a moment. */
export function copyButton(text: string, label = 'copy'): HTMLButtonElement {
  const button = el('button', { type: 'button', class: 'qrp-copy', title: `copy ${text}` }, label);
  button.addEventListener('click', event => {
    event.stopPropagation();
    void copyText(text).then(ok => {
      button.textContent = ok ? 'copied' : 'select and copy';
      window.setTimeout(() => {
        button.textContent = label;
      }, 1200);
    });
  });
  return button;
}

/** A hash shown in full (monospace, selectable) with a copy button. */
export function hashCell(value: string | null | undefined): HTMLElement {
  if (value === null || value === undefined) {
    return el('span', { class: 'qrp-null' }, '\u2014');
  }
  return el('span', { class: 'qrp-hash' }, el('code', { title: value }, value), copyButton(value));
}

/** A short hash (12 characters) with the full value in the tooltip and a copy button. */
export function shortHashCell(value: string | null | undefined): HTMLElement {
  if (value === null || value === undefined) {
    return el('span', { class: 'qrp-null' }, '\u2014');
  }
  return el(
    'span',
    { class: 'qrp-hash' },
    el('code', { title: value }, shortHash(value)),
    copyButton(value)
  );
}

/** A cell's content: a hash gets a copy button, other values are text. */
export function valueCell(value: unknown): Node {
  if (isHash(value)) {
    return shortHashCell(value);
  }
  if (value !== null && typeof value === 'object') {
    return el('code', { class: 'qrp-json' }, JSON.stringify(value));
  }
  return document.createTextNode(show(value));
}

/** A two-column key/value table of a free-form object. */
export function kvTable(obj: Record<string, unknown> | null | undefined, cls = ''): HTMLTableElement {
  const table = el('table', { class: `qrp-kv ${cls}`.trim() });
  const body = el('tbody');
  for (const [key, value] of Object.entries(obj ?? {})) {
    body.append(el('tr', {}, el('th', {}, key), el('td', {}, valueCell(value))));
  }
  table.append(body);
  return table;
}

/** A table with a header row; each row is a list of cell contents. */
export function table(headers: string[], rows: (Node | string)[][], cls = ''): HTMLTableElement {
  const out = el('table', { class: `qrp-table ${cls}`.trim() });
  out.append(el('thead', {}, el('tr', {}, ...headers.map(h => el('th', {}, h)))));
  const body = el('tbody');
  for (const row of rows) {
    body.append(el('tr', {}, ...row.map(cell => el('td', {}, cell))));
  }
  out.append(body);
  return out;
}

/** A status word styled by its meaning (pass/ok green, fail red, other neutral). */
export function badge(text: string, kind: 'ok' | 'bad' | 'warn' | 'neutral'): HTMLElement {
  return el('span', { class: `qrp-badge qrp-badge-${kind}` }, text);
}

/** A section with a heading. */
export function section(title: string, ...children: (Node | null | undefined)[]): HTMLElement {
  return el('section', { class: 'qrp-section' }, el('h4', {}, title), ...children);
}
