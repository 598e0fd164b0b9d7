import { createMask, drawPolyline } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { buildChains } from "./chains.js";
import { buildMarkingRaster } from "./mask.js";
import { contractJunctions, pruneGraph } from "./prune.js";
import { thinGuoHall } from "./thin.js";
import { traceSkeleton } from "./trace.js";
import type { Pt } from "./types.js";

function skeletonOf(lines: Pt[][], widthPx: number, size = 120) {
  const mask = createMask(size, size);
  for (const l of lines) drawPolyline(mask, l, widthPx, 1);
  const r = buildMarkingRaster(mask.data, size, size, 7);
  const img = new Uint8Array(r.labels.length);
  for (let k = 0; k < r.fgCount; k++) img[r.fg[k]!] = 1;
  const skel = thinGuoHall(img, r.stride, r.fg, r.fgCount);
  return { r, img, skel };
}

describe("thinning", () => {
  it.each([3, 4, 7])("reduces a %i px wide diagonal line to a one-pixel path inside it", (w) => {
    const { r, img, skel } = skeletonOf(
      [
        [
          [10.3, 20.1],
          [100.2, 70.7],
        ],
      ],
      w,
    );
    const offs = [-r.stride - 1, -r.stride, -r.stride + 1, -1, 1, r.stride - 1, r.stride, r.stride + 1];
    let ends = 0;
    for (const p of skel) {
      expect(r.labels[p]).toBe(1);
      const n = offs.filter((o) => img[p + o] !== 0).length;
      expect(n).toBeLessThanOrEqual(2);
      if (n === 1) ends++;
    }
    expect(ends).toBe(2);
    // One pixel per step along the longer axis (8-connected), give or take the ends.
    expect(Math.abs(skel.length - 90)).toBeLessThan(w + 2);
  });

  it("traces two crossing lines as two straight lines through one junction", () => {
    const a: Pt[] = [
      [10.2, 60.3],
      [110.4, 61.1],
    ];
    const b: Pt[] = [
      [20.3, 10.2],
      [90.6, 110.1],
    ];
    const { r, img, skel } = skeletonOf([a, b], 4);
    const g = traceSkeleton(img, r.stride, skel);
    const alive = pruneGraph(g, { spurPx: 3, loopPx: 6 });
    contractJunctions(g, alive, 6);
    const chains = buildChains(g, alive, { maxTurnDeg: 25, directionPx: 10 });
    expect(chains).toHaveLength(2);
    for (const c of chains) {
      expect(c.startKind).toBe("free");
      expect(c.endKind).toBe("free");
      const [s, e] = [c.pts[0]!, c.pts[c.pts.length - 1]!];
      const matches = [a, b].filter(
        (t) =>
          Math.min(
            Math.hypot(s[0] - t[0]![0], s[1] - t[0]![1]),
            Math.hypot(s[0] - t[1]![0], s[1] - t[1]![1]),
          ) < 4 &&
          Math.min(
            Math.hypot(e[0] - t[0]![0], e[1] - t[0]![1]),
            Math.hypot(e[0] - t[1]![0], e[1] - t[1]![1]),
          ) < 4,
      );
      expect(matches).toHaveLength(1);
    }
  });

  it("keeps a line running into a T junction separate from the line it meets", () => {
    const bar: Pt[] = [
      [10.2, 30.3],
      [110.4, 30.3],
    ];
    const stem: Pt[] = [
      [60.1, 30.3],
      [60.7, 110.2],
    ];
    const { r, img, skel } = skeletonOf([bar, stem], 3);
    const g = traceSkeleton(img, r.stride, skel);
    const alive = pruneGraph(g, { spurPx: 3, loopPx: 6 });
    contractJunctions(g, alive, 6);
    const chains = buildChains(g, alive, { maxTurnDeg: 25, directionPx: 10 });
    expect(chains).toHaveLength(2);
    const kinds = chains.map((c) => [c.startKind, c.endKind].sort().join("-")).sort();
    expect(kinds).toEqual(["free-free", "free-junction"]);
  });
});
