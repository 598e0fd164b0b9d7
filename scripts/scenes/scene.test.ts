import { labelWidthPx } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { cumulativeLength, distanceToPolyline, pointAtLength } from "./geometry/polyline.js";
import { maskFromLanes, renderScene, type Scene, type SceneLane } from "./scene.js";

/** Every pixel the centreline passes through carries the lane's class (unless a later lane covers it). */
function centrelineMismatches(scene: Scene): { checked: number; bad: number } {
  let checked = 0;
  let bad = 0;
  scene.lanes.forEach((lane, li) => {
    const cum = cumulativeLength(lane.points);
    const len = cum[cum.length - 1]!;
    for (let s = 0; s <= len; s += 0.25) {
      const [x, y] = pointAtLength(lane.points, cum, s);
      const px = Math.floor(x);
      const py = Math.floor(y);
      if (px < 0 || py < 0 || px >= scene.width || py >= scene.height) continue;
      checked++;
      const v = scene.mask[py * scene.width + px];
      if (v === lane.classId) continue;
      if (!coveredByLater(scene, li, px + 0.5, py + 0.5)) bad++;
    }
  });
  return { checked, bad };
}

function coveredByLater(scene: Scene, li: number, cx: number, cy: number): boolean {
  for (let k = li + 1; k < scene.lanes.length; k++) {
    const l = scene.lanes[k]!;
    const r = labelWidthPx(l.paintWidthM, scene.gsdM) / 2;
    if (distanceToPolyline(cx, cy, l.points) <= r + 1e-9) return true;
  }
  return false;
}

describe("renderScene", () => {
  it("draws masks that agree with the lane polylines (every centreline pixel carries its class)", () => {
    const layouts = ["corridor", "tee", "cross", "roundabout", "highway", "grid", "parking"] as const;
    let classes = new Set<number>();
    layouts.forEach((layout, i) => {
      const scene = renderScene({ seed: 100 + i, width: 256, height: 256, gsdM: 0.12 + 0.03 * i, layout });
      expect(scene.rgb.length).toBe(256 * 256 * 3);
      expect(scene.mask.length).toBe(256 * 256);
      const { checked, bad } = centrelineMismatches(scene);
      expect(bad).toBe(0);
      if (scene.lanes.length > 0) expect(checked).toBeGreaterThan(0);
      classes = new Set([...classes, ...scene.lanes.map((l) => l.classId)]);
      // No mask pixel is labelled far from every lane (the mask comes only from the lanes).
      for (let p = 0; p < scene.mask.length; p += 97) {
        if (scene.mask[p] === 0) continue;
        const cx = (p % 256) + 0.5;
        const cy = Math.floor(p / 256) + 0.5;
        const near = scene.lanes.some(
          (l) => distanceToPolyline(cx, cy, l.points) <= labelWidthPx(l.paintWidthM, scene.gsdM) / 2 + 1e-9,
        );
        expect(near).toBe(true);
      }
    });
    expect(classes.size).toBeGreaterThanOrEqual(3);
  });

  it("labels a double line across both strokes and the gap between them (DATA.md)", () => {
    const scene = renderScene({ seed: 102, width: 256, height: 256, gsdM: 0.18, layout: "cross" });
    const doubles = scene.lanes.filter((l) => l.classId === 5 || l.classId === 6);
    expect(doubles.length).toBeGreaterThan(0);
    for (const l of scene.lanes) {
      const whole = l.doubleGapM === null ? l.strokeWidthM : 2 * l.strokeWidthM + l.doubleGapM;
      expect(l.doubleGapM === null).toBe(l.classId < 5);
      expect(l.paintWidthM).toBeCloseTo(whole, 9);
    }
    // The mask takes that whole width: 2 x 0.12 m + 0.2 m = 0.44 m at 0.1 m/px is 5 px, where one
    // stroke alone would be 3 px.
    const lane: SceneLane = {
      ...doubles[0]!,
      points: [
        [0, 20.5],
        [40, 20.5],
      ],
      strokeWidthM: 0.12,
      doubleGapM: 0.2,
      paintWidthM: 0.44,
    };
    const mask = maskFromLanes([lane], 40, 40, 0.1);
    const rows = [
      ...new Set([...mask.keys()].filter((i) => mask[i] === lane.classId).map((i) => Math.floor(i / 40))),
    ];
    expect(rows).toEqual([18, 19, 20, 21, 22]);
  });

  it("is reproducible: the same spec gives byte-identical image and mask", () => {
    const a = renderScene({ seed: 7, width: 192, height: 160, gsdM: 0.2 });
    const b = renderScene({ seed: 7, width: 192, height: 160, gsdM: 0.2 });
    expect(Buffer.from(a.mask).equals(Buffer.from(b.mask))).toBe(true);
    expect(Buffer.from(a.rgb).equals(Buffer.from(b.rgb))).toBe(true);
    const c = renderScene({ seed: 8, width: 192, height: 160, gsdM: 0.2 });
    expect(Buffer.from(a.rgb).equals(Buffer.from(c.rgb))).toBe(false);
  });

  it("paints dashes whose lengths and gaps match the national pattern in metres within a pixel", () => {
    let measured = 0;
    for (const [seed, gsd, style] of [
      [3, 0.1, "US"],
      [11, 0.15, "EU"],
      [5, 0.2, "UK"],
    ] as const) {
      for (let k = 0; k < 8 && measured < 12; k++) {
        const scene = renderScene({
          seed: seed * 100 + k,
          width: 512,
          height: 512,
          gsdM: gsd,
          layout: "corridor",
          style,
          clean: true,
        });
        for (const lane of scene.lanes) {
          if (!lane.pattern || lane.elevated) continue;
          measured += checkDashes(scene, lane);
        }
      }
    }
    expect(measured).toBeGreaterThanOrEqual(6);
  });
});

/** Brightness profile along the centreline → painted runs; compare interior runs with the pattern. */
function checkDashes(scene: Scene, lane: SceneLane): number {
  const cum = cumulativeLength(lane.points);
  const len = cum[cum.length - 1]!;
  const step = 0.1;
  const prof: number[] = [];
  for (let s = 0; s <= len; s += step) {
    const [x, y] = pointAtLength(lane.points, cum, s);
    const [x2, y2] = pointAtLength(lane.points, cum, Math.min(len, s + 0.5));
    const [x1, y1] = pointAtLength(lane.points, cum, Math.max(0, s - 0.5));
    const d = Math.hypot(x2 - x1, y2 - y1) || 1;
    const nx = -(y2 - y1) / d;
    const ny = (x2 - x1) / d;
    // Paint mass across the line (bilinear samples over ±1.5 px): thin strokes cover only part of
    // a pixel, but the integral across the line is steady along a dash and halves at its ends.
    let v = 0;
    for (let o = -1.5; o <= 1.5; o += 0.25) v += bilinearLuma(scene, x + nx * o, y + ny * o);
    prof.push(v);
  }
  // Painted intervals from the scene (metres) must follow the pattern exactly.
  const p = lane.pattern!;
  const interior = lane.painted.slice(1, -1);
  for (const [a, b] of interior) expect(b - a).toBeCloseTo(p.dashM, 6);
  for (let i = 1; i < lane.painted.length; i++)
    expect(lane.painted[i]![0] - lane.painted[i - 1]![1]).toBeCloseTo(p.gapM, 6);
  // And the image shows them: threshold halfway between road and paint.
  const sorted = [...prof].sort((a, b) => a - b);
  const lo = sorted[Math.floor(sorted.length * 0.2)]!;
  const hi = sorted[Math.floor(sorted.length * 0.97)]!;
  if (hi - lo < 200) return 0;
  const thr = (lo + hi) / 2;
  const runs: [number, number][] = [];
  let start = -1;
  prof.forEach((v, i) => {
    if (v > thr && start < 0) start = i;
    if (v <= thr && start >= 0) {
      runs.push([start * step, i * step]);
      start = -1;
    }
  });
  // Only whole dashes: both ends inside the image and away from the polyline's ends.
  const px = scene.gsdM;
  const inside = (t: number) => {
    const [x, y] = pointAtLength(lane.points, cum, t);
    return x > 1 && y > 1 && x < scene.width - 1 && y < scene.height - 1;
  };
  const whole = runs.filter(([a, b]) => a > 1 && b < len - 1 && inside(a) && inside(b));
  let n = 0;
  for (let i = 0; i < whole.length; i++) {
    const [a, b] = whole[i]!;
    const lenPx = b - a;
    expect(Math.abs(lenPx * px - p.dashM)).toBeLessThanOrEqual(px + 1e-9);
    if (i > 0) {
      const gap = a - whole[i - 1]![1];
      expect(Math.abs(gap * px - p.gapM)).toBeLessThanOrEqual(px + 1e-9);
    }
    n++;
  }
  return n;
}

function bilinearLuma(scene: Scene, x: number, y: number): number {
  const fx = x - 0.5;
  const fy = y - 0.5;
  const i = Math.floor(fx);
  const j = Math.floor(fy);
  const a = fx - i;
  const b = fy - j;
  return (
    sampleLuma(scene, i + 0.5, j + 0.5) * (1 - a) * (1 - b) +
    sampleLuma(scene, i + 1.5, j + 0.5) * a * (1 - b) +
    sampleLuma(scene, i + 0.5, j + 1.5) * (1 - a) * b +
    sampleLuma(scene, i + 1.5, j + 1.5) * a * b
  );
}

function sampleLuma(scene: Scene, x: number, y: number): number {
  const i = Math.floor(x);
  const j = Math.floor(y);
  if (i < 0 || j < 0 || i >= scene.width || j >= scene.height) return 0;
  const o = (j * scene.width + i) * 3;
  return 0.299 * scene.rgb[o]! + 0.587 * scene.rgb[o + 1]! + 0.114 * scene.rgb[o + 2]!;
}
