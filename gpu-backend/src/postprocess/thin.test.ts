import { createMask, drawPolyline } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { buildChains } from "./chains.js";
import { buildMarkingRaster } from "./mask.js";
import { contractJunctions, pruneGraph } from "./prune.js";
import { thinGuoHall } from "./thin.js";
import { type SkeletonGraph, traceSkeleton } from "./trace.js";
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

  it("places a traced path on pixel centres, from end to end", () => {
    // A one-pixel path along row 5 from x = 2 to x = 10 of a 14 x 9 raster.
    const stride = 16;
    const img = new Uint8Array(stride * 11);
    const skel: number[] = [];
    for (let x = 2; x <= 10; x++) {
      const p = (5 + 1) * stride + x + 1;
      img[p] = 1;
      skel.push(p);
    }
    const g = traceSkeleton(img, stride, Int32Array.from(skel));
    expect(g.edges).toHaveLength(1);
    const pts = g.edges[0]!.pts;
    const ends = [pts[0]!, pts[pts.length - 1]!].sort((a, b) => a[0] - b[0]);
    expect(ends).toEqual([
      [2.5, 5.5],
      [10.5, 5.5],
    ]);
    for (const p of pts) expect(p[1]).toBe(5.5);
    expect(g.edges[0]!.lengthPx).toBe(8);
    expect(g.nodes.every((n) => n.end)).toBe(true);
  });

  it("removes the loop a hole too big for the pinhole fill leaves in a wide line", () => {
    // A 9 px wide line with a 4 x 4 px hole in its middle: the skeleton runs round the hole.
    const size = 120;
    const mask = createMask(size, size);
    drawPolyline(
      mask,
      [
        [10.2, 60.3],
        [110.4, 60.3],
      ],
      9,
      1,
    );
    for (let y = 58; y < 62; y++) for (let x = 58; x < 62; x++) mask.data[y * size + x] = 0;
    const r = buildMarkingRaster(mask.data, size, size, 7);
    const img = new Uint8Array(r.labels.length);
    for (let k = 0; k < r.fgCount; k++) img[r.fg[k]!] = 1;
    const skel = thinGuoHall(img, r.stride, r.fg, r.fgCount);
    const g = traceSkeleton(img, r.stride, skel);
    // Two paths joining the same two junctions round the hole: without pruning, two lines.
    const alive = pruneGraph(g, { spurPx: 3, loopPx: 20 });
    contractJunctions(g, alive, 6);
    const chains = buildChains(g, alive, { maxTurnDeg: 25, directionPx: 10 });
    expect(chains).toHaveLength(1);
    expect(chains[0]!.startKind).toBe("free");
    expect(chains[0]!.endKind).toBe("free");
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

/** A graph from node positions and edges given as node pairs (straight two-point edges). */
function graphOf(nodes: [number, number, boolean][], edges: [number, number][]): SkeletonGraph {
  return {
    nodes: nodes.map(([x, y, end]) => ({ x, y, size: 1, end })),
    edges: edges.map(([a, b]) => {
      const pts: Pt[] = [
        [nodes[a]![0], nodes[a]![1]],
        [nodes[b]![0], nodes[b]![1]],
      ];
      return { a, b, pts, lengthPx: Math.hypot(pts[1]![0] - pts[0]![0], pts[1]![1] - pts[0]![1]) };
    }),
  };
}

describe("pruning and pairing the skeleton graph", () => {
  it("drops a free branch into a junction shorter than the spur length, and only that", () => {
    // A line through a junction at (50, 0), with a 4 px and a 7 px branch off it (spurs below 6 px).
    const g = graphOf(
      [
        [0, 0, true],
        [50, 0, false],
        [100, 0, true],
        [50, 4, true],
        [50, -7, true],
      ],
      [
        [0, 1],
        [1, 2],
        [1, 3],
        [1, 4],
      ],
    );
    expect(Array.from(pruneGraph(g, { spurPx: 6, loopPx: 6 }))).toEqual([1, 1, 0, 1]);
  });

  it("continues a line through a junction along the straighter of two branches", () => {
    // A gore: the line comes in from the west; one branch leaves 5° off straight, the other 20°.
    const deg = Math.PI / 180;
    const g = graphOf(
      [
        [-60, 0, true],
        [0, 0, false],
        [60 * Math.cos(20 * deg), 60 * Math.sin(20 * deg), true],
        [60 * Math.cos(5 * deg), 60 * Math.sin(5 * deg), true],
      ],
      [
        [0, 1],
        [1, 2],
        [1, 3],
      ],
    );
    const chains = buildChains(g, new Uint8Array([1, 1, 1]), { maxTurnDeg: 25, directionPx: 10 });
    expect(chains).toHaveLength(2);
    const through = chains.find((c) => c.pts.length === 3)!;
    const far = [through.pts[0]!, through.pts[2]!].find((p) => p[0] > 0)!;
    expect(far[1]).toBeCloseTo(60 * Math.sin(5 * deg), 9);
    const branch = chains.find((c) => c.pts.length === 2)!;
    expect(branch.pts.some((p) => p[0] === 0 && p[1] === 0)).toBe(true);
    expect([branch.startKind, branch.endKind].sort()).toEqual(["free", "junction"]);
  });
});
