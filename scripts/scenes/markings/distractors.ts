/**
 * Paint that is NOT a lane line and stays background in the labels: stop bars, give-way teeth,
 * crossings (zebra, ladder, two-line), arrows, parking stalls, hatched medians and worded markings.
 * They are white or yellow strokes like lane lines, so the model has to learn the difference.
 */
import type { RGB } from "../appearance/look.js";
import { armEdge, type Junction, type ParkingLot, type RoadNetwork } from "../geometry/network.js";
import { orientedRect, type Pt } from "../geometry/polyline.js";
import type { Profile, Road } from "../geometry/road.js";
import { SurfaceIndex } from "../geometry/surface-index.js";
import type { Rng } from "../random.js";
import { fillRings, type RenderContext } from "../render/context.js";
import { bandRing, flatRing } from "../render/stroke.js";

interface PaintStyle {
  colour: RGB;
  alpha: number;
}

function paintStyle(ctx: RenderContext, rng: Rng, yellowP = 0): PaintStyle {
  const c = rng.chance(yellowP) ? ctx.look.yellow : ctx.look.white;
  const t = rng.range(0.9, 1.03);
  return { colour: [c[0] * t, c[1] * t, c[2] * t], alpha: ctx.look.paintAlpha * rng.range(0.75, 1) };
}

function fillPaint(ctx: RenderContext, ring: number[], st: PaintStyle): void {
  const wear = ctx.look.wear;
  fillRings(ctx, [ring], {
    r: st.colour[0],
    g: st.colour[1],
    b: st.colour[2],
    alpha: st.alpha,
    grain: ctx.fields.grain,
    grainAmp: 3,
    ...(wear > 0 ? { alphaField: ctx.fields.fine, alphaBias: 1 - 0.35 * wear, alphaAmp: 0.45 * wear } : {}),
  });
}

export function paintDistractors(ctx: RenderContext, net: RoadNetwork): void {
  const ground = net.roads.filter((r) => !r.elevated);
  const index = new SurfaceIndex(ground);
  net.junctions.forEach((j, ji) => {
    junctionFurniture(ctx, net, j, index, ctx.rng.fork(`junction${ji}`));
  });
  net.lots.forEach((lot, li) => {
    const layout = lotLayout(lot, ctx.rng.fork(`lot${li}`));
    const st = paintStyle(ctx, ctx.rng.fork(`lotpaint${li}`), 0.25);
    for (const seg of layout.lines)
      fillPaint(ctx, bandRing(seg, -layout.lineWidth / 2, layout.lineWidth / 2, ctx.k), st);
  });
  for (const road of net.roads) {
    const rng = ctx.rng.fork(`roadmarks${road.id}`);
    for (const m of road.medians) if (m.kind === "painted") hatch(ctx, road, m.left, m.right, rng);
    if (rng.chance(0.4)) streetParkingMarks(ctx, road, rng);
    if (rng.chance(0.15) && !road.elevated) wordMarking(ctx, road, rng);
  }
}

function roadById(net: RoadNetwork, id: number): Road {
  return net.roads.find((r) => r.id === id)!;
}

function junctionFurniture(
  ctx: RenderContext,
  net: RoadNetwork,
  j: Junction,
  index: SurfaceIndex,
  rng: Rng,
): void {
  const cwStyle = rng.weighted([
    ["zebra", 3],
    ["ladder", 1],
    ["two-line", 1.5],
  ] as const);
  const cwWidth = rng.range(2.5, 4.5);
  for (const arm of j.arms) {
    if (!arm.yields) continue;
    const road = roadById(net, arm.roadId);
    const sEdge = armEdge(net, arm, index);
    const sense = arm.sense;
    const room = road.setback;
    let s = sEdge + sense * 0.5;
    const st = paintStyle(ctx, rng);
    if (j.crosswalks && room > cwWidth + 1.5) {
      crossing(ctx, road, s, s + sense * cwWidth, cwStyle, st, rng);
      s += sense * (cwWidth + rng.range(0.5, 1.2));
    }
    // Approach lanes carry traffic towards the junction.
    const approach = road.lanes.filter((l) => l.dir === -sense && !l.parking);
    if (j.stopBars && approach.length > 0 && Math.abs(s - sEdge) + 0.6 < room) {
      const barW = rng.range(0.3, 0.6);
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (const l of approach) {
        lo = Math.min(lo, l.centre(s) - l.width(s) / 2);
        hi = Math.max(hi, l.centre(s) + l.width(s) / 2);
      }
      const giveWay = rng.chance(0.3);
      if (giveWay) {
        teeth(ctx, road, s + (sense * barW) / 2, lo, hi, sense, st, rng);
      } else {
        const sb = s + (sense * barW) / 2;
        const a = road.path.offsetPoint(sb, lo);
        const b = road.path.offsetPoint(sb, hi);
        fillPaint(ctx, bandRing([a, b], -barW / 2, barW / 2, ctx.k), st);
      }
      s += sense * (barW + rng.range(2, 8));
      if (rng.chance(0.4))
        for (const l of approach) arrow(ctx, road, s + sense * rng.range(0, 4), l.centre, sense, st, rng);
    }
  }
}

function crossing(
  ctx: RenderContext,
  road: Road,
  s0: number,
  s1: number,
  kind: string,
  st: PaintStyle,
  rng: Rng,
): void {
  const a = Math.min(s0, s1);
  const b = Math.max(s0, s1);
  const L = road.surfaceLeft((a + b) / 2) + 0.3;
  const R = road.surfaceRight((a + b) / 2) - 0.3;
  if (kind !== "zebra") {
    const w = rng.range(0.15, 0.35);
    for (const s of [a, b]) {
      const p = road.path.offsetPoint(s, L);
      const q = road.path.offsetPoint(s, R);
      fillPaint(ctx, bandRing([p, q], -w / 2, w / 2, ctx.k), st);
    }
    if (kind === "two-line") return;
  }
  const barW = rng.range(0.4, 0.6);
  const gap = rng.range(0.4, 0.8);
  const inset = kind === "ladder" ? 0.5 : 0;
  for (let o = L; o + barW <= R; o += barW + gap) {
    const pts = road.path.offsetCurve(a + inset, b - inset, () => o + barW / 2, 1);
    fillPaint(ctx, bandRing(pts, -barW / 2, barW / 2, ctx.k), st);
  }
}

function teeth(
  ctx: RenderContext,
  road: Road,
  s: number,
  lo: number,
  hi: number,
  sense: 1 | -1,
  st: PaintStyle,
  rng: Rng,
): void {
  const size = rng.range(0.4, 0.6);
  const gap = rng.range(0.2, 0.5);
  for (let o = lo + 0.1; o + size <= hi; o += size + gap) {
    const p1 = road.path.offsetPoint(s, o);
    const p2 = road.path.offsetPoint(s, o + size);
    const p3 = road.path.offsetPoint(s + sense * size * 1.3, o + size / 2);
    fillPaint(ctx, flatRing([p1, p2, p3], ctx.k), st);
  }
}

/** A straight, left or right arrow in a lane, pointing towards the junction. */
function arrow(
  ctx: RenderContext,
  road: Road,
  s: number,
  centre: Profile,
  sense: 1 | -1,
  st: PaintStyle,
  rng: Rng,
): void {
  const len = rng.range(3, 6);
  const shaft = rng.range(0.15, 0.3);
  const head = rng.range(0.5, 0.9);
  const kind = rng.weighted([
    ["straight", 2],
    ["left", 1],
    ["right", 1],
  ] as const);
  // Local frame: u along the road towards the junction (-sense), v lateral.
  const local: Pt[] = [];
  const headLen = len * 0.3;
  local.push([0, -shaft / 2], [len - headLen, -shaft / 2]);
  if (kind === "straight") {
    local.push([len - headLen, -head / 2], [len, 0], [len - headLen, head / 2]);
  } else {
    const side = kind === "left" ? -1 : 1;
    local.push(
      [len - headLen, side * head * 0.2],
      [len - headLen * 0.3, side * head * 1.2],
      [len - headLen * 1.2, side * head * 1.3],
    );
    local.push([len - headLen, shaft / 2 + side * 0.05]);
  }
  local.push([len - headLen, shaft / 2], [0, shaft / 2]);
  const pts: Pt[] = local.map(([u, v]) => road.path.offsetPoint(s - sense * u, centre(s) + v * -sense));
  fillPaint(ctx, flatRing(pts, ctx.k), st);
}

/** Diagonal hatching between two offsets (painted medians). */
function hatch(ctx: RenderContext, road: Road, left: Profile, right: Profile, rng: Rng): void {
  const spacing = rng.range(2.5, 6);
  const w = rng.range(0.2, 0.45);
  const st = paintStyle(ctx, rng, 0.3);
  const L = road.path.length;
  for (let s = rng.range(0, spacing); s < L; s += spacing) {
    const a = road.path.offsetPoint(s, left(s) + 0.3);
    const b = road.path.offsetPoint(s + (right(s) - left(s)), right(s) - 0.3);
    if (!nearScene(ctx, a) && !nearScene(ctx, b)) continue;
    fillPaint(ctx, bandRing([a, b], -w / 2, w / 2, ctx.k), st);
  }
}

function nearScene(ctx: RenderContext, p: Pt): boolean {
  return p[0] > -20 && p[1] > -20 && p[0] < ctx.widthM + 20 && p[1] < ctx.heightM + 20;
}

/** Bay separators in on-street parking lanes. */
function streetParkingMarks(ctx: RenderContext, road: Road, rng: Rng): void {
  const st = paintStyle(ctx, rng, 0.1);
  const spacing = rng.range(5.5, 7);
  const w = rng.range(0.1, 0.15);
  for (const lane of road.lanes) {
    if (!lane.parking) continue;
    for (let s = rng.range(0, spacing); s < road.path.length; s += spacing) {
      const a = road.path.offsetPoint(s, lane.centre(s) - lane.width(s) / 2);
      if (!nearScene(ctx, a)) continue;
      const b = road.path.offsetPoint(s, lane.centre(s) + lane.width(s) / 2);
      fillPaint(ctx, bandRing([a, b], -w / 2, w / 2, ctx.k), st);
    }
  }
}

export interface LotLayout {
  lines: Pt[][];
  lineWidth: number;
  /** Stall centres with the stall's long axis (cars park along it). */
  stalls: { x: number; y: number; ux: number; uy: number }[];
}

/** Rows of stalls along the lot's long axis with aisles between double rows. */
export function lotLayout(lot: ParkingLot, rng: Rng): LotLayout {
  const depth = rng.range(4.8, 5.5);
  const aisle = rng.range(6, 7.5);
  const stallW = rng.range(2.4, 2.9);
  const lineWidth = rng.range(0.08, 0.15);
  const u: Pt = [lot.ux, lot.uy];
  const v: Pt = [-lot.uy, lot.ux];
  const lines: Pt[][] = [];
  const stalls: LotLayout["stalls"] = [];
  const at = (a: number, b: number): Pt => [lot.cx + u[0] * a + v[0] * b, lot.cy + u[1] * a + v[1] * b];
  // Row bands across the lot's width: stall row, aisle, stall row, ...
  let b = -lot.halfWid + 1;
  let rowSide = 1;
  while (b + depth <= lot.halfWid - 1) {
    const b0 = b;
    const b1 = b + depth;
    for (let a = -lot.halfLen + 1; a + stallW <= lot.halfLen - 1; a += stallW) {
      lines.push([at(a, b0), at(a, b1)]);
      stalls.push({
        x: at(a + stallW / 2, (b0 + b1) / 2)[0],
        y: at(a + stallW / 2, (b0 + b1) / 2)[1],
        ux: v[0],
        uy: v[1],
      });
    }
    b = b1 + (rowSide === 1 ? 0 : aisle);
    rowSide = -rowSide;
  }
  return { lines, lineWidth, stalls };
}

const GLYPHS: Record<string, string[]> = {
  S: ["111", "100", "111", "001", "111"],
  T: ["111", "010", "010", "010", "010"],
  O: ["111", "101", "101", "101", "111"],
  P: ["111", "101", "111", "100", "100"],
  L: ["100", "100", "100", "100", "111"],
  W: ["101", "101", "101", "111", "101"],
  B: ["110", "101", "110", "101", "110"],
  U: ["101", "101", "101", "101", "111"],
  X: ["101", "101", "010", "101", "101"],
  K: ["101", "110", "100", "110", "101"],
  E: ["111", "100", "110", "100", "111"],
  C: ["111", "100", "100", "100", "111"],
  A: ["111", "101", "111", "101", "101"],
  R: ["110", "101", "110", "101", "101"],
};

/** Elongated block letters along a lane (STOP, SLOW, BUS, ...). */
function wordMarking(ctx: RenderContext, road: Road, rng: Rng): void {
  const lane = road.lanes.find((l) => !l.parking);
  if (!lane) return;
  const word = rng.pick(["STOP", "SLOW", "BUS", "KEEP", "CLEAR", "TAXI", "SCHOOL"]);
  const s = road.path.length / 2 + rng.range(-80, 80);
  const h = rng.range(1.6, 2.8);
  const w = rng.range(0.5, 0.8);
  const cell = h / 5;
  const st = paintStyle(ctx, rng, 0.15);
  const sense = lane.dir;
  [...word].forEach((ch, ci) => {
    const g = GLYPHS[ch];
    if (!g) return;
    g.forEach((row, ry) => {
      [...row].forEach((bit, rx) => {
        if (bit !== "1") return;
        const along = s + sense * (ci * (h + 0.6) + (4 - ry) * cell);
        const lat = lane.centre(along) + (rx - 1) * w * sense;
        const [tx, ty] = road.path.tangentAt(along);
        const [cx, cy] = road.path.offsetPoint(along, lat);
        fillPaint(ctx, flatRing(orientedRect(cx, cy, tx, ty, cell / 2, w / 2), ctx.k), st);
      });
    });
  });
}
