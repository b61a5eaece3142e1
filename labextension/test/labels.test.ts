import { describe, expect, it } from 'vitest';
import { placeLabels } from '../src/render/labels';

describe('placeLabels', () => {
  it('flips a label left of its anchor at the right edge, never clipping', () => {
    const [p] = placeLabels([{ anchor: 590, width: 80 }], 40, 600);
    expect(p.side).toBe('left');
    expect(p.x + 80).toBeLessThanOrEqual(600);
    expect(p.x).toBeGreaterThanOrEqual(40);
  });
  it('clamps a label wider than the room on both sides inside the bounds', () => {
    const [p] = placeLabels([{ anchor: 50, width: 500 }], 40, 600);
    expect(p.x).toBeGreaterThanOrEqual(40);
    expect(p.x + 500).toBeLessThanOrEqual(600);
  });
  it('moves a colliding label down a lane', () => {
    const out = placeLabels([{ anchor: 300, width: 100 }, { anchor: 310, width: 100 }], 0, 600);
    expect(out[0].lane).toBe(0);
    expect(out[1].lane).toBe(1);
  });
  it('never overlaps or clips, whatever the anchors', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(rand() * 6);
      const reqs = Array.from({ length: n }, () => ({ anchor: rand() * 700 - 50, width: 20 + rand() * 150 }));
      const placed = placeLabels(reqs, 40, 640);
      placed.forEach((p, i) => {
        expect(p.x).toBeGreaterThanOrEqual(40);
        expect(p.x + reqs[i].width).toBeLessThanOrEqual(640 + 1e-9);
        placed.forEach((q, j) => {
          if (j <= i || q.lane !== p.lane) {
            return;
          }
          const apart = p.x + reqs[i].width <= q.x || q.x + reqs[j].width <= p.x;
          expect(apart).toBe(true);
        });
      });
    }
  });
});
