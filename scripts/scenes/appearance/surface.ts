/**
 * Pavements: sidewalks and verges, road surfaces (asphalt of varying age and colour, or concrete
 * with sawn joints), junction fillets, medians, roundabout islands, kerbs and gutters, and the
 * surface clutter that looks like lines but is not paint: patches, cracks, tar seams (dark or
 * sun-glossy), tyre marks, polished wheel paths, manholes.
 */
import { type Junction, outsideIntervals, type ParkingLot, type RoadNetwork } from "../geometry/network.js";
import type { Path } from "../geometry/path.js";
import { orientedRect, type Pt } from "../geometry/polyline.js";
import type { Profile, Road } from "../geometry/road.js";
import { SurfaceIndex } from "../geometry/surface-index.js";
import type { Rng } from "../random.js";
import type { Paint } from "../render/canvas.js";
import { fillRings, type RenderContext, shadePolygonM } from "../render/context.js";
import { bandRing, discRing } from "../render/stroke.js";
import type { RGB } from "./look.js";

export interface RoadMaterial {
  colour: RGB;
  concrete: boolean;
}

/** Arc-length range of a path that can show in the scene (with padding), or null. */
export function visibleRange(path: Path, ctx: RenderContext, pad: number): [number, number] | null {
  let s0 = Number.POSITIVE_INFINITY;
  let s1 = Number.NEGATIVE_INFINITY;
  const pts = path.points;
  for (let i = 0; i < pts.length; i++) {
    const [x, y] = pts[i]!;
    if (x >= -pad && y >= -pad && x <= ctx.widthM + pad && y <= ctx.heightM + pad) {
      const s = path.cum[i]!;
      if (s < s0) s0 = s;
      if (s > s1) s1 = s;
    }
  }
  if (!(s1 > s0)) return null;
  return [Math.max(0, s0 - 2), Math.min(path.length, s1 + 2)];
}

/** Flat pixel ring of the band between two lateral profiles along a path. */
export function pathBand(
  path: Path,
  s0: number,
  s1: number,
  from: Profile,
  to: Profile,
  k: number,
  step = 1,
): number[] {
  const n = Math.max(1, Math.ceil((s1 - s0) / step));
  const left: number[] = [];
  const right: number[] = [];
  for (let i = 0; i <= n; i++) {
    const s = s0 + ((s1 - s0) * i) / n;
    const a = path.offsetPoint(s, from(s));
    const b = path.offsetPoint(s, to(s));
    left.push(a[0] * k, a[1] * k);
    right.push(b[0] * k, b[1] * k);
  }
  const ring = left;
  for (let i = right.length - 2; i >= 0; i -= 2) ring.push(right[i]!, right[i + 1]!);
  return ring;
}

export function chooseMaterials(ctx: RenderContext, net: RoadNetwork): Map<number, RoadMaterial> {
  const out = new Map<number, RoadMaterial>();
  const { look } = ctx;
  for (const road of net.roads) {
    const rng = ctx.rng.fork(
      road.materialGroup === undefined ? `material${road.id}` : `materialgroup${road.materialGroup}`,
    );
    const concrete = rng.chance(look.concreteP * (road.importance > 0.4 ? 1 : 0.35));
    const base = concrete ? look.concrete : look.asphalt;
    const k = rng.range(0.88, 1.12);
    out.set(road.id, { colour: [base[0] * k, base[1] * k, base[2] * k * rng.range(0.97, 1.03)], concrete });
  }
  return out;
}

function surfacePaint(ctx: RenderContext, c: RGB, concrete: boolean): Paint {
  const { look, fields } = ctx;
  return {
    r: c[0],
    g: c[1],
    b: c[2],
    tex: fields.lo2,
    texAmp: look.roadLowAmp * (concrete ? 0.6 : 1),
    tex2: fields.mid,
    tex2Amp: look.roadMidAmp,
    grain: fields.grain,
    grainAmp: look.roadGrain * (concrete ? 0.6 : 1),
  };
}

/** Sidewalks, verges and parking-lot surfaces: drawn before the carriageways. */
export function paintRoadsides(ctx: RenderContext, net: RoadNetwork, level: boolean): void {
  const { look, fields } = ctx;
  for (const road of net.roads) {
    if (road.elevated !== level) continue;
    const vis = visibleRange(road.path, ctx, road.maxHalfWidth + 12);
    if (!vis) continue;
    for (const sw of road.sidewalks) {
      const edge = sw.side === 1 ? road.surfaceRight : road.surfaceLeft;
      const a: Profile = (s) => edge(s) + sw.side * (0.2 + sw.verge);
      const b: Profile = (s) => edge(s) + sw.side * (0.2 + sw.verge + sw.width);
      if (sw.verge > 0) {
        const g = look.ground[0]!;
        fillRings(ctx, [pathBand(road.path, vis[0], vis[1], (s) => edge(s), a, ctx.k, 2)], {
          r: g[0] * 0.95,
          g: g[1] * 1.05,
          b: g[2] * 0.9,
          tex: fields.mid,
          texAmp: 0.15,
          grain: fields.grain,
          grainAmp: 3,
        });
      }
      const c = look.sidewalk;
      fillRings(ctx, [pathBand(road.path, vis[0], vis[1], a, b, ctx.k, 2)], {
        r: c[0],
        g: c[1],
        b: c[2],
        tex: fields.lo2,
        texAmp: 0.05,
        tex2: fields.fine,
        tex2Amp: 0.04,
        grain: fields.grain,
        grainAmp: 3,
      });
      if (!look.clean) sidewalkJoints(ctx, road.path, vis, a, b);
    }
  }
  if (!level) for (const lot of net.lots) paintLotSurface(ctx, lot);
}

function sidewalkJoints(ctx: RenderContext, path: Path, vis: [number, number], a: Profile, b: Profile): void {
  const step = ctx.rng.range(1.5, 3);
  if (ctx.gsd > 0.25) return;
  for (let s = vis[0]; s < vis[1]; s += step) {
    const p = path.offsetPoint(s, a(s));
    const q = path.offsetPoint(s, b(s));
    fillRings(ctx, [bandRing([p, q], -0.015, 0.015, ctx.k)], { r: 90, g: 90, b: 88, alpha: 0.5 });
  }
}

function paintLotSurface(ctx: RenderContext, lot: ParkingLot): void {
  const c = ctx.look.asphalt;
  const k = ctx.rng.range(0.9, 1.2);
  const rect = orientedRect(lot.cx, lot.cy, lot.ux, lot.uy, lot.halfLen, lot.halfWid);
  const paint = surfacePaint(ctx, [c[0] * k, c[1] * k, c[2] * k], false);
  fillRings(ctx, [rect.flatMap((p) => [p[0] * ctx.k, p[1] * ctx.k])], paint);
}

/** Carriageways in priority order, then fillets, medians, islands and kerbs. */
export function paintCarriageways(
  ctx: RenderContext,
  net: RoadNetwork,
  materials: Map<number, RoadMaterial>,
  level: boolean,
): void {
  const roads = net.roads.filter((r) => r.elevated === level).sort((a, b) => a.priority - b.priority);
  for (const road of roads) {
    const vis = visibleRange(road.path, ctx, road.maxHalfWidth + 4);
    if (!vis) continue;
    const mat = materials.get(road.id)!;
    if (level) bridgeShadow(ctx, road, vis);
    const ring = pathBand(road.path, vis[0], vis[1], road.surfaceLeft, road.surfaceRight, ctx.k, 1);
    fillRings(ctx, [ring], surfacePaint(ctx, mat.colour, mat.concrete));
    if (!ctx.look.clean) surfaceDetails(ctx, road, vis, mat, ctx.rng.fork(`details${road.id}`));
  }
  if (!level) {
    for (const j of net.junctions) paintFillets(ctx, net, j, materials);
    for (const isl of net.islands) paintIsland(ctx, isl.cx, isl.cy, isl.r);
  }
  // Medians and kerbs stop where another road's pavement crosses (junctions).
  const index = new SurfaceIndex(net.roads.filter((r) => r.elevated === level));
  for (const road of roads) {
    const vis = visibleRange(road.path, ctx, road.maxHalfWidth + 4);
    if (!vis) continue;
    for (const m of road.medians) {
      for (const piece of outsideIntervals(
        road,
        (s) => (m.left(s) + m.right(s)) / 2,
        vis[0],
        vis[1],
        index,
        1.5,
        0.5,
      )) {
        paintMedian(ctx, road, [piece.s0, piece.s1], m.left, m.right, m.kind);
      }
    }
    if (road.kerb || level) {
      for (const edge of [road.surfaceLeft, road.surfaceRight]) {
        for (const piece of outsideIntervals(road, edge, vis[0], vis[1], index, 0.3, 0.5)) {
          paintKerb(ctx, road, [piece.s0, piece.s1], edge, edge === road.surfaceLeft ? -1 : 1, level);
        }
      }
    }
  }
}

function bridgeShadow(ctx: RenderContext, road: Road, vis: [number, number]): void {
  const h = ctx.rng.range(6, 9) * ctx.look.sun.shadowPerM;
  const dx = Math.cos(ctx.look.sun.shadowAngle) * h;
  const dy = Math.sin(ctx.look.sun.shadowAngle) * h;
  const ring = pathBand(road.path, vis[0], vis[1], road.surfaceLeft, road.surfaceRight, 1, 2);
  const pts: Pt[] = [];
  for (let i = 0; i < ring.length; i += 2) pts.push([ring[i]! + dx, ring[i + 1]! + dy]);
  shadePolygonM(ctx, [pts], ctx.look.sun.shadowLight);
}

function surfaceDetails(
  ctx: RenderContext,
  road: Road,
  vis: [number, number],
  mat: RoadMaterial,
  rng: Rng,
): void {
  const { look, fields } = ctx;
  const base = mat.colour;
  const len = vis[1] - vis[0];
  const path = road.path;
  const randomLat = (s: number) => rng.range(road.surfaceLeft(s) + 0.3, road.surfaceRight(s) - 0.3);
  // Wheel paths: polished (lighter) or oil-stained lane centres (darker).
  if (rng.chance(0.7)) {
    const polish = rng.chance(0.5);
    const amt = rng.range(0.04, 0.14);
    for (const lane of road.lanes) {
      if (lane.parking) continue;
      const w = rng.range(0.5, 0.9);
      const offs = polish ? [-0.85, 0.85] : [0];
      for (const o of offs) {
        const c: Profile = (s) => lane.centre(s) + o * (lane.width(s) / 3.5);
        const f = polish ? 1 + amt : 1 - amt;
        fillRings(
          ctx,
          [
            pathBand(
              path,
              vis[0],
              vis[1],
              (s) => c(s) - w / 2,
              (s) => c(s) + w / 2,
              ctx.k,
              2,
            ),
          ],
          {
            r: base[0] * f,
            g: base[1] * f,
            b: base[2] * f,
            alpha: rng.range(0.3, 0.8),
            tex: fields.mid,
            texAmp: look.roadMidAmp,
            alphaField: fields.lo2,
            alphaBias: 0.6,
            alphaAmp: 0.5,
          },
        );
      }
    }
  }
  // Patches.
  const patches = Math.round((len / 120) * look.roadAge * rng.range(0, 4));
  for (let i = 0; i < patches; i++) {
    const s = rng.range(vis[0], vis[1]);
    const lat = randomLat(s);
    const [tx, ty] = path.tangentAt(s);
    const [cx, cy] = path.offsetPoint(s, lat);
    const f = rng.chance(0.6) ? rng.range(0.65, 0.9) : rng.range(1.08, 1.3);
    const rect = orientedRect(cx, cy, tx, ty, rng.range(1, 14), rng.range(0.5, 2.2));
    fillRings(ctx, [rect.flatMap((p) => [p[0] * ctx.k, p[1] * ctx.k])], {
      r: base[0] * f,
      g: base[1] * f,
      b: base[2] * f,
      alpha: rng.range(0.6, 1),
      tex: fields.mid,
      texAmp: look.roadMidAmp * 1.5,
      grain: fields.grain,
      grainAmp: look.roadGrain,
    });
  }
  // Cracks (thin, dark) and sealed cracks / tar seams (wider, dark or sun-glossy).
  const cracks = Math.round((len / 40) * look.roadAge * rng.range(0.5, 3));
  for (let i = 0; i < cracks; i++) {
    const sealed = rng.chance(0.5);
    const width = sealed ? rng.range(0.05, 0.2) : rng.range(0.015, 0.05);
    const glossy = sealed && rng.chance(0.35);
    const along = rng.chance(0.55);
    const s = rng.range(vis[0], vis[1]);
    const pts = crackPath(road, s, randomLat(s), along, rng);
    const c: RGB = glossy
      ? [base[0] + 55, base[1] + 55, base[2] + 58]
      : [base[0] * 0.45, base[1] * 0.45, base[2] * 0.47];
    fillRings(ctx, [bandRing(pts, -width / 2, width / 2, ctx.k)], {
      r: c[0],
      g: c[1],
      b: c[2],
      alpha: rng.range(0.45, 0.95),
    });
  }
  // Long seams parallel to the lanes, near (but not on) where lines are.
  if (rng.chance(0.25 + 0.4 * look.roadAge)) {
    const n = rng.int(1, 3);
    // Seams follow lane boundaries; roads inferred from AEL only know their own line (offset 0).
    const offsets = road.boundaries.length > 0 ? road.boundaries.map((b) => b.offset) : [() => 0];
    for (let i = 0; i < n; i++) {
      const b = { offset: rng.pick(offsets) };
      const off = rng.sign() * rng.range(0.25, 1.2);
      const w = rng.range(0.04, 0.18);
      const glossy = rng.chance(0.4);
      const s0 = rng.range(vis[0], vis[1]);
      const s1 = Math.min(vis[1], s0 + rng.range(20, 200));
      if (s1 - s0 < 5) continue;
      const wob = rng.range(0, 0.15);
      const pts = path.offsetCurve(s0, s1, (s) => b.offset(s) + off + wob * Math.sin(s * 0.7), 1);
      const c: RGB = glossy
        ? [base[0] + 45, base[1] + 45, base[2] + 48]
        : [base[0] * 0.55, base[1] * 0.55, base[2] * 0.57];
      fillRings(ctx, [bandRing(pts, -w / 2, w / 2, ctx.k)], {
        r: c[0],
        g: c[1],
        b: c[2],
        alpha: rng.range(0.4, 0.85),
      });
    }
  }
  // Tyre marks.
  const tyres = rng.chance(0.35) ? rng.int(1, 4) : 0;
  for (let i = 0; i < tyres; i++) {
    const s0 = rng.range(vis[0], vis[1]);
    const l = rng.range(4, 30);
    const lat = randomLat(s0);
    const bend = rng.range(-0.04, 0.04);
    for (const o of [-0.8, 0.8]) {
      const pts = path.offsetCurve(
        s0,
        Math.min(path.length, s0 + l),
        (s) => lat + o + bend * (s - s0) ** 1.5 * 0.1,
        1,
      );
      fillRings(ctx, [bandRing(pts, -0.11, 0.11, ctx.k)], {
        r: base[0] * 0.5,
        g: base[1] * 0.5,
        b: base[2] * 0.5,
        alpha: rng.range(0.15, 0.5),
      });
    }
  }
  // Manholes and drain covers.
  const holes = Math.round((len / 80) * rng.range(0, 2));
  for (let i = 0; i < holes; i++) {
    const s = rng.range(vis[0], vis[1]);
    const [x, y] = path.offsetPoint(s, randomLat(s));
    const r = rng.range(0.3, 0.45);
    const tone = rng.range(0.5, 1.3);
    fillRings(ctx, [discRing(x, y, r, ctx.k, 16)], { r: 70 * tone, g: 70 * tone, b: 72 * tone, alpha: 0.9 });
  }
  if (mat.concrete) concreteJoints(ctx, road, vis, rng);
}

function crackPath(road: Road, s: number, lat: number, along: boolean, rng: Rng): Pt[] {
  const pts: Pt[] = [];
  const [tx, ty] = road.path.tangentAt(s);
  let [x, y] = road.path.offsetPoint(s, lat);
  let h = along ? Math.atan2(ty, tx) : Math.atan2(tx, -ty);
  const n = rng.int(4, 25);
  for (let i = 0; i < n; i++) {
    pts.push([x, y]);
    h += rng.range(-0.5, 0.5);
    const step = rng.range(0.3, 1.5);
    x += Math.cos(h) * step;
    y += Math.sin(h) * step;
    if (!along) h = h * 0.7 + Math.atan2(tx, -ty) * 0.3;
  }
  return pts;
}

function concreteJoints(ctx: RenderContext, road: Road, vis: [number, number], rng: Rng): void {
  const spacing = rng.range(4, 6.5);
  const w = rng.range(0.015, 0.04);
  const paint = { r: 70, g: 70, b: 70, alpha: rng.range(0.4, 0.8) };
  for (let s = vis[0] + rng.range(0, spacing); s < vis[1]; s += spacing) {
    const a = road.path.offsetPoint(s, road.surfaceLeft(s));
    const b = road.path.offsetPoint(s, road.surfaceRight(s));
    fillRings(ctx, [bandRing([a, b], -w / 2, w / 2, ctx.k)], paint);
  }
  // Longitudinal joints along lane edges (paint often sits on them, but not always exactly).
  for (const lane of road.lanes) {
    const off = rng.range(-0.1, 0.1);
    const pts = road.path.offsetCurve(vis[0], vis[1], (s) => lane.centre(s) + lane.width(s) / 2 + off, 2);
    fillRings(ctx, [bandRing(pts, -w / 2, w / 2, ctx.k)], paint);
  }
}

/** Corner fillets between adjacent junction arms, with a kerb along the arc. */
function paintFillets(
  ctx: RenderContext,
  net: RoadNetwork,
  j: Junction,
  materials: Map<number, RoadMaterial>,
): void {
  if (j.arms.length < 2) return;
  const arms = j.arms.map((arm) => {
    const road = net.roads.find((r) => r.id === arm.roadId)!;
    const [tx, ty] = road.path.tangentAt(arm.sAtJunction);
    const u: Pt = [tx * arm.sense, ty * arm.sense];
    const right = arm.sense === 1 ? road.surfaceRight(arm.sAtJunction) : -road.surfaceLeft(arm.sAtJunction);
    const left = arm.sense === 1 ? -road.surfaceLeft(arm.sAtJunction) : road.surfaceRight(arm.sAtJunction);
    return { u, right, left, angle: Math.atan2(u[1], u[0]), road };
  });
  arms.sort((a, b) => a.angle - b.angle);
  const mat = materials.get(arms[0]!.road.id)!;
  for (let i = 0; i < arms.length; i++) {
    const a = arms[i]!;
    const b = arms[(i + 1) % arms.length]!;
    let diff = b.angle - a.angle;
    if (diff <= 0) diff += 2 * Math.PI;
    if (diff > (170 * Math.PI) / 180 || diff < 0.2) continue;
    // Angles grow clockwise on screen, so b lies to the right of a (right normal (-uy, ux)).
    const na: Pt = [-a.u[1], a.u[0]];
    const nb: Pt = [b.u[1], -b.u[0]];
    const pa: Pt = [j.x + na[0] * a.right, j.y + na[1] * a.right];
    const pb: Pt = [j.x + nb[0] * b.left, j.y + nb[1] * b.left];
    const den = a.u[0] * b.u[1] - a.u[1] * b.u[0];
    if (Math.abs(den) < 1e-6) continue;
    const t = ((pb[0] - pa[0]) * b.u[1] - (pb[1] - pa[1]) * b.u[0]) / den;
    const C: Pt = [pa[0] + a.u[0] * t, pa[1] + a.u[1] * t];
    const r = j.filletM;
    const P1: Pt = [C[0] + a.u[0] * r, C[1] + a.u[1] * r];
    const P2: Pt = [C[0] + b.u[0] * r, C[1] + b.u[1] * r];
    const arc: Pt[] = [];
    for (let q = 0; q <= 12; q++) {
      const tt = q / 12;
      const w0 = (1 - tt) * (1 - tt);
      const w1 = 2 * (1 - tt) * tt;
      const w2 = tt * tt;
      arc.push([w0 * P1[0] + w1 * C[0] + w2 * P2[0], w0 * P1[1] + w1 * C[1] + w2 * P2[1]]);
    }
    const poly = [C, ...arc];
    fillRings(
      ctx,
      [poly.flatMap((p) => [p[0] * ctx.k, p[1] * ctx.k])],
      surfacePaint(ctx, mat.colour, mat.concrete),
    );
    if (a.road.kerb) {
      const c = ctx.look.kerb;
      fillRings(ctx, [bandRing(arc, -0.22, 0, ctx.k)], {
        r: c[0],
        g: c[1],
        b: c[2],
        alpha: 0.85,
        grain: ctx.fields.grain,
        grainAmp: 4,
      });
    }
  }
}

function paintIsland(ctx: RenderContext, cx: number, cy: number, r: number): void {
  const rng = ctx.rng.fork(`island${cx | 0}`);
  const grass = rng.chance(0.7);
  const g = ctx.look.ground[0]!;
  const c: RGB = grass ? [g[0] * 0.9, g[1] * 1.1, g[2] * 0.85] : ctx.look.sidewalk;
  const kc = ctx.look.kerb;
  fillRings(ctx, [discRing(cx, cy, r, ctx.k, 72)], {
    r: kc[0],
    g: kc[1],
    b: kc[2],
    grain: ctx.fields.grain,
    grainAmp: 3,
  });
  fillRings(ctx, [discRing(cx, cy, r - 0.3, ctx.k, 72)], {
    r: c[0],
    g: c[1],
    b: c[2],
    tex: ctx.fields.mid,
    texAmp: 0.15,
    grain: ctx.fields.grain,
    grainAmp: 4,
  });
  if (rng.chance(0.5)) {
    // A ring of different planting or paving.
    fillRings(ctx, [discRing(cx, cy, r * rng.range(0.3, 0.7), ctx.k, 48)], {
      r: c[0] * rng.range(0.7, 1.2),
      g: c[1] * rng.range(0.7, 1.2),
      b: c[2] * rng.range(0.7, 1.2),
      tex: ctx.fields.mid,
      texAmp: 0.2,
    });
  }
}

function paintMedian(
  ctx: RenderContext,
  road: Road,
  vis: [number, number],
  left: Profile,
  right: Profile,
  kind: string,
): void {
  const kc = ctx.look.kerb;
  const { fields } = ctx;
  if (kind === "painted") return;
  const inset = 0.45;
  const a: Profile = (s) => left(s) + inset;
  const b: Profile = (s) => right(s) - inset;
  if (kind === "barrier") {
    const mid: Profile = (s) => (left(s) + right(s)) / 2;
    fillRings(
      ctx,
      [
        pathBand(
          road.path,
          vis[0],
          vis[1],
          (s) => mid(s) - 0.35,
          (s) => mid(s) + 0.35,
          ctx.k,
          2,
        ),
      ],
      {
        r: kc[0] * 0.95,
        g: kc[1] * 0.95,
        b: kc[2] * 0.93,
        grain: fields.grain,
        grainAmp: 3,
      },
    );
    const side = Math.cos(ctx.look.sun.shadowAngle) >= 0 ? 1 : -1;
    fillRings(
      ctx,
      [
        pathBand(
          road.path,
          vis[0],
          vis[1],
          (s) => mid(s) + side * 0.35,
          (s) => mid(s) + side * 0.7,
          ctx.k,
          2,
        ),
      ],
      {
        r: 30,
        g: 32,
        b: 40,
        alpha: 1 - ctx.look.sun.shadowLight,
      },
    );
    return;
  }
  if (right(vis[0]) - left(vis[0]) < 2 * inset + 0.2) return;
  fillRings(
    ctx,
    [
      pathBand(
        road.path,
        vis[0],
        vis[1],
        (s) => left(s) + 0.3,
        (s) => right(s) - 0.3,
        ctx.k,
        2,
      ),
    ],
    {
      r: kc[0],
      g: kc[1],
      b: kc[2],
      grain: fields.grain,
      grainAmp: 3,
    },
  );
  const g = ctx.look.ground[0]!;
  const c: RGB = kind === "raised-grass" ? [g[0] * 0.95, g[1] * 1.08, g[2] * 0.85] : ctx.look.sidewalk;
  fillRings(ctx, [pathBand(road.path, vis[0], vis[1], a, b, ctx.k, 2)], {
    r: c[0],
    g: c[1],
    b: c[2],
    tex: fields.mid,
    texAmp: kind === "raised-grass" ? 0.2 : 0.06,
    tex2: fields.lo2,
    tex2Amp: 0.08,
    grain: fields.grain,
    grainAmp: 4,
  });
}

function paintKerb(
  ctx: RenderContext,
  road: Road,
  vis: [number, number],
  edge: Profile,
  side: -1 | 1,
  bridge: boolean,
): void {
  const kc = ctx.look.kerb;
  // Per road, not per piece: the same kerb style on both sides and all pieces.
  const rng = ctx.rng.fork(`kerb${road.id}`);
  const w = bridge ? rng.range(0.4, 0.6) : rng.range(0.15, 0.3);
  const gutter = !bridge && rng.chance(0.35) ? rng.range(0.3, 0.6) : 0;
  fillRings(ctx, [pathBand(road.path, vis[0], vis[1], edge, (s) => edge(s) + side * w, ctx.k, 2)], {
    r: kc[0],
    g: kc[1],
    b: kc[2],
    alpha: 0.9,
    grain: ctx.fields.grain,
    grainAmp: 4,
  });
  if (gutter > 0) {
    // Concrete gutter pans: pale strips along the kerb (not lane markings).
    const c = ctx.look.sidewalk;
    fillRings(ctx, [pathBand(road.path, vis[0], vis[1], (s) => edge(s) - side * gutter, edge, ctx.k, 2)], {
      r: c[0] * 0.95,
      g: c[1] * 0.95,
      b: c[2] * 0.95,
      alpha: 0.85,
      tex: ctx.fields.mid,
      texAmp: 0.05,
      grain: ctx.fields.grain,
      grainAmp: 3,
    });
  }
}
