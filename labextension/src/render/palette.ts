// Colours. Curves use the Tableau 10 palette (Maureen Stone's 2016 redesign, also D3's
// schemeTableau10): ten hues chosen to stay distinct from each other.
export const CURVE_COLORS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac'
];

/** The colour of the i-th curve; past ten, hues repeat with a dash pattern (see dashOf). */
export function curveColor(i: number): string {
  return CURVE_COLORS[((i % CURVE_COLORS.length) + CURVE_COLORS.length) % CURVE_COLORS.length];
}

/** A dash pattern for curves past the tenth, so that no two curves look alike. */
export function dashOf(i: number): string | null {
  const round = Math.floor(i / CURVE_COLORS.length);
  return round === 0 ? null : ['6 3', '2 2', '8 2 2 2'][(round - 1) % 3];
}

/** A sequential blue scale for heatmaps: t in [0, 1] -> colour (low = light, high = dark). */
export function sequential(t: number): string {
  const c = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0));
  const lo = [239, 243, 255];
  const hi = [8, 69, 148];
  const mix = lo.map((v, k) => Math.round(v + (hi[k] - v) * c));
  return `rgb(${mix[0]}, ${mix[1]}, ${mix[2]})`;
}
