import { describe, expect, it } from "vitest";
import { mergeAll, mergeDuplicates, mergeGeometry } from "./merge.js";
import { resolveParams } from "./params.js";
import { plain } from "./polyline.js";
import { lanesAt, ROAD_LANES, SCENE_SIZE_M } from "./scenes.js";
import { coverageOf, cropScene, makeScene, metresToPx } from "./synthetic.js";
import type { MeasuredLine, Pt } from "./types.js";
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
