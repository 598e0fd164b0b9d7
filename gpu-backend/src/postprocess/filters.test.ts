import { describe, expect, it } from "vitest";
import {
  curvatureRule,
  dashPatternRule,
  minLengthRule,
  type PhysicsRule,
  paintWidthRule,
  sinuosity,
  withPlausibleDashes,
  zigzagRule,
} from "./filters.js";
import { resolveParams, type VectoriseParams } from "./params.js";
import { IMPLAUSIBLE_LANES, lanesAt, ROAD_LANES, SCENE_SIZE_M } from "./scenes.js";
import { coverageOf, makeScene, metresToPx } from "./synthetic.js";
import type { MeasuredLine, Pt } from "./types.js";
import { vectorise } from "./vectorise.js";

const RULES: Record<string, PhysicsRule> = {
  min_length: minLengthRule,
  paint_width: paintWidthRule,
  dash_pattern: dashPatternRule,
  curvature: curvatureRule,
  zigzag: zigzagRule,
};

function run(lanes: typeof ROAD_LANES, gsd: number, seed: number, params?: Partial<VectoriseParams>) {
  const size = Math.ceil(SCENE_SIZE_M / gsd);
  const scene = makeScene(lanesAt(lanes, gsd), { width: size, height: size, gsdM: gsd, seed });
  return vectorise(scene, { groundResolutionM: gsd, ...(params ? { params } : {}) });
}

// The 62 m scene shows the implausible 12 m dash pattern over 3 gaps; the shipped rule waits for 7
// (params.ts says why), which needs a longer line than the scene holds. So the implausible lanes are
// vectorised with the rule at 3 gaps, and the threshold itself is tested on its own below.
const SCENE_DASH_GAPS: Partial<VectoriseParams> = { dashPatternMinGaps: 3 };

/** The line (kept or rejected) that lies along a truth polyline. */
function lineAlong(
  lines: readonly MeasuredLine[],
  truth: [number, number][],
  gsd: number,
): MeasuredLine | undefined {
  const px = metresToPx(truth, gsd);
  return lines
    .map((l) => ({ l, c: coverageOf(l.line.pts, px, 0.6 / gsd) }))
    .filter((x) => x.c > 0.5)
    .sort((a, b) => b.l.lengthPx - a.l.lengthPx)[0]?.l;
}

describe.each([0.1, 0.2, 0.3])("physics filters at %s m/px", (gsd) => {
  const ctx = { gsdM: gsd, params: resolveParams() };
  const badCtx = { gsdM: gsd, params: resolveParams(SCENE_DASH_GAPS) };
  const real = run(ROAD_LANES, gsd, 11);
  const bad = run(IMPLAUSIBLE_LANES, gsd, 12, SCENE_DASH_GAPS);
  const badLines = [...bad.lines, ...bad.rejected.map((r) => r.line)];

  it("keeps every real marking", () => {
    expect(real.lines).toHaveLength(ROAD_LANES.length);
  });

  it.each(Object.keys(RULES))("rule %s keeps every real marking", (name) => {
    for (const l of real.lines) {
      expect(RULES[name]!.check(l, ctx)).toBeNull();
      expect(RULES[name]!.check(l, badCtx)).toBeNull();
    }
  });

  it("keeps none of the implausible lines", () => {
    for (const t of IMPLAUSIBLE_LANES) {
      expect(lineAlong(bad.lines, t.points, gsd), t.name).toBeUndefined();
    }
  });

  it.each(IMPLAUSIBLE_LANES.map((t) => [t.name, t] as const))("removes the %s by its rule", (_, t) => {
    const line = lineAlong(badLines, t.points, gsd);
    expect(line, `${t.name} was not traced at all`).toBeDefined();
    const rejection = bad.rejected.find((r) => r.line === line);
    // A zig-zag turns both ways within the curvature window or not, depending on its legs: either
    // shape rule may fire first, and the zigzag rule must catch it on its own (next test).
    expect(t.rule.split("|")).toContain(rejection?.rule);
    expect(RULES[rejection!.rule]!.check(line!, badCtx)).not.toBeNull();
  });

  it("takes a stretch that comes back to where it began (no chord at all) for the least straight there is", () => {
    // A 2 px square walked round once: 8 px of path over a window of 8 px, and no chord.
    const loop: Pt[] = [
      [10, 10],
      [12, 10],
      [12, 12],
      [10, 12],
      [10, 10],
    ];
    expect(sinuosity(loop, 8)).toBe(10);
    const line: MeasuredLine = {
      classId: 1,
      line: { pts: loop, bridged: [false, false, false, false] },
      startKind: "free",
      endKind: "free",
      lengthPx: 8,
      lengthM: 8,
      widthPx: 3,
      widthM: 3,
      widthResolved: false,
      confidence: 0.9,
      dashed: false,
      dash: null,
    };
    const ctx = { gsdM: 1, params: resolveParams({ curvatureWindowM: 8 }) };
    expect(zigzagRule.check(line, ctx)).toMatch(/^sinuosity 10\.00 >/);
  });

  it("rule zigzag on its own removes the zig-zag", () => {
    const t = IMPLAUSIBLE_LANES.find((x) => x.name === "zig-zag")!;
    const line = lineAlong(badLines, t.points, gsd)!;
    expect(zigzagRule.check(line, ctx)).toMatch(/sinuosity/);
  });
});

describe("filter thresholds scale with the ground resolution", () => {
  const base: MeasuredLine = {
    classId: 1,
    line: { pts: [], bridged: [] },
    startKind: "free",
    endKind: "free",
    lengthPx: 100,
    lengthM: 10,
    widthPx: 3,
    widthM: 0,
    widthResolved: false,
    confidence: 0.9,
    dashed: false,
    dash: null,
  };
  const params = resolveParams();

  it("accepts a 3-px mask (the label floor) at any resolution, even when it is 0.9 m wide", () => {
    for (const gsd of [0.05, 0.1, 0.3]) {
      expect(
        paintWidthRule.check({ ...base, widthPx: 3, widthM: 3 * gsd }, { gsdM: gsd, params }),
      ).toBeNull();
    }
  });

  it("rejects a mask much thinner than the label floor: 2 px is not a marking the model has drawn", () => {
    for (const gsd of [0.15, 0.25, 0.3]) {
      expect(
        paintWidthRule.check({ ...base, widthPx: 2, widthM: 2 * gsd }, { gsdM: gsd, params }),
      ).not.toBeNull();
      expect(
        paintWidthRule.check({ ...base, widthPx: 2.6, widthM: 2.6 * gsd }, { gsdM: gsd, params }),
      ).toBeNull();
    }
  });

  it("allows the model's blur of the 3-px floor at coarse resolution, not more", () => {
    // 0.25 m/px: real lines came out 4.6-5.6 px wide (params.ts); 7 px is no marking.
    expect(paintWidthRule.check({ ...base, widthPx: 5.2, widthM: 1.3 }, { gsdM: 0.25, params })).toBeNull();
    expect(
      paintWidthRule.check({ ...base, widthPx: 7, widthM: 1.75 }, { gsdM: 0.25, params }),
    ).not.toBeNull();
  });

  it("rejects 0.8 m of paint at 0.1 m/px but accepts a 0.55 m double line", () => {
    const gsd = 0.1;
    expect(paintWidthRule.check({ ...base, widthPx: 8 }, { gsdM: gsd, params })).not.toBeNull();
    expect(paintWidthRule.check({ ...base, classId: 5, widthPx: 5.5 }, { gsdM: gsd, params })).toBeNull();
    expect(paintWidthRule.check({ ...base, classId: 1, widthPx: 7 }, { gsdM: gsd, params })).not.toBeNull();
  });

  it("condemns an odd dash pattern only when it is seen over several gaps; else drops the pattern", () => {
    const dash = {
      count: 2,
      meanDashM: 10,
      meanGapM: 3,
      medianDashM: 10,
      medianGapM: 3,
      gapCount: 1,
      dashesPx: [],
    };
    const merged = { ...base, classId: 2, dashed: true, dash };
    // Two dashes run together by the model: the line stays, its 10 m "dash" is not reported.
    expect(dashPatternRule.check(merged, { gsdM: 0.25, params })).toBeNull();
    expect(withPlausibleDashes(merged, params).dash).toBeNull();
    // Over three to six gaps it still stays: a real 3 m / 3 m line whose dashes the model runs
    // together measures like this. Over seven or more it is something that is no marking.
    expect(
      dashPatternRule.check({ ...merged, dash: { ...dash, count: 6, gapCount: 5 } }, { gsdM: 0.25, params }),
    ).toBeNull();
    const clear = { ...merged, dash: { ...dash, count: 8, gapCount: 7 } };
    expect(dashPatternRule.check(clear, { gsdM: 0.25, params })).toMatch(/dash 10\.00 m outside/);
    // A pattern inside the national ranges, seen over two gaps or more, is kept as measured.
    const fine = {
      ...merged,
      lengthM: 30,
      dash: { ...dash, count: 3, gapCount: 2, medianDashM: 3, meanDashM: 3, medianGapM: 9, meanGapM: 9 },
    };
    expect(withPlausibleDashes(fine, params)).toBe(fine);
    // A mean that could not be measured (dashes.ts typicalMean gives NaN) is withdrawn: NaN passes
    // every range check, and would reach the response as null where a number belongs.
    for (const unmeasured of [{ meanGapM: Number.NaN }, { meanDashM: Number.NaN }]) {
      expect(withPlausibleDashes({ ...fine, dash: { ...fine.dash, ...unmeasured } }, params).dash).toBeNull();
    }
    // One gap between two pieces of a short line says too little to report.
    expect(
      withPlausibleDashes({ ...fine, dash: { ...fine.dash, count: 2, gapCount: 1 } }, params).dash,
    ).toBeNull();
    // A pattern that does not fit the line: 5 dashes of 2.94 m with 1.75 m gaps on 41.5 m would be
    // 9 periods (the runs were not one pattern: cars, shadows, a merged gap).
    const misfit = {
      ...fine,
      lengthM: 41.5,
      dash: {
        ...fine.dash,
        count: 5,
        gapCount: 4,
        meanDashM: 2.94,
        medianDashM: 2.94,
        meanGapM: 1.75,
        medianGapM: 1.75,
      },
    };
    expect(withPlausibleDashes(misfit, params).dash).toBeNull();
    expect(
      withPlausibleDashes({ ...misfit, dash: { ...misfit.dash, count: 9, gapCount: 8 } }, params),
    ).toMatchObject({
      dash: { count: 9 },
    });
    // What is reported is the mean: a plausible median does not let an implausible mean through.
    expect(
      withPlausibleDashes({ ...fine, dash: { ...fine.dash, meanDashM: 18.75 } }, params).dash,
    ).toBeNull();
  });

  it("holds the gap, not only the dash, to the national range", () => {
    // 3 m dashes with 20 m gaps (the widest national gap is 15 m) over eight gaps: no marking; a
    // 3 m / 1 m pattern (gaps under 1.5 m) neither. Both lose their statistics when seen less.
    const dash = {
      count: 9,
      meanDashM: 3,
      meanGapM: 20,
      medianDashM: 3,
      medianGapM: 20,
      gapCount: 8,
      dashesPx: [],
    };
    const wide = { ...base, classId: 2, dashed: true, lengthM: 9 * 23, dash };
    expect(dashPatternRule.check(wide, { gsdM: 0.25, params })).toMatch(/gap 20\.00 m outside/);
    expect(
      withPlausibleDashes({ ...wide, dash: { ...dash, count: 3, gapCount: 2 } }, params).dash,
    ).toBeNull();
    const tight = { ...wide, lengthM: 9 * 4, dash: { ...dash, meanGapM: 1, medianGapM: 1 } };
    expect(dashPatternRule.check(tight, { gsdM: 0.25, params })).toMatch(/gap 1\.00 m outside/);
  });

  it("sees no turning in a straight line, whichever way it runs", () => {
    // Due west the heading sits at ±180°: a wobble of a third of a pixel flips it between +π and
    // −π, which only unwrapping tells from a U-turn.
    const wobbly: [number, number][] = Array.from({ length: 200 }, (_, i) => [i, 50 + (i % 2 ? 0.3 : -0.3)]);
    for (const pts of [wobbly, [...wobbly].reverse()]) {
      const line = { ...base, line: { pts, bridged: pts.slice(1).map(() => false) } };
      expect(curvatureRule.check(line, { gsdM: 0.25, params })).toBeNull();
    }
  });

  it("lets a line cut by the raster edge be as short as a dash", () => {
    const short = { ...base, lengthM: 2 };
    expect(minLengthRule.check(short, { gsdM: 0.1, params })).not.toBeNull();
    expect(minLengthRule.check({ ...short, endKind: "border" }, { gsdM: 0.1, params })).toBeNull();
  });
});
