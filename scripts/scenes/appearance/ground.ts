/**
 * Surroundings: land cover blended from the look's ground materials by landscape-scale noise,
 * textured at several scales, plus crop fields with row stripes and dirt tracks (long straight-ish
 * lines that are not lane markings).
 */
import { orientedRect, type Pt } from "../geometry/polyline.js";
import type { RenderContext } from "../render/context.js";
import { fillRings } from "../render/context.js";
import { bandRing } from "../render/stroke.js";
import type { RGB } from "./look.js";

export function paintGround(ctx: RenderContext): void {
  const { canvas, fields, look } = ctx;
  const d = canvas.data;
  const { lo, lo2, mid, fine, grain } = fields;
  const [c0, c1, c2] = [
    look.ground[0]!,
    look.ground[1] ?? look.ground[0]!,
    look.ground[2] ?? look.ground[0]!,
  ];
  const tex = look.groundTexture;
  // How strongly the third material shows in patches (soil in grass, lawns in concrete, ...).
  const patch = ctx.rng.range(0.2, 0.8);
  const n = canvas.width * canvas.height;
  for (let i = 0; i < n; i++) {
    const a = smooth(-0.6, 0.6, lo[i]! + 0.35 * lo2[i]! + 0.15 * mid[i]!);
    const b = patch * smooth(0.7, 1.5, lo2[i]! - 0.2 * lo[i]! + 0.2 * mid[i]!);
    const m = 1 + tex * (0.55 * mid[i]! + 0.35 * fine[i]!);
    const g = grain[i]! * 2.5;
    const j = i * 3;
    for (let c = 0; c < 3; c++) {
      const base = c0[c]! + (c1[c]! - c0[c]!) * a;
      d[j + c] = (base + (c2[c]! - base) * b) * m + g;
    }
  }
  if (look.environment === "rural" && ctx.rng.chance(0.6)) paintFields(ctx);
  if (!look.clean && ctx.rng.chance(0.35)) paintTracks(ctx);
}

function smooth(e0: number, e1: number, x: number): number {
  const t = x <= e0 ? 0 : x >= e1 ? 1 : (x - e0) / (e1 - e0);
  return t * t * (3 - 2 * t);
}

const SIN = Float32Array.from({ length: 1025 }, (_, i) => Math.sin((2 * Math.PI * i) / 1024));

const CROPS: RGB[] = [
  [92, 120, 56],
  [140, 132, 80],
  [120, 100, 74],
  [70, 96, 48],
  [168, 150, 100],
];

/** Crop parcels with row stripes (period 0.7–3 m). */
function paintFields(ctx: RenderContext): void {
  const rng = ctx.rng.fork("fields-parcels");
  const count = rng.int(2, 7);
  const r = ctx.raster;
  for (let f = 0; f < count; f++) {
    const cx = rng.range(0, ctx.widthM);
    const cy = rng.range(0, ctx.heightM);
    const a = rng.chance(0.7)
      ? ctx.mainAngle + rng.pick([0, Math.PI / 2]) + rng.range(-0.05, 0.05)
      : rng.range(0, Math.PI);
    const ux = Math.cos(a);
    const uy = Math.sin(a);
    const rect = orientedRect(cx, cy, ux, uy, rng.range(30, 140), rng.range(20, 100));
    const colour = rng.pick(CROPS).map((v) => v * rng.range(0.85, 1.15)) as RGB;
    const period = rng.range(0.7, 3) * ctx.k;
    const amp = rng.range(0.04, 0.18);
    const across = rng.chance(0.5);
    const wob = rng.range(0, 0.6);
    const sx = (across ? -uy : ux) / period;
    const sy = (across ? ux : uy) / period;
    const fieldAlpha = rng.range(0.85, 1);
    r.addPoints(rect, ctx.k);
    if (r.resolve()) {
      const d = ctx.canvas.data;
      const w = ctx.canvas.width;
      const { mid, grain } = ctx.fields;
      for (let y = r.yMin; y <= r.yMax; y++) {
        for (let x = r.spanStart[y]!; x < r.spanEnd[y]!; x++) {
          const i = y * w + x;
          const cv = r.cov[i]! * fieldAlpha;
          if (cv === 0) continue;
          const ph = x * sx + y * sy + wob * mid[i]!;
          const stripe =
            1 + amp * (0.7 + 0.3 * mid[i]!) * SIN[((ph - Math.floor(ph)) * 1024) | 0]! + 0.08 * mid[i]!;
          const j = i * 3;
          for (let c = 0; c < 3; c++) {
            d[j + c] = d[j + c]! + (colour[c]! * stripe + grain[i]! * 2 - d[j + c]!) * cv;
          }
        }
      }
    }
    r.clear();
  }
}

/** Dirt tracks and footpaths: pale, irregular lines. */
function paintTracks(ctx: RenderContext): void {
  const rng = ctx.rng.fork("tracks");
  const n = rng.int(1, 3);
  for (let t = 0; t < n; t++) {
    const pts: Pt[] = [];
    let x = rng.range(0, ctx.widthM);
    let y = rng.range(0, ctx.heightM);
    let h = rng.range(0, 2 * Math.PI);
    const steps = rng.int(20, 80);
    for (let i = 0; i < steps; i++) {
      pts.push([x, y]);
      h += rng.range(-0.15, 0.15);
      x += Math.cos(h) * 3;
      y += Math.sin(h) * 3;
    }
    const w = rng.range(0.6, 2.5);
    const tone = rng.range(0.9, 1.35);
    const base = ctx.look.ground[0]!;
    fillRings(ctx, [bandRing(pts, -w / 2, w / 2, ctx.k)], {
      r: Math.min(230, base[0] * tone + 25),
      g: Math.min(225, base[1] * tone + 18),
      b: Math.min(215, base[2] * tone + 10),
      alpha: rng.range(0.3, 0.8),
      tex: ctx.fields.mid,
      texAmp: 0.1,
      alphaField: ctx.fields.fine,
      alphaBias: 0.8,
      alphaAmp: 0.3,
    });
  }
}
