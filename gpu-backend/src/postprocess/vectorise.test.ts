import { laneClassById } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { DEFAULT_PARAMS } from "./params.js";
import { lanesAt, ROAD_LANES, SCENE_SIZE_M } from "./scenes.js";
import { coverageOf, makeScene, meanOffsetPx, metresToPx, type SynthLane } from "./synthetic.js";
import type { MeasuredLine } from "./types.js";
import { vectorise } from "./vectorise.js";

function sceneAt(gsd: number, extra: { logits?: boolean; blobs?: number } = {}) {
  const size = Math.ceil(SCENE_SIZE_M / gsd);
  return makeScene(lanesAt(ROAD_LANES, gsd), {
    width: size,
    height: size,
    gsdM: gsd,
    blobs: extra.blobs ?? Math.round((size * size) / 4000),
    seed: 7,
    ...(extra.logits ? { logits: true } : {}),
  });
}

/** Recovered lines lying along a truth polyline (most of the line within 0.5 m of it). */
function along(lines: readonly MeasuredLine[], truthPx: [number, number][], gsd: number): MeasuredLine[] {
  return lines.filter((l) => coverageOf(l.line.pts, truthPx, 0.5 / gsd) > 0.5);
}

describe.each([0.1, 0.2, 0.3])("vectorise a road scene at %s m/px", (gsd) => {
  const result = vectorise(sceneAt(gsd), { groundResolutionM: gsd });

  it("keeps exactly one line per marking and removes every noise blob", () => {
    expect(result.lines).toHaveLength(ROAD_LANES.length);
    // Every blob was seen and rejected (they are tiny: the length rule removes them).
    expect(result.rejected.length).toBeGreaterThan(0);
    for (const r of result.rejected) expect(r.line.lengthM).toBeLessThan(1.5);
  });

  it.each(ROAD_LANES.map((t) => [t.name, t] as const))("recovers the %s line", (_, truth) => {
    const truthPx = metresToPx(truth.points, gsd);
    const found = along(result.lines, truthPx, gsd);
    expect(found).toHaveLength(1);
    const line = found[0]!;
    expect(line.classId).toBe(truth.classId);
    expect(line.dashed).toBe(laneClassById(truth.classId).dashed);
    // Position: mean offset from the true centreline, and the whole truth is covered.
    // Within 0.5 m as required, and in fact within half a pixel (the label mask's own quantisation).
    const offsetPx = meanOffsetPx(line.line.pts, truthPx);
    expect(offsetPx * gsd).toBeLessThan(0.5);
    expect(offsetPx).toBeLessThan(0.5);
    expect(coverageOf(truthPx, line.line.pts, 0.5 / gsd)).toBeGreaterThan(0.97);
    // Length within 2 %.
    expect(Math.abs(line.lengthM - truth.lengthM) / truth.lengthM).toBeLessThan(0.02);
    // Confidence is the model's, not a constant: about 0.9 on paint.
    expect(line.confidence).toBeGreaterThan(0.6);
    expect(line.confidence).toBeLessThan(0.95);
    if (truth.dashed) {
      expect(line.dash).not.toBeNull();
      expect(line.dash!.count).toBe(4);
      expect(line.dash!.meanDashM).toBeCloseTo(truth.dashed.dashM, 0);
      expect(line.dash!.meanGapM).toBeCloseTo(truth.dashed.gapM, 0);
    } else {
      expect(line.dash).toBeNull();
    }
  });

  it("measures widths that the label rule explains", () => {
    for (const l of result.lines) {
      const label = laneClassById(l.classId).labelWidthM;
      const expectedPx = Math.max(3, Math.ceil(label / gsd - 1e-9));
      expect(Math.abs(l.widthPx - expectedPx)).toBeLessThan(0.75);
      // Resolved only beyond the floor plus the model's blur allowance (2.5 px).
      expect(l.widthResolved).toBe(expectedPx > 3 + DEFAULT_PARAMS.floorSlackPx);
    }
  });
});

describe("vectorise: width resolution", () => {
  it("resolves a width only where the mask is wider than the label floor plus the blur allowance", () => {
    // At 0.05 m/px a double line's label (0.4 m) is 8 px: measurable; a single one stays at 3 px.
    const gsd = 0.05;
    const lines = vectorise(sceneAt(gsd), { groundResolutionM: gsd }).lines;
    const doubles = lines.filter((l) => laneClassById(l.classId).double);
    const singles = lines.filter((l) => !laneClassById(l.classId).double);
    expect(doubles.length).toBeGreaterThan(0);
    expect(singles.length).toBeGreaterThan(0);
    for (const l of doubles) {
      expect(l.widthResolved).toBe(true);
      expect(l.widthM).toBeCloseTo(laneClassById(l.classId).labelWidthM, 1);
    }
    for (const l of singles) expect(l.widthResolved).toBe(false);
  });

  it("counts the imagery's own pixels where the imagery is coarser than the grid (resampled up)", () => {
    // The same 0.05 m/px raster made from 0.1 m imagery: a 0.4 m double line is 4 imagery pixels,
    // within the floor plus blur (5.5 px, 0.55 m), so no width is resolved; 0.05 m imagery changes nothing.
    const gsd = 0.05;
    const upsampled = vectorise(sceneAt(gsd), { groundResolutionM: gsd, sourceResolutionM: 0.1 }).lines;
    const doubles = upsampled.filter((l) => laneClassById(l.classId).double);
    expect(doubles.length).toBeGreaterThan(0);
    for (const l of doubles) expect(l.widthResolved).toBe(false);
    const native = vectorise(sceneAt(gsd), { groundResolutionM: gsd, sourceResolutionM: 0.05 }).lines;
    expect(native.filter((l) => l.widthResolved).length).toBe(doubles.length);
  });
});

describe("vectorise: inputs and options", () => {
  const gsd = 0.2;

  it("gives the same lines for logits as for probabilities", () => {
    const a = vectorise(sceneAt(gsd), { groundResolutionM: gsd });
    const b = vectorise(sceneAt(gsd, { logits: true }), { groundResolutionM: gsd });
    expect(b.lines.map((l) => l.classId)).toEqual(a.lines.map((l) => l.classId));
    b.lines.forEach((l, i) => {
      expect(l.lengthM).toBeCloseTo(a.lines[i]!.lengthM, 6);
      expect(l.confidence).toBeCloseTo(a.lines[i]!.confidence, 5);
    });
  });

  it("computes the argmax itself when no class ids are given", () => {
    const scene = sceneAt(gsd);
    const a = vectorise(scene, { groundResolutionM: gsd });
    const { classIds: _, ...noIds } = scene;
    const b = vectorise(noIds, { groundResolutionM: gsd });
    expect(b.lines.map((l) => [l.classId, l.lengthM])).toEqual(a.lines.map((l) => [l.classId, l.lengthM]));
  });

  it("reports no dash statistics where the model is equally sure of dashes and gaps", () => {
    const pts = metresToPx(
      [
        [3, 10],
        [40, 10],
      ],
      gsd,
    );
    const scene = makeScene([{ classId: 2, points: pts }], { width: 220, height: 100, gsdM: gsd });
    const [line] = vectorise(scene, { groundResolutionM: gsd }).lines;
    expect(line?.dashed).toBe(true);
    expect(line?.dash).toBeNull();
  });

  it("withdraws a dash pattern outside the national ranges and keeps the line (two dashes run together)", () => {
    // 10 m dashes, 3 m gaps: three dashes over 36 m, two gaps seen. Too few gaps to condemn the
    // line (dashPatternMinGaps), enough to measure (dashStatsMinGaps): the line stays, dashed, and
    // its 10 m "dash" is not reported. A 3 m / 9 m line beside it keeps its pattern as measured.
    const run = (dash: { dashM: number; gapM: number }) => {
      const pts = metresToPx(
        [
          [2, 10],
          [38, 10],
        ],
        gsd,
      );
      const scene = makeScene([{ classId: 2, points: pts, dash: { ...dash, gaps: "uncertain" } }], {
        width: Math.ceil(40 / gsd),
        height: Math.ceil(20 / gsd),
        gsdM: gsd,
      });
      return vectorise(scene, { groundResolutionM: gsd }).lines;
    };
    const merged = run({ dashM: 10, gapM: 3 });
    expect(merged).toHaveLength(1);
    expect(merged[0]!.dashed).toBe(true);
    expect(merged[0]!.lengthM).toBeGreaterThan(30);
    expect(merged[0]!.dash).toBeNull();
    const plausible = run({ dashM: 3, gapM: 9 });
    expect(plausible).toHaveLength(1);
    expect(plausible[0]!.dash?.meanDashM).toBeCloseTo(3, 0);
    expect(plausible[0]!.dash?.meanGapM).toBeCloseTo(9, 0);
  });

  it("keeps only the requested classes", () => {
    const r = vectorise(sceneAt(gsd), { groundResolutionM: gsd, classes: [2, 4] });
    expect(r.lines.map((l) => l.classId).sort()).toEqual([2, 4]);
  });

  it("clips lines to the requested area and measures the part inside", () => {
    // Keep the left half of the scene: the straight line (3 m .. 39.7 m in x) is cut at x = 20 m.
    const x = 20 / gsd;
    const size = SCENE_SIZE_M / gsd;
    const clip = {
      rings: [
        [
          [0, 0],
          [x, 0],
          [x, size],
          [0, size],
          [0, 0],
        ] as [number, number][],
      ],
    };
    const r = vectorise(sceneAt(gsd), { groundResolutionM: gsd, clip });
    for (const l of r.lines) for (const p of l.line.pts) expect(p[0]).toBeLessThanOrEqual(x + 1e-9);
    const straight = ROAD_LANES[0]!;
    const truthInside = (20 - 3) / Math.cos(0.13);
    const found = along(r.lines, metresToPx(straight.points, gsd), gsd).filter((l) => l.classId === 1);
    expect(found).toHaveLength(1);
    expect(found[0]!.endKind === "clip" || found[0]!.startKind === "clip").toBe(true);
    expect(Math.abs(found[0]!.lengthM - truthInside) / truthInside).toBeLessThan(0.02);
  });

  it("rejects a ground resolution that is not positive", () => {
    expect(() => vectorise(sceneAt(gsd), { groundResolutionM: 0 })).toThrow(RangeError);
  });
});

describe("vectorise: hostile model output", () => {
  it("returns nothing for a raster without markings", () => {
    const scene = makeScene([], { width: 200, height: 150, gsdM: 0.2 });
    const r = vectorise(scene, { groundResolutionM: 0.2 });
    expect(r.lines).toEqual([]);
    expect(r.rejected).toEqual([]);
  });

  it("drops a field painted as marking quickly, keeping a line that runs into it", () => {
    const gsd = 0.1;
    const size = 800;
    const fieldPx = metresToPx(
      [
        [40, 20],
        [40, 60],
      ],
      gsd,
    );
    const line = metresToPx(
      [
        [3.013, 40.021],
        [30.013, 40.021],
      ],
      gsd,
    );
    // A 30 m wide "marking" (a mis-segmented roof or field) and a solid line ending in it.
    const scene = makeScene(
      [
        { classId: 1, points: fieldPx, paintWidthM: 30 },
        { classId: 1, points: [line[0]!, [fieldPx[0]![0], line[1]![1]]] },
      ],
      { width: size, height: size, gsdM: gsd },
    );
    const t0 = performance.now();
    const r = vectorise(scene, { groundResolutionM: gsd });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.wideRegionPixels).toBeGreaterThan(150_000);
    const kept = r.lines.filter((l) => coverageOf(l.line.pts, line, 5) > 0.5);
    expect(kept).toHaveLength(1);
    // The line outside the field (3 m to 25 m) survives.
    expect(kept[0]!.lengthM).toBeGreaterThan(20);
  });

  it("drops a whole raster of marking", () => {
    const size = 600;
    const classIds = new Uint8Array(size * size).fill(1);
    const data = new Float32Array(7 * size * size);
    data.fill(0.9, size * size, 2 * size * size);
    const r = vectorise(
      { width: size, height: size, classIds, scores: { data, channels: 7, kind: "probabilities" } },
      { groundResolutionM: 0.1 },
    );
    expect(r.lines).toEqual([]);
  });
});

describe("smoothing of the lines kept", () => {
  it("takes a ragged mask's wobble out of the reported line", () => {
    // A white solid line along y = 100 whose mask wanders +-1.2 px with a period of 10 px, as the
    // model's mask edges do; 0.25 m/px.
    const gsd = 0.25;
    const wobbly: [number, number][] = [];
    for (let x = 20; x <= 380; x += 0.5) wobbly.push([x, 100 + 1.2 * Math.sin((x * 2 * Math.PI) / 10)]);
    const scene = makeScene([{ classId: 1, points: wobbly }], {
      width: 400,
      height: 200,
      gsdM: gsd,
      seed: 3,
    });
    const straight: [number, number][] = [
      [20, 100],
      [380, 100],
    ];
    const offset = (sigma: number) => {
      const r = vectorise(scene, { groundResolutionM: gsd, params: { smoothSigmaPx: sigma } });
      expect(r.lines).toHaveLength(1);
      return { px: meanOffsetPx(r.lines[0]!.line.pts, straight), lengthM: r.lines[0]!.lengthM };
    };
    const raw = offset(0);
    const smooth = offset(4);
    // Measured: 0.40 px off the straight centre unsmoothed, 0.06 px smoothed.
    expect(raw.px).toBeGreaterThan(0.3);
    expect(smooth.px).toBeLessThan(raw.px / 4);
    // Measured again after smoothing: the wobble's extra length is gone too (93.9 m -> 89.7 m).
    expect(smooth.lengthM).toBeLessThan(raw.lengthM);
    expect(smooth.lengthM).toBeCloseTo(90, 0);
  });
});

describe("vectorise: what each stage leaves in the output", () => {
  /** One scene of the given lanes (metres in), `w` x `h` metres. */
  const scene = (gsd: number, w: number, h: number, lanes: SynthLane[]) =>
    makeScene(
      lanes.map((l) => ({ ...l, points: metresToPx(l.points, gsd) })),
      { width: Math.ceil(w / gsd), height: Math.ceil(h / gsd), gsdM: gsd },
    );
  const rect = (x0: number, x1: number, h: number) => ({
    rings: [
      [
        [x0, 0],
        [x1, 0],
        [x1, h],
        [x0, h],
        [x0, 0],
      ] as [number, number][],
    ],
  });

  it("cuts a 70 m line at its one sharp kink and keeps both parts, where judged whole it would go", () => {
    const gsd = 0.25;
    const a = (70 * Math.PI) / 180;
    const s = scene(gsd, 55, 40, [
      {
        classId: 1,
        points: [
          [3.013, 3.021],
          [38, 3.021],
          [38 + 35 * Math.cos(a), 3.021 + 35 * Math.sin(a)],
        ],
      },
    ]);
    const r = vectorise(s, { groundResolutionM: gsd });
    expect(r.rejected).toEqual([]);
    expect(r.lines).toHaveLength(2);
    for (const l of r.lines) expect(l.lengthM).toBeGreaterThan(30);
  });

  it("does not cut a line where a metre of it reads as another class", () => {
    const gsd = 0.2;
    const s = scene(gsd, 36, 10, [
      {
        classId: 1,
        points: [
          [3.013, 5.021],
          [33.013, 5.021],
        ],
      },
      {
        classId: 3,
        points: [
          [17.013, 5.021],
          [18.013, 5.021],
        ],
      },
    ]);
    const { lines } = vectorise(s, { groundResolutionM: gsd });
    expect(lines.map((l) => l.classId)).toEqual([1]);
    expect(lines[0]!.lengthM).toBeCloseTo(30, 0);
  });

  it("gives a line that changes class two lines meeting where it changes, untrimmed there", () => {
    // 15 m of white solid, then 15 m of yellow solid, end to end.
    const gsd = 0.2;
    const s = scene(gsd, 36, 10, [
      {
        classId: 1,
        points: [
          [3.013, 5.021],
          [18.013, 5.021],
        ],
      },
      {
        classId: 3,
        points: [
          [18.013, 5.021],
          [33.013, 5.021],
        ],
      },
    ]);
    const { lines } = vectorise(s, { groundResolutionM: gsd });
    expect(lines.map((l) => [l.classId, l.startKind, l.endKind])).toEqual([
      [1, "free", "split"],
      [3, "split", "free"],
    ]);
    const [e, b] = [lines[0]!.line.pts.at(-1)!, lines[1]!.line.pts[0]!];
    expect(Math.hypot(e[0] - b[0], e[1] - b[1])).toBeLessThan(0.25);
    expect(lines[0]!.lengthM + lines[1]!.lengthM).toBeCloseTo(30, 0);
  });

  it("drops a clipped piece shorter than minClippedLengthM (a sliver at the area's edge)", () => {
    const gsd = 0.2;
    const s = scene(gsd, 32, 10, [
      {
        classId: 1,
        points: [
          [3.013, 5.021],
          [30.013, 5.021],
        ],
      },
    ]);
    const [whole] = vectorise(s, { groundResolutionM: gsd }).lines;
    const x0 = Math.min(...whole!.line.pts.map((p) => p[0]));
    // The area ends 0.1 m past the line's start.
    const r = vectorise(s, { groundResolutionM: gsd, clip: rect(0, x0 + 0.5, 50) });
    expect(r.lines).toEqual([]);
  });

  /**
   * A 30 m double white line along y = 2.521 m at 0.05 m/px (8 px wide), and `hole(x, y)`, which
   * makes a pixel background as the model would see it.
   */
  const doubleLine = () => {
    const gsd = 0.05;
    const s = scene(gsd, 35, 5, [
      {
        classId: 5,
        points: [
          [3.013, 2.521],
          [33.013, 2.521],
        ],
      },
    ]);
    const plane = s.width * s.height;
    const hole = (x: number, y: number) => {
      const i = y * s.width + x;
      s.classIds![i] = 0;
      for (let c = 0; c < 7; c++) s.scores.data[c * plane + i] = c === 0 ? 0.9 : 0.1 / 6;
    };
    return { gsd, s, yc: Math.floor(2.521 / gsd), hole };
  };

  it("merges the two branches a double line traces into where the model sees its strokes apart", () => {
    // A 2 px gap along the double line's middle for 10 m.
    const { gsd, s, yc, hole } = doubleLine();
    for (let x = Math.round(13 / gsd); x < Math.round(23 / gsd); x++) {
      for (const y of [yc - 1, yc]) hole(x, y);
    }
    const { lines } = vectorise(s, { groundResolutionM: gsd });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.lengthM).toBeCloseTo(30, 0);
    expect([lines[0]!.startKind, lines[0]!.endKind]).toEqual(["free", "free"]);
  });

  it("reads a double line peppered with pinholes as one line as wide as its label", () => {
    const { gsd, s, yc, hole } = doubleLine();
    // A one-pixel hole every 2 px along the line, wandering across its middle 6 rows.
    for (let x = 80; x < 640; x += 2) hole(x, yc - 3 + ((x * 7) % 6));
    const { lines } = vectorise(s, { groundResolutionM: gsd });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.lengthM).toBeCloseTo(30, 0);
    expect(lines[0]!.widthM).toBeCloseTo(0.4, 2);
  });

  it("gives a piece of a dashed line that lies wholly in a gap inside the area its line's width and confidence", () => {
    // 3 m dashes and 9 m gaps the model calls background (bridged); the area holds only 5.5-8.5 m
    // of the line, inside its first gap: nothing of the piece is paint the model saw.
    const gsd = 0.2;
    const s = scene(gsd, 44, 10, [
      {
        classId: 2,
        points: [
          [2.013, 5.021],
          [41.013, 5.021],
        ],
        dash: { dashM: 3, gapM: 9, gaps: "background" },
      },
    ]);
    const [whole] = vectorise(s, { groundResolutionM: gsd }).lines;
    expect(whole!.confidence).toBeGreaterThan(0.5);
    const [piece, ...more] = vectorise(s, {
      groundResolutionM: gsd,
      clip: rect((2.013 + 5.5) / gsd, (2.013 + 8.5) / gsd, 50),
    }).lines;
    expect(more).toEqual([]);
    expect(piece!.line.bridged.every((b) => b)).toBe(true);
    expect(piece!.lengthM).toBeCloseTo(3, 0);
    expect(piece!.widthPx).toBe(whole!.widthPx);
    expect(piece!.widthResolved).toBe(whole!.widthResolved);
    expect(piece!.confidence).toBe(whole!.confidence);
    // The area ending a fraction of a pixel into the next dash (which starts at 12 m): too little
    // paint for a cross-section, so the piece still reports a width a marking can have.
    for (const sliverPx of [0.3, 0.6]) {
      const [cut, ...others] = vectorise(s, {
        groundResolutionM: gsd,
        clip: rect((2.013 + 8.5) / gsd, (2.013 + 12) / gsd + sliverPx, 50),
      }).lines;
      expect(others).toEqual([]);
      expect(cut!.widthM, `${sliverPx} px`).toBeGreaterThanOrEqual(0.05);
      expect(cut!.widthM, `${sliverPx} px`).toBeLessThanOrEqual(0.8);
      expect(cut!.confidence, `${sliverPx} px`).toBeGreaterThan(0.5);
    }
  });

  it("leaves a dash cut by the area's edge out of the mean dash", () => {
    // 3 m dashes, 9 m gaps; the area ends 2 m into the third dash.
    const gsd = 0.2;
    const s = scene(gsd, 52, 10, [
      {
        classId: 2,
        points: [
          [2.013, 5.021],
          [50.013, 5.021],
        ],
        dash: { dashM: 3, gapM: 9, gaps: "uncertain" },
      },
    ]);
    const [whole] = vectorise(s, { groundResolutionM: gsd }).lines;
    const [clipped] = vectorise(s, { groundResolutionM: gsd, clip: rect(0, (2.013 + 26) / gsd, 50) }).lines;
    expect(clipped!.endKind).toBe("clip");
    expect(clipped!.dash?.gapCount).toBe(2);
    expect(Math.abs(clipped!.dash!.meanDashM - whole!.dash!.meanDashM)).toBeLessThan(0.1);
  });
});
