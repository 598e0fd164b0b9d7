/**
 * Things that stand up from the ground: buildings (flat, gable and hip roofs with rooftop units)
 * and trees (street rows, scattered, woods, shrubs). They cast shadows across roads and paint,
 * and tree crowns hang over the carriageway.
 */
import type { RoadNetwork } from "../geometry/network.js";
import { convexHull, orientedRect, type Pt } from "../geometry/polyline.js";
import { SurfaceIndex } from "../geometry/surface-index.js";
import type { Rng } from "../random.js";
import { fillRings, type RenderContext, shadePolygonM } from "../render/context.js";
import { flatRing } from "../render/stroke.js";
import type { RGB } from "./look.js";
import { networkOccupancy } from "./occupancy.js";
import { visibleRange } from "./surface.js";

export interface Building {
  footprint: Pt[];
  cx: number;
  cy: number;
  ux: number;
  uy: number;
  halfLen: number;
  halfWid: number;
  height: number;
  roof: "flat" | "gable" | "hip";
  colour: RGB;
}

export interface Tree {
  x: number;
  y: number;
  r: number;
  height: number;
  colour: RGB;
  shrub: boolean;
}

export interface Objects {
  buildings: Building[];
  trees: Tree[];
}

const ROOFS: readonly (readonly [RGB, number])[] = [
  [[165, 88, 62], 3],
  [[125, 84, 64], 1.5],
  [[72, 74, 78], 3],
  [[128, 128, 126], 3],
  [[188, 186, 180], 2],
  [[215, 214, 208], 1.5],
  [[92, 110, 130], 0.7],
  [[82, 108, 88], 0.5],
  [[180, 160, 132], 1.5],
];

/** Scale a colour by one brightness factor with only a slight per-channel jitter (no hue shifts). */
function tone(c: RGB, k: number, rng: Rng): RGB {
  return [
    c[0] * k * rng.range(0.97, 1.03),
    c[1] * k * rng.range(0.97, 1.03),
    c[2] * k * rng.range(0.97, 1.03),
  ];
}

export function placeObjects(ctx: RenderContext, net: RoadNetwork): Objects {
  const { look } = ctx;
  const rng = ctx.rng.fork("objects");
  const out: Objects = { buildings: [], trees: [] };
  if (look.clean) return out;
  const occ = networkOccupancy(ctx.widthM, ctx.heightM, net);
  const index = new SurfaceIndex(net.roads);
  const area = ctx.widthM * ctx.heightM;
  const env = look.environment;
  // Buildings.
  const [minSide, maxSide, hMin, hMax] =
    env === "urban" ? [10, 40, 6, 25] : env === "industrial" ? [20, 80, 6, 14] : [7, 16, 3, 8];
  // Share of the land that roofs cover at full density, and the mean footprint.
  const cover = { urban: 0.35, industrial: 0.3, suburban: 0.15, tropical: 0.12, arid: 0.08, rural: 0.03 }[
    env
  ];
  const meanSide = (minSide + maxSide) / 2;
  const target = Math.round((look.buildingDensity * area * cover) / (meanSide * meanSide * 0.8));
  const roofKind = (): Building["roof"] =>
    env === "industrial" || (env === "urban" && rng.chance(0.8))
      ? "flat"
      : rng.weighted([
          ["gable", 3],
          ["hip", 2],
          ["flat", 1],
        ] as const);
  const tryBuilding = (
    x: number,
    y: number,
    ux: number,
    uy: number,
    halfLen: number,
    halfWid: number,
    setback: number,
  ): boolean => {
    if (!occ.rectFree(x, y, ux, uy, halfLen + setback, halfWid + setback)) return false;
    occ.markRect(x, y, ux, uy, halfLen + 1, halfWid + 1);
    out.buildings.push({
      footprint: orientedRect(x, y, ux, uy, halfLen, halfWid),
      cx: x,
      cy: y,
      ux,
      uy,
      halfLen,
      halfWid,
      height: rng.range(hMin, hMax),
      roof: roofKind(),
      colour: tone(rng.weighted(ROOFS), rng.range(0.8, 1.15), rng),
    });
    return true;
  };
  // Rows of buildings facing the roads (the usual arrangement), then scattered ones.
  for (const road of net.roads) {
    if (out.buildings.length >= target || road.kind === "highway" || road.kind === "ramp" || road.elevated)
      continue;
    if (!rng.chance(0.3 + 0.7 * look.buildingDensity)) continue;
    const vis = visibleRange(road.path, ctx, 30);
    if (!vis) continue;
    const setback = env === "urban" ? rng.range(0.5, 3) : rng.range(3, 12);
    for (const side of [-1, 1] as const) {
      if (rng.chance(0.2)) continue;
      const edge = side === 1 ? road.surfaceRight : road.surfaceLeft;
      const sw = road.sidewalks.find((s) => s.side === side);
      // Clear of the occupied band (pavement, sidewalk and its 0.5 m margin) by the setback.
      const extra = (sw ? sw.verge + sw.width : 0) + setback + 2;
      for (let s = vis[0] + rng.range(0, 10); s < vis[1]; ) {
        const frontage = rng.range(minSide, maxSide);
        const depth = Math.min(frontage * rng.range(0.6, 1.4), maxSide);
        const [tx, ty] = road.path.tangentAt(s);
        const [x, y] = road.path.offsetPoint(s, edge(s) + side * (extra + depth / 2));
        tryBuilding(x, y, tx, ty, frontage / 2, depth / 2, 0.2);
        s += frontage + rng.range(1, env === "urban" ? 4 : 15);
      }
    }
  }
  for (let tries = 0; tries < target * 6 && out.buildings.length < target; tries++) {
    const x = rng.range(-10, ctx.widthM + 10);
    const y = rng.range(-10, ctx.heightM + 10);
    const dir = index.nearestDirection(x, y) ?? [1, 0];
    const jit = rng.range(-0.06, 0.06);
    const ux = dir[0] * Math.cos(jit) - dir[1] * Math.sin(jit);
    const uy = dir[0] * Math.sin(jit) + dir[1] * Math.cos(jit);
    const halfLen = rng.range(minSide, maxSide) / 2;
    const halfWid = Math.min(halfLen, rng.range(minSide, maxSide) / 2);
    tryBuilding(x, y, ux, uy, halfLen, halfWid, env === "urban" ? rng.range(0.5, 3) : rng.range(2, 10));
  }
  // Trees: rows along roads, woods, scattered.
  const green = (): RGB => {
    const dry = env === "arid" ? 0.35 : 0;
    return [rng.range(32, 75) + dry * 40, rng.range(50, 95) + dry * 20, rng.range(24, 50) + dry * 30];
  };
  const addTree = (x: number, y: number, r: number, shrub: boolean) => {
    if (x < -r - 20 || y < -r - 20 || x > ctx.widthM + r + 20 || y > ctx.heightM + r + 20) return;
    if (occ.at(x, y) >= 2) return;
    out.trees.push({ x, y, r, height: shrub ? rng.range(0.8, 2) : rng.range(4, 16), colour: green(), shrub });
  };
  for (const road of net.roads) {
    if (!rng.chance(look.treeDensity * 0.8) || road.elevated) continue;
    const vis = visibleRange(road.path, ctx, 20);
    if (!vis) continue;
    const spacing = rng.range(6, 18);
    const r0 = rng.range(1.8, 4.5);
    for (const side of [-1, 1] as const) {
      if (rng.chance(0.3)) continue;
      const edge = side === 1 ? road.surfaceRight : road.surfaceLeft;
      const sw = road.sidewalks.find((s) => s.side === side);
      const off = sw ? sw.verge / 2 + 0.3 : rng.range(1, 4);
      for (let s = vis[0] + rng.range(0, spacing); s < vis[1]; s += spacing * rng.range(0.8, 1.2)) {
        if (rng.chance(0.15)) continue;
        const [x, y] = road.path.offsetPoint(s, edge(s) + side * off);
        if (index.onAnyPavement(x, y, -0.2)) continue;
        addTree(x, y, r0 * rng.range(0.8, 1.2), false);
      }
    }
  }
  const woods = Math.round(
    look.treeDensity * rng.range(0, 4) * (env === "rural" || env === "tropical" ? 2 : 1),
  );
  for (let w = 0; w < woods; w++) {
    const cx = rng.range(0, ctx.widthM);
    const cy = rng.range(0, ctx.heightM);
    const rad = rng.range(15, 60);
    const n = Math.round(rad * rad * 0.03 * rng.range(0.5, 1.5));
    for (let i = 0; i < n; i++) {
      const a = rng.range(0, 2 * Math.PI);
      const d = rad * Math.sqrt(rng.next());
      const x = cx + Math.cos(a) * d;
      const y = cy + Math.sin(a) * d;
      if (occ.at(x, y) > 0) continue;
      addTree(x, y, rng.range(2, 5.5), false);
    }
  }
  const scattered = Math.round((look.treeDensity * area) / rng.range(800, 3000));
  for (let i = 0; i < scattered; i++) {
    const x = rng.range(0, ctx.widthM);
    const y = rng.range(0, ctx.heightM);
    if (occ.at(x, y) > 0) continue;
    const shrub = env === "arid" ? rng.chance(0.8) : rng.chance(0.2);
    addTree(x, y, shrub ? rng.range(0.5, 1.5) : rng.range(1.5, 6), shrub);
  }
  return out;
}

/** Cast shadows of buildings and trees (multiplicative, tinted). */
export function paintObjectShadows(ctx: RenderContext, objs: Objects): void {
  const { sun } = ctx.look;
  const sx = Math.cos(sun.shadowAngle) * sun.shadowPerM;
  const sy = Math.sin(sun.shadowAngle) * sun.shadowPerM;
  for (const b of objs.buildings) {
    const shifted = b.footprint.map((p): Pt => [p[0] + sx * b.height, p[1] + sy * b.height]);
    shadePolygonM(ctx, [convexHull([...b.footprint, ...shifted])], sun.shadowLight);
  }
  for (const t of objs.trees) {
    const dx = sx * t.height * 0.8;
    const dy = sy * t.height * 0.8;
    const ring = canopy(t, ctx.rng.fork(`tree${t.x | 0},${t.y | 0}`), dx, dy);
    shadePolygonM(ctx, [ring], Math.min(0.95, sun.shadowLight * 1.1), ctx.fields.fine);
  }
}

function canopy(t: Tree, rng: Rng, dx = 0, dy = 0, scale = 1): Pt[] {
  const n = 22;
  const phase = rng.range(0, 6.28);
  const lobes = rng.int(3, 7);
  const amp = rng.range(0.06, 0.2);
  const pts: Pt[] = [];
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * i) / n;
    const r = t.r * scale * (1 + amp * Math.sin(lobes * a + phase) + rng.range(-0.06, 0.06));
    pts.push([t.x + dx + r * Math.cos(a), t.y + dy + r * Math.sin(a)]);
  }
  return pts;
}

export function paintRoofs(ctx: RenderContext, objs: Objects): void {
  const k = ctx.k;
  const { sun } = ctx.look;
  const lightX = -Math.cos(sun.shadowAngle);
  const lightY = -Math.sin(sun.shadowAngle);
  for (const b of objs.buildings) {
    const c = b.colour;
    const tex = {
      tex: ctx.fields.mid,
      texAmp: 0.04,
      tex2: ctx.fields.fine,
      tex2Amp: 0.05,
      grain: ctx.fields.grain,
      grainAmp: 3,
    };
    const rng = ctx.rng.fork(`roof${b.cx | 0},${b.cy | 0}`);
    const vx = -b.uy;
    const vy = b.ux;
    const at = (a: number, w: number): Pt => [b.cx + b.ux * a + vx * w, b.cy + b.uy * a + vy * w];
    if (b.roof === "flat") {
      fillRings(ctx, [flatRing(b.footprint, k)], { r: c[0] * 0.85, g: c[1] * 0.85, b: c[2] * 0.85, ...tex });
      const inset = Math.min(0.5, b.halfWid * 0.1);
      fillRings(
        ctx,
        [flatRing(orientedRect(b.cx, b.cy, b.ux, b.uy, b.halfLen - inset, b.halfWid - inset), k)],
        {
          r: c[0],
          g: c[1],
          b: c[2],
          ...tex,
        },
      );
      const units = rng.int(0, Math.min(6, Math.round(b.halfLen / 4)));
      for (let u = 0; u < units; u++) {
        const a = rng.range(-b.halfLen + 2, b.halfLen - 2);
        const w = rng.range(-b.halfWid + 2, b.halfWid - 2);
        const s = rng.range(0.6, 2);
        const [x, y] = at(a, w);
        const box = orientedRect(x, y, b.ux, b.uy, s, s * rng.range(0.5, 1));
        shadePolygonM(
          ctx,
          [
            box.map(
              (p): Pt => [p[0] + Math.cos(sun.shadowAngle) * 0.8, p[1] + Math.sin(sun.shadowAngle) * 0.8],
            ),
          ],
          sun.shadowLight,
        );
        fillRings(ctx, [flatRing(box, k)], { r: 200, g: 200, b: 198, ...tex });
      }
    } else {
      // Two (gable) or four (hip) faces lit by their slope towards the sun.
      const face = (poly: Pt[], nx: number, ny: number) => {
        const lit = 1 + 0.25 * (nx * lightX + ny * lightY);
        fillRings(ctx, [flatRing(poly, k)], { r: c[0] * lit, g: c[1] * lit, b: c[2] * lit, ...tex });
      };
      const ridge = b.roof === "hip" ? b.halfLen - b.halfWid : b.halfLen;
      face([at(-b.halfLen, -b.halfWid), at(b.halfLen, -b.halfWid), at(ridge, 0), at(-ridge, 0)], -vx, -vy);
      face([at(-b.halfLen, b.halfWid), at(b.halfLen, b.halfWid), at(ridge, 0), at(-ridge, 0)], vx, vy);
      if (b.roof === "hip") {
        face([at(b.halfLen, -b.halfWid), at(b.halfLen, b.halfWid), at(ridge, 0)], b.ux, b.uy);
        face([at(-b.halfLen, -b.halfWid), at(-b.halfLen, b.halfWid), at(-ridge, 0)], -b.ux, -b.uy);
      }
    }
  }
}

export function paintCanopies(ctx: RenderContext, objs: Objects): void {
  const k = ctx.k;
  const { sun } = ctx.look;
  const lx = -Math.cos(sun.shadowAngle);
  const ly = -Math.sin(sun.shadowAngle);
  const { fine, mid, grain } = ctx.fields;
  for (const t of objs.trees) {
    const rng = ctx.rng.fork(`tree${t.x | 0},${t.y | 0}`);
    const c = t.colour;
    // Dark crown body, then lit clumps, then highlights on their sun side.
    fillRings(ctx, [flatRing(canopy(t, rng), k)], {
      r: c[0] * 0.7,
      g: c[1] * 0.7,
      b: c[2] * 0.72,
      tex: fine,
      texAmp: 0.2,
      grain,
      grainAmp: 3,
    });
    const clumps = t.shrub ? rng.int(1, 2) : rng.int(3, 8);
    for (let i = 0; i < clumps; i++) {
      const a = rng.range(0, 2 * Math.PI);
      const d = t.r * rng.range(0, 0.5);
      const lr = t.r * rng.range(0.4, 0.65);
      const lump: Tree = { ...t, x: t.x + Math.cos(a) * d, y: t.y + Math.sin(a) * d, r: lr };
      const f = rng.range(0.85, 1.15);
      fillRings(ctx, [flatRing(canopy(lump, rng), k)], {
        r: c[0] * f,
        g: c[1] * f,
        b: c[2] * f,
        tex: fine,
        texAmp: 0.3,
        tex2: mid,
        tex2Amp: 0.1,
        grain,
        grainAmp: 4,
      });
      const hl: Tree = { ...lump, x: lump.x + lx * lr * 0.3, y: lump.y + ly * lr * 0.3, r: lr * 0.55 };
      fillRings(ctx, [flatRing(canopy(hl, rng), k)], {
        r: c[0] * 1.35 + 10,
        g: c[1] * 1.35 + 12,
        b: c[2] * 1.25 + 5,
        alpha: 0.45,
        alphaField: fine,
        alphaBias: 0.6,
        alphaAmp: 0.5,
      });
    }
  }
}
