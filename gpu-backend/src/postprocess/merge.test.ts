import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type GeometryMerge,
  type MergeGeometryOptions,
  mergeAll,
  mergeDuplicates,
  mergeGeometry,
} from "./merge.js";
import { resolveParams } from "./params.js";
import {
  arcLengths,
  distanceToPolyline,
  lengthOf,
  plain,
  reversePolyline,
  sampleAlong,
  slicePolyline,
} from "./polyline.js";
import { lanesAt, ROAD_LANES, SCENE_SIZE_M } from "./scenes.js";
import { coverageOf, cropScene, makeScene, metresToPx } from "./synthetic.js";
import type { MeasuredLine, Polyline, Pt } from "./types.js";
import { vectorise } from "./vectorise.js";

const opts = { tolerance: 3, minOverlap: 0.7, minSeamOverlap: 10 };
const line = (x0: number, x1: number, y: number): Pt[] => [
  [x0, y],
  [x1, y],
];

describe("mergeGeometry", () => {
  it("swallows a shorter line lying along a longer one", () => {
    const m = mergeGeometry(plain(line(0, 100, 50)), plain(line(20, 80, 51.5)), opts);
    expect(m).not.toBeNull();
    expect(m!.line.pts).toEqual(line(0, 100, 50));
  });

  it("joins two lines that overlap end to end (a tile seam), in either direction", () => {
    for (const b of [line(80, 160, 50.5), line(160, 80, 50.5)]) {
      const m = mergeGeometry(plain(line(0, 100, 50)), plain(b), opts);
      expect(m).not.toBeNull();
      const xs = m!.line.pts.map((p) => p[0]);
      expect(Math.min(...xs)).toBe(0);
      expect(Math.max(...xs)).toBeCloseTo(160, 6);
      // Monotonic: the union runs one way.
      for (let i = 1; i < xs.length; i++) expect(xs[i]!).toBeGreaterThan(xs[i - 1]!);
    }
  });

  it("keeps apart parallel lines further than the tolerance, crossings and touching ends", () => {
    expect(mergeGeometry(plain(line(0, 100, 50)), plain(line(0, 100, 55)), opts)).toBeNull();
    const crossing: Pt[] = [
      [50, 0],
      [50, 100],
    ];
    expect(mergeGeometry(plain(line(0, 100, 50)), plain(crossing), opts)).toBeNull();
    expect(mergeGeometry(plain(line(0, 100, 50)), plain(line(101, 200, 50)), opts)).toBeNull();
  });

  it("never merges lines of different classes", () => {
    const items = [
      { classId: 1, line: plain(line(0, 100, 50)) },
      { classId: 2, line: plain(line(0, 100, 50)) },
    ];
    expect(mergeAll(items, opts, (a) => a)).toHaveLength(2);
  });
});

describe("mergeDuplicates across overlapping tiles", () => {
  const gsd = 0.1;
  const size = Math.ceil(SCENE_SIZE_M / gsd);
  const scene = makeScene(lanesAt(ROAD_LANES, gsd), { width: size, height: size, gsdM: gsd, seed: 5 });
  // Two tiles overlapping by 10 m, as tiled inference without stitching would produce them.
  const left = vectorise(cropScene(scene, 0, 0, 400, size), { groundResolutionM: gsd }).lines;
  const right = vectorise(cropScene(scene, 300, 0, size - 300, size), { groundResolutionM: gsd }).lines.map(
    (l): MeasuredLine => ({ ...l, line: { ...l.line, pts: l.line.pts.map(([x, y]) => [x + 300, y] as Pt) } }),
  );
  const merged = mergeDuplicates([...left, ...right], { gsdM: gsd, params: resolveParams() });

  it("sees lines twice before merging, once after", () => {
    expect(left.length + right.length).toBeGreaterThan(ROAD_LANES.length + 3);
    expect(merged.length).toBeLessThanOrEqual(ROAD_LANES.length + 1);
  });

  // Merging joins what overlaps; it does not bridge. A dashed line whose gaps the model left
  // unlabelled loses the dash cut by the seam in one tile and keeps a gap in the other, so its two
  // halves never overlap: such output has to be vectorised from the stitched raster (as
  // runtime/tiling.ts stitches it), not merged afterwards.
  const seamSafe = ROAD_LANES.filter((t) => t.lane.dash?.gaps !== "background");

  it("gives one line per marking, as long as the marking", () => {
    for (const t of seamSafe) {
      const truthPx = metresToPx(t.points, gsd);
      const found = merged.filter((l) => coverageOf(l.line.pts, truthPx, 0.5 / gsd) > 0.5);
      expect(found, t.name).toHaveLength(1);
      expect(found[0]!.classId).toBe(t.classId);
      expect(Math.abs(found[0]!.lengthM - t.lengthM) / t.lengthM, t.name).toBeLessThan(0.02);
      if (t.dashed) {
        expect(found[0]!.dash?.meanDashM).toBeCloseTo(t.dashed.dashM, 0);
        expect(found[0]!.dash?.count).toBeGreaterThanOrEqual(4);
        expect(found[0]!.dash?.count).toBeLessThanOrEqual(5);
      }
    }
  });
});

/*
 * The plain algorithm mergeAll and mergeGeometry must reproduce exactly: every pair sampled in
 * full, and after each merge a rescan from the first pair. Merge order shapes the result, so
 * any shortcut in the real ones has to give the same lines, the same numbers and the same
 * sequence of merges.
 */
function referenceGeometry(a: Polyline, b: Polyline, o: MergeGeometryOptions): GeometryMerge | null {
  const cover = (l: Polyline) => {
    const samples = sampleAlong(l, o.tolerance / 2);
    const lenB = lengthOf(l.pts);
    if (samples.length === 0 || samples[samples.length - 1]!.s < lenB - 1e-9) {
      const p = l.pts[l.pts.length - 1]!;
      samples.push({ x: p[0], y: p[1], s: lenB, dx: 0, dy: 0, bridged: false });
    }
    const arcA = arcLengths(a.pts);
    const near = samples.map((q) => distanceToPolyline([q.x, q.y], a.pts, arcA));
    const covered = near.map((n) => n.d <= o.tolerance);
    return {
      s: samples.map((q) => q.s),
      covered,
      proj: near.map((n) => n.s),
      first: covered.indexOf(true),
      last: covered.lastIndexOf(true),
    };
  };
  const step = o.tolerance / 2;
  const lenA = lengthOf(a.pts);
  let bb = b;
  let c = cover(bb);
  if (c.first < 0) return null;
  if (c.proj[c.last]! < c.proj[c.first]!) {
    bb = reversePolyline(b);
    c = cover(bb);
    if (c.first < 0) return null;
  }
  const { s, covered, proj, first, last } = c;
  const lenB = s[s.length - 1]!;
  let coveredLen = 0;
  let gap = 0;
  for (let i = 0; i + 1 < s.length; i++) {
    if (covered[i] && covered[i + 1]) coveredLen += s[i + 1]! - s[i]!;
    else if (i >= first && i < last) gap += s[i + 1]! - s[i]!;
  }
  const nearStart = proj[first]! <= 2 * o.tolerance;
  const nearEnd = lenA - proj[last]! <= 2 * o.tolerance;
  const hasPrefix = s[first]! > step;
  const hasSuffix = lenB - s[last]! > step;
  const duplicate = coveredLen >= o.minOverlap * Math.min(lenA, lenB);
  const seam =
    coveredLen >= o.minSeamOverlap &&
    gap <= 2 * o.tolerance &&
    (!hasPrefix || nearStart) &&
    (!hasSuffix || nearEnd) &&
    (hasPrefix || hasSuffix);
  if (!duplicate && !seam) return null;
  const addedStart = hasPrefix && nearStart;
  const addedEnd = hasSuffix && nearEnd;
  const parts = [
    addedStart ? slicePolyline(bb, 0, s[first]!) : null,
    a,
    addedEnd ? slicePolyline(bb, s[last]!, lenB) : null,
  ];
  const line: Polyline = { pts: [], bridged: [] };
  for (const part of parts) {
    if (!part || part.pts.length === 0) continue;
    if (line.pts.length > 0) line.bridged.push(false);
    line.pts.push(...part.pts.map((p): Pt => [p[0], p[1]]));
    line.bridged.push(...part.bridged);
  }
  return { line, overlap: coveredLen, reversedB: bb !== b, addedStart, addedEnd };
}

function referenceMergeAll<T extends { classId: number; line: Polyline }>(
  items: readonly T[],
  o: MergeGeometryOptions,
  combine: (a: T, b: T, m: GeometryMerge) => T,
): T[] {
  const out = items.slice();
  const box = (l: T) => {
    const xs = l.line.pts.map((p) => p[0]);
    const ys = l.line.pts.map((p) => p[1]);
    return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] as const;
  };
  for (;;) {
    let found: [number, number] | null = null;
    for (let i = 0; i < out.length && !found; i++) {
      for (let j = i + 1; j < out.length && !found; j++) {
        const [x, y] = [out[i]!, out[j]!];
        const [p, q] = [box(x), box(y)];
        const pad = o.tolerance;
        if (x.classId !== y.classId) continue;
        if (!(p[0] - pad <= q[2] && q[0] - pad <= p[2] && p[1] - pad <= q[3] && q[1] - pad <= p[3])) continue;
        const [a, b, ia, ib] = lengthOf(x.line.pts) >= lengthOf(y.line.pts) ? [x, y, i, j] : [y, x, j, i];
        const m = referenceGeometry(a.line, b.line, o);
        if (!m) continue;
        out[ia] = combine(a, b, m);
        out.splice(ib, 1);
        found = [i, j];
      }
    }
    if (!found) return out;
  }
}

interface Named {
  classId: number;
  line: Polyline;
  name: string;
}

/** Runs a merge with a combine that names the union after its parts and logs every merge. */
function traced(
  run: (
    items: Named[],
    o: MergeGeometryOptions,
    combine: (a: Named, b: Named, m: GeometryMerge) => Named,
  ) => Named[],
  items: Named[],
  o: MergeGeometryOptions,
) {
  const log: string[] = [];
  const lines = run(items, o, (a, b, m) => {
    log.push(`${a.name}+${b.name}`);
    return { classId: a.classId, line: m.line, name: `(${a.name}+${b.name})` };
  });
  return { log, lines };
}

const named = (name: string, pts: Pt[], classId = 1): Named => ({ classId, line: plain(pts), name });

describe("mergeDuplicates: the measures of a union", () => {
  const measured = (
    pts: Pt[],
    m: Pick<MeasuredLine, "startKind" | "endKind" | "widthPx" | "widthResolved" | "confidence">,
  ): MeasuredLine => {
    const lengthPx = lengthOf(pts);
    return {
      classId: 1,
      line: plain(pts),
      lengthPx,
      lengthM: lengthPx * 0.1,
      widthM: m.widthPx * 0.1,
      dashed: false,
      dash: null,
      ...m,
    };
  };

  it("takes the ends, width and confidence of a line joined end to end from both, by length", () => {
    // A 100 px line and a 50 px one overlapping its start by 20 px, cut by the raster's edge there.
    const a = measured(line(0, 100, 50), {
      startKind: "free",
      endKind: "junction",
      widthPx: 3,
      widthResolved: false,
      confidence: 0.9,
    });
    const b = measured(line(20, -30, 50.5), {
      startKind: "free",
      endKind: "border",
      widthPx: 6,
      widthResolved: true,
      confidence: 0.6,
    });
    const merged = mergeDuplicates([a, b], { gsdM: 0.1, params: resolveParams() });
    expect(merged).toHaveLength(1);
    const u = merged[0]!;
    expect(u.line.pts[0]![0]).toBeCloseTo(-30, 6);
    expect(u.line.pts.at(-1)![0]).toBe(100);
    expect([u.startKind, u.endKind]).toEqual(["border", "junction"]);
    expect(u.widthPx).toBeCloseTo(4, 9);
    expect(u.confidence).toBeCloseTo(0.8, 9);
    expect(u.widthResolved).toBe(true);
  });
});

describe("mergeAll merge order", () => {
  it("merges the first pair in list order: a short line between two that stay apart joins the first", () => {
    const items = [named("X", line(0, 100, 0)), named("Y", line(0, 100, 5)), named("Z", line(20, 80, 2.5))];
    const r = traced(mergeAll, items, opts);
    expect(r.log).toEqual(["X+Z"]);
    expect(r.lines.map((l) => l.name)).toEqual(["(X+Z)", "Y"]);
  });

  it("tries an earlier line again against a union made later in the list", () => {
    // A and B are apart, A and D overlap too little; D extends B back towards A's end.
    const items = [
      named("A", [
        [11, 1],
        [162, 2],
      ]),
      named("B", [
        [165, 4],
        [270, 5],
      ]),
      named("D", [
        [155, 1],
        [243, 3],
      ]),
    ];
    const r = traced(mergeAll, items, opts);
    expect(r.log).toEqual(["B+D", "A+(B+D)"]);
    expect(r).toStrictEqual(traced(referenceMergeAll, items, opts));
  });

  it("decides at the tolerance itself, also far from the origin", () => {
    for (const origin of [0, 1e5]) {
      const a = plain(line(origin, origin + 100, origin + 50));
      for (const [dy, merges] of [
        [3 - 1e-6, true],
        [3 + 1e-6, false],
      ] as const) {
        const b = plain(line(origin + 10, origin + 90, origin + 50 + dy));
        const m = mergeGeometry(a, b, opts);
        expect(m !== null, `${origin} ${dy}`).toBe(merges);
        expect(m).toStrictEqual(referenceGeometry(a, b, opts));
      }
    }
  });

  // Pieces of a few tracks, shifted across them by about the tolerance, some reversed, some of
  // another class, some exact copies (equal lengths), some far from the origin (rounding).
  const pieceArb = fc.record({
    track: fc.nat(3),
    t0: fc.double({ min: -0.2, max: 0.9, noNaN: true }),
    span: fc.double({ min: 0.05, max: 1.2, noNaN: true }),
    // Across the track in tolerances; often just inside or outside it, where shortcuts go wrong.
    offset: fc.oneof(
      fc.double({ min: -2, max: 2, noNaN: true }),
      fc.constantFrom(-1.001, -0.999, 0.999, 1.001, 0.9, 1.1),
    ),
    wobble: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.6, noNaN: true })),
    vertices: fc.integer({ min: 2, max: 6 }),
    reverse: fc.boolean(),
    classId: fc.constantFrom(1, 1, 1, 2),
    copy: fc.boolean(),
  });
  const sceneArb = fc.record({
    tracks: fc.array(
      fc.record({
        x: fc.integer({ min: 0, max: 120 }),
        y: fc.integer({ min: 0, max: 120 }),
        angle: fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }),
        bend: fc.double({ min: -0.6, max: 0.6, noNaN: true }),
        length: fc.integer({ min: 40, max: 160 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    pieces: fc.array(pieceArb, { minLength: 2, maxLength: 12 }),
    origin: fc.constantFrom(0, 0, 0, 1e5),
    tolerance: fc.constantFrom(1, 2, 3),
  });
  const build = (scene: typeof sceneArb extends fc.Arbitrary<infer S> ? S : never) => {
    const tracks = scene.tracks.map((t): Pt[] => {
      const mid: Pt = [t.x + Math.cos(t.angle) * t.length, t.y + Math.sin(t.angle) * t.length];
      const a2 = t.angle + t.bend;
      return [
        [t.x + scene.origin, t.y + scene.origin],
        [mid[0] + scene.origin, mid[1] + scene.origin],
        [mid[0] + Math.cos(a2) * t.length + scene.origin, mid[1] + Math.sin(a2) * t.length + scene.origin],
      ];
    });
    const items: Named[] = [];
    scene.pieces.forEach((p, k) => {
      const prev = items[items.length - 1];
      if (p.copy && prev) {
        items.push({ ...prev, name: `${k}` });
        return;
      }
      const tr = tracks[p.track % tracks.length]!;
      const pts: Pt[] = [];
      for (let v = 0; v < p.vertices; v++) {
        const f = Math.min(Math.max(p.t0 + (p.span * v) / (p.vertices - 1), -0.3), 1.3) * 2;
        const i = f < 1 ? 0 : 1;
        const [a, b] = [tr[i]!, tr[i + 1]!];
        const u = f - i;
        const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
        const off = (p.offset + (v % 2 ? p.wobble : -p.wobble) / 2) * scene.tolerance;
        pts.push([
          a[0] + (b[0] - a[0]) * u - ((b[1] - a[1]) / len) * off,
          a[1] + (b[1] - a[1]) * u + ((b[0] - a[0]) / len) * off,
        ]);
      }
      items.push(named(`${k}`, p.reverse ? pts.reverse() : pts, p.classId));
    });
    return { items, o: { tolerance: scene.tolerance, minOverlap: 0.7, minSeamOverlap: 10 } };
  };

  it("gives exactly what the plain algorithm gives, merge by merge", () => {
    fc.assert(
      fc.property(sceneArb, (scene) => {
        const { items, o } = build(scene);
        expect(traced(mergeAll, items, o)).toStrictEqual(traced(referenceMergeAll, items, o));
        for (const a of items) {
          for (const b of items) {
            if (a !== b)
              expect(mergeGeometry(a.line, b.line, o)).toStrictEqual(referenceGeometry(a.line, b.line, o));
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});
