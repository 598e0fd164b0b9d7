import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { segDist2, simplifyPoints, simplifyPolyline } from "./simplify.js";
import type { Pt } from "./types.js";

const pointArb = fc.tuple(
  fc.double({ min: 0, max: 500, noNaN: true }),
  fc.double({ min: 0, max: 500, noNaN: true }),
);

function distToPolyline(p: Pt, pts: Pt[]): number {
  let d = Number.POSITIVE_INFINITY;
  for (let i = 0; i + 1 < pts.length; i++) d = Math.min(d, Math.sqrt(segDist2(p, pts[i]!, pts[i + 1]!)));
  return d;
}

describe("Douglas–Peucker", () => {
  it("never moves the line further than the tolerance, and keeps both ends", () => {
    fc.assert(
      fc.property(
        fc.array(pointArb, { minLength: 2, maxLength: 60 }),
        fc.double({ min: 0.05, max: 5, noNaN: true }),
        (raw, tol) => {
          const pts = raw.map(([x, y]) => [x, y] as Pt);
          const out = simplifyPoints(pts, tol);
          expect(out[0]).toEqual(pts[0]);
          expect(out[out.length - 1]).toEqual(pts[pts.length - 1]);
          for (const p of pts) expect(distToPolyline(p, out)).toBeLessThanOrEqual(tol + 1e-9);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("removes the pixel staircase of a straight line", () => {
    const pts: Pt[] = [];
    for (let x = 0; x <= 100; x++) pts.push([x + 0.5, Math.floor(x * 0.3) + 0.5]);
    expect(simplifyPoints(pts, 1).length).toBeLessThanOrEqual(3);
  });

  it("keeps bridged segments exactly", () => {
    const line = {
      pts: [
        [0, 0],
        [10, 0.1],
        [20, 0],
        [40, 0.1],
        [50, 0],
      ] as Pt[],
      bridged: [false, false, true, false],
    };
    const out = simplifyPolyline(line, 1);
    expect(out.pts).toEqual([
      [0, 0],
      [20, 0],
      [40, 0.1],
      [50, 0],
    ]);
    expect(out.bridged).toEqual([false, true, false]);
  });
});
