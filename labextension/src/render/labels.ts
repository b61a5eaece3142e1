// Label placement that never collides or clips: pure, unit-tested (test/labels.test.ts).

export interface LabelRequest {
  /** x of the thing the label names (a marker line, a bar) */
  anchor: number;
  /** the label's width in pixels */
  width: number;
}

export interface PlacedLabel {
  /** left edge of the label */
  x: number;
  /** row of labels, 0 = nearest the plot's top; each row is one line of text lower */
  lane: number;
  /** which side of its anchor the label sits on */
  side: 'right' | 'left';
}

/** Estimated width of `text` in a sans-serif font of `fontSize` px (no layout needed). */
export function textWidth(text: string, fontSize: number): number {
  return Math.ceil(text.length * fontSize * 0.6);
}

/**
 * Place labels next to their anchors inside [min, max]: to the right of the anchor when the
 * label fits there, else to its left, else clamped inside the bounds; a label that would
 * overlap one already placed goes one lane down. Labels are placed in the given order, so
 * put the most important first.
 */
export function placeLabels(
  requests: LabelRequest[],
  min: number,
  max: number,
  gap = 4
): PlacedLabel[] {
  const lanes: [number, number][][] = [];
  return requests.map(({ anchor, width }) => {
    let side: 'right' | 'left' = 'right';
    let x = anchor + gap;
    if (x + width > max) {
      side = 'left';
      x = anchor - gap - width;
    }
    x = Math.max(min, Math.min(x, max - width));
    let lane = 0;
    for (; ; lane++) {
      const used = lanes[lane] ?? (lanes[lane] = []);
      if (used.every(([a, b]) => x + width + gap <= a || x >= b + gap)) {
        used.push([x, x + width]);
        break;
      }
    }
    return { x, lane, side };
  });
}
