/**
 * Painting lane lines into the image: each painted interval of each line becomes one anti-aliased
 * band (two for double lines) of the line's physical stroke width, in the look's white or yellow,
 * with per-line fading, patchy wear and occasional missing pieces. The label is NOT made here: it
 * comes from the full centrelines through the shared label rule.
 */
import { laneClassById } from "@lanesegnet/shared";
import type { RGB } from "../appearance/look.js";
import type { LaneLine } from "../geometry/network.js";
import { cumulativeLength, slicePolyline } from "../geometry/polyline.js";
import { fillRings, type RenderContext } from "../render/context.js";
import { bandRing } from "../render/stroke.js";
import type { Interval } from "./dashes.js";

export function paintLaneLines(ctx: RenderContext, lines: readonly LaneLine[]): void {
  const { look, fields } = ctx;
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li]!;
    const rng = ctx.rng.fork(`paint${li}`);
    const cls = laneClassById(line.spec.classId);
    const base: RGB = cls.colour === "yellow" ? look.yellow : look.white;
    const tint = look.clean ? 1 : rng.range(0.92, 1.04);
    const colour: RGB = [base[0] * tint, base[1] * tint, base[2] * tint];
    const alpha = look.clean ? 1 : look.paintAlpha * rng.range(0.8, 1.05);
    const wear = look.clean ? 0 : Math.min(1, look.wear * rng.range(0.5, 1.6));
    const cum = cumulativeLength(line.points);
    const intervals = look.clean ? line.painted : wearIntervals(line.painted, wear, rng);
    const sw = line.spec.strokeWidthM;
    const offsets: [number, number][] = cls.double
      ? [
          [-(line.spec.doubleGapM / 2 + sw), -line.spec.doubleGapM / 2],
          [line.spec.doubleGapM / 2, line.spec.doubleGapM / 2 + sw],
        ]
      : [[-sw / 2, sw / 2]];
    for (const [a, b] of intervals) {
      const pts = slicePolyline(line.points, cum, a, b);
      for (const [o0, o1] of offsets) {
        fillRings(ctx, [bandRing(pts, o0, o1, ctx.k)], {
          r: colour[0],
          g: colour[1],
          b: colour[2],
          alpha,
          tex: fields.fine,
          texAmp: look.clean ? 0 : 0.04,
          grain: fields.grain,
          grainAmp: look.clean ? 0 : 3,
          ...(wear > 0 ? { alphaField: fields.fine, alphaBias: 1 - 0.35 * wear, alphaAmp: 0.45 * wear } : {}),
        });
      }
    }
  }
}

/** Drop whole dashes and cut gaps out of solid paint in proportion to wear. */
function wearIntervals(
  painted: readonly Interval[],
  wear: number,
  rng: { chance(p: number): boolean; range(a: number, b: number): number },
): Interval[] {
  if (wear < 0.15) return [...painted];
  const out: Interval[] = [];
  for (const [a, b] of painted) {
    if (b - a < 10) {
      if (!rng.chance(0.12 * wear)) out.push([a, b]);
      continue;
    }
    // Long solid paint: remove a few worn stretches.
    let start = a;
    let s = a;
    while (s < b) {
      s = Math.min(b, s + rng.range(8, 60) / wear);
      if (s < b && rng.chance(0.5 * wear)) {
        out.push([start, s]);
        s += rng.range(0.5, 4) * wear;
        start = s;
      }
    }
    if (b - start > 0.2) out.push([start, b]);
  }
  return out;
}
