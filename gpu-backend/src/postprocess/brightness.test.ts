import { describe, expect, it } from "vitest";
import { BrightnessSampler } from "./brightness.js";
import { measureDashes } from "./dashes.js";
import { probabilityProfile } from "./profile.js";
import { ProbabilitySampler } from "./scores.js";
import type { Polyline } from "./types.js";
import { vectorise } from "./vectorise.js";

const GSD = 0.25;
const W = 420;
const H = 60;
const ROW = 30;
// A horizontal centreline along pixel row 30 (centre 30.5), 97.5 m long.
const line: Polyline = {
  pts: [
    [10, ROW + 0.5],
    [400, ROW + 0.5],
  ],
  bridged: [false],
};
const opts = {
  gsdM: GSD,
  minContrast: 0.03,
  minRunPx: 0.25 / GSD,
  minGapPx: 1 / GSD,
  truncatedStart: false,
  truncatedEnd: false,
};

/** A road with mottled surface and a sub-pixel dashed line: 0.15 m paint covers 60 % of row 30. */
function road(opts: {
  surface: [number, number, number];
  paint: [number, number, number];
  dashM: number;
  gapM: number;
  spotsInGaps?: boolean;
  /** Dashes (by index from x = 0) worn away: not painted. */
  worn?: readonly number[];
  /** A white car, 4.5 m x 1.8 m, over the line from this many metres. */
  carAtM?: number;
  /** Something paint-like on the line itself, [from, to] metres (a patch of another marking). */
  paintLike?: readonly [number, number];
}): Uint8Array {
  const rgb = new Uint8Array(W * H * 3);
  let seed = 7;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return ((seed >>> 16) % 21) - 10; // -10..10
  };
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const s = ((x + 0.5) * GSD) % (opts.dashM + opts.gapM);
      const index = Math.floor(((x + 0.5) * GSD) / (opts.dashM + opts.gapM));
      const inDash = x >= 10 && x < 400 && s < opts.dashM && !opts.worn?.includes(index);
      // A bright fleck in the middle of every gap: a stone, a glint.
      const fleck = opts.spotsInGaps && Math.abs(s - (opts.dashM + opts.gapM / 2)) < 0.15;
      const xm0 = (x + 0.5) * GSD;
      const other = opts.paintLike !== undefined && xm0 >= opts.paintLike[0] && xm0 < opts.paintLike[1];
      const cover = y === ROW && (inDash || fleck || other) ? 0.6 : 0;
      const n = noise();
      const xm = (x + 0.5) * GSD;
      const car =
        opts.carAtM !== undefined &&
        xm >= opts.carAtM &&
        xm < opts.carAtM + 4.5 &&
        Math.abs((y + 0.5 - (ROW + 0.5)) * GSD) < 0.9;
      if (car) {
        for (let c = 0; c < 3; c++) rgb[(y * W + x) * 3 + c] = 240;
        continue;
      }
      for (let c = 0; c < 3; c++) {
        const v = (1 - cover) * (opts.surface[c]! + n) + cover * opts.paint[c]!;
        rgb[(y * W + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return rgb;
}

describe("dash statistics measured on the imagery", () => {
  it("reads a sub-pixel white 3 m / 9 m line on asphalt, bright flecks in the gaps included", () => {
    const rgb = road({ surface: [95, 95, 98], paint: [235, 235, 230], dashM: 3, gapM: 9, spotsInGaps: true });
    const dash = measureDashes(line, 2, new BrightnessSampler({ width: W, height: H, rgb }, GSD), opts);
    expect(dash).not.toBeNull();
    // Eight whole dashes and the last 0.5 m of one where the line starts.
    expect(dash!.count).toBe(9);
    expect(dash!.meanDashM).toBeGreaterThan(2.6);
    expect(dash!.meanDashM).toBeLessThan(3.4);
    expect(dash!.meanGapM).toBeGreaterThan(8.5);
    expect(dash!.meanGapM).toBeLessThan(9.5);
  });

  it("leaves a worn-away dash out of the mean gap rather than report a 21 m gap in it", () => {
    const rgb = road({ surface: [95, 95, 98], paint: [235, 235, 230], dashM: 3, gapM: 9, worn: [4] });
    const dash = measureDashes(line, 2, new BrightnessSampler({ width: W, height: H, rgb }, GSD), opts);
    expect(dash).not.toBeNull();
    expect(dash!.count).toBe(8);
    expect(dash!.medianGapM).toBeCloseTo(9, 0);
    expect(dash!.meanGapM).toBeGreaterThan(8.5);
    expect(dash!.meanGapM).toBeLessThan(9.5);
  });

  it("is not fooled by a white car over a gap: the road beside the line is as bright as it", () => {
    const rgb = road({ surface: [95, 95, 98], paint: [235, 235, 230], dashM: 3, gapM: 9, carAtM: 40 });
    const dash = measureDashes(line, 2, new BrightnessSampler({ width: W, height: H, rgb }, GSD), opts);
    expect(dash).not.toBeNull();
    expect(dash!.meanDashM).toBeGreaterThan(2.6);
    expect(dash!.meanDashM).toBeLessThan(3.4);
    expect(dash!.meanGapM).toBeGreaterThan(8.5);
    expect(dash!.meanGapM).toBeLessThan(9.5);
  });

  it("leaves out of the means the two short gaps that a paint-like patch in a gap makes", () => {
    // 2.5 m of something as bright as paint in the gap 39-48 m: more than half a dash, so not a
    // fleck; it splits the 9 m gap into two of about 3 and 3.5 m.
    const rgb = road({
      surface: [95, 95, 98],
      paint: [235, 235, 230],
      dashM: 3,
      gapM: 9,
      paintLike: [42, 44.5],
    });
    const dash = measureDashes(line, 2, new BrightnessSampler({ width: W, height: H, rgb }, GSD), opts);
    expect(dash).not.toBeNull();
    expect(dash!.meanGapM).toBeGreaterThan(8.5);
    expect(dash!.meanGapM).toBeLessThan(9.5);
  });

  it("reads yellow paint on light concrete by its colour, where it is barely brighter than the road", () => {
    const rgb = road({ surface: [185, 183, 178], paint: [215, 185, 60], dashM: 3, gapM: 9 });
    const dash = measureDashes(line, 4, new BrightnessSampler({ width: W, height: H, rgb }, GSD), opts);
    expect(dash).not.toBeNull();
    expect(dash!.meanDashM).toBeCloseTo(3, 0);
    expect(dash!.meanGapM).toBeCloseTo(9, 0);
  });

  it("is what dashes can be measured on: a model sure of paint through the gaps (the label rule) shows none", () => {
    // The model's view of the same line: the class everywhere along it, as labels paint dashed lines.
    const plane = W * H;
    const probs = new Float32Array(7 * plane);
    for (let p = 0; p < plane; p++) probs[p] = 1;
    for (let x = 10; x < 400; x++) {
      probs[ROW * W + x] = 0.05;
      probs[2 * plane + ROW * W + x] = 0.95;
    }
    const model = probabilityProfile(
      new ProbabilitySampler({ data: probs, channels: 7, kind: "probabilities" }, W, H),
    );
    expect(measureDashes(line, 2, model, { ...opts, minContrast: 0.2 })).toBeNull();
  });

  it("reads paint up to 0.15 m beside the trace where that is several pixels (0.05 m/px)", () => {
    // A 0.15 m (3 px) white line on rows 29-31 of grey road; the trace runs 3 px (0.15 m) below it.
    const W2 = 40;
    const H2 = 60;
    const rgb = new Uint8Array(W2 * H2 * 3).fill(100);
    for (let y = 29; y < 32; y++) rgb.fill(240, y * W2 * 3, (y + 1) * W2 * 3);
    const s = new BrightnessSampler({ width: W2, height: H2, rgb }, 0.05);
    expect(s.across(1, 20.5, 30.5 + 3, 0, 1)).toBeCloseTo((240 - 100) / 255, 6);
  });

  it("refuses an image that does not match its size, or the segmentation's", () => {
    expect(() => new BrightnessSampler({ width: 4, height: 4, rgb: new Uint8Array(10) }, GSD)).toThrow(
      RangeError,
    );
    const seg = {
      width: 8,
      height: 8,
      classIds: new Uint8Array(64),
      scores: { data: new Float32Array(7 * 64), channels: 7, kind: "probabilities" as const },
    };
    const image = { width: 8, height: 4, rgb: new Uint8Array(8 * 4 * 3) };
    expect(() => vectorise(seg, { groundResolutionM: GSD, image })).toThrow(
      /the image is 8x4, the segmentation 8x8/,
    );
  });
});
