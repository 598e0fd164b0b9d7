import { describe, expect, it } from "vitest";
import { areaSize } from "./area-size.js";
import { DEMO_BBOX } from "./bbox.js";

describe("areaSize", () => {
  it("sizes the demo area and lets it through", () => {
    const s = areaSize(DEMO_BBOX, 0.25);
    expect(s.problem).toBeNull();
    expect(s.summary).toMatch(/^0\.070 km² \(261 × 266 m\), 1,117,105 px at 0\.25 m\/px$/);
  });

  it("refuses what the API refuses, in the page's terms: too large, too small, too many pixels", () => {
    const big = areaSize([-121.55, 38.55, -121.5, 38.6], 0.25);
    // The limit that binds first leads: at 0.25 m/px the pixels, not the 10 km².
    expect(big.problem).toMatch(
      /^The area is 24\.\d+ km²; at 0\.25 m\/px at most 8,388,608 pixels are allowed, a bounding box of about 0\.52 km²/,
    );
    const tiny = areaSize([-121.496, 38.58, -121.49595, 38.58004], 0.25);
    expect(tiny.problem).toMatch(
      /^The area is 4\.\d+ m wide and 4\.\d+ m high; both must be at least 10 m\.$/,
    );
    // 0.54 km² is within the km² limit but over the pixel limit at 0.10 m/px, not at 0.35.
    const wide = [-121.5, 38.58, -121.492, 38.587] as const;
    expect(areaSize(wide, 0.1).problem).toMatch(/pixels; at most 8,388,608 are allowed/);
    expect(areaSize(wide, 0.35).problem).toBeNull();
  });

  it("offers no coarser resolution at the coarsest the model analyses, as the API does not", () => {
    const model = { coarsestAnalysedM: 0.34984, finestAnalysedM: 0.08025 };
    // About 1.1 km²: under 10 km², but over the pixel limit even at the model's coarsest.
    const km = [-121.5, 38.58, -121.487, 38.5895] as const;
    const coarsest = areaSize(km, 0.35, model).problem;
    expect(coarsest).toMatch(
      /no coarser ground resolution helps \(0\.34984 m\/px is the coarsest this model analyses/,
    );
    expect(coarsest).not.toMatch(/use a coarser/);
    // From a finer one too: no resolution the model analyses lets this area through.
    expect(areaSize(km, 0.1, model).problem).toMatch(/no coarser ground resolution helps/);
  });

  it("judges at the resolution the model analyses, as the API does: the chosen one kept in its range", () => {
    const wide = [-121.5, 38.58, -121.492, 38.587] as const;
    // A model analysing no coarser than 0.15 m/px: 0.35 is analysed at 0.15, where this is too many pixels.
    const s = areaSize(wide, 0.35, { coarsestAnalysedM: 0.15, finestAnalysedM: 0.08 });
    expect(s.summary).toMatch(/px at 0\.15 m\/px, the model's limit$/);
    expect(s.problem).toMatch(/^At 0\.15 m\/px the area's raster is/);
    expect(
      areaSize(DEMO_BBOX, 0.25, { coarsestAnalysedM: 0.34984, finestAnalysedM: 0.08025 }).summary,
    ).toMatch(/px at 0\.25 m\/px$/);
  });
});
