/**
 * Traffic and parked vehicles (cars, vans, trucks, buses) seen from above: body, glass, roof
 * details, a sun highlight and a cast shadow. They sit in lanes, parking lanes and lot stalls and
 * hide the paint below them; the label still covers that paint.
 */
import type { RoadNetwork } from "../geometry/network.js";
import { convexHull, orientedRect, type Pt } from "../geometry/polyline.js";
import { lotLayout } from "../markings/distractors.js";
import type { Rng } from "../random.js";
import { fillRings, type RenderContext, shadePolygonM } from "../render/context.js";
import { flatRing } from "../render/stroke.js";
import type { RGB } from "./look.js";
import { visibleRange } from "./surface.js";

export type VehicleKind = "car" | "van" | "truck" | "bus";

export interface Vehicle {
  x: number;
  y: number;
  /** Unit heading (front). */
  ux: number;
  uy: number;
  length: number;
  width: number;
  height: number;
  kind: VehicleKind;
  colour: RGB;
  trailer: RGB;
}

const CAR_COLOURS: readonly (readonly [RGB, number])[] = [
  [[225, 225, 222], 25],
  [[30, 30, 32], 20],
  [[140, 142, 146], 18],
  [[185, 187, 190], 12],
  [[150, 30, 30], 7],
  [[30, 55, 120], 7],
  [[60, 80, 60], 3],
  [[200, 170, 120], 3],
  [[220, 180, 30], 2],
  [[90, 60, 40], 3],
];

function randomVehicle(rng: Rng, x: number, y: number, ux: number, uy: number, parked: boolean): Vehicle {
  const kind: VehicleKind = parked
    ? rng.weighted([
        ["car", 0.85],
        ["van", 0.13],
        ["truck", 0.02],
      ] as const)
    : rng.weighted([
        ["car", 0.72],
        ["van", 0.15],
        ["truck", 0.08],
        ["bus", 0.05],
      ] as const);
  const colour = rng.weighted(CAR_COLOURS).map((c) => c * rng.range(0.9, 1.08)) as RGB;
  const trailer: RGB = rng.chance(0.6)
    ? [220, 220, 218]
    : (rng.weighted(CAR_COLOURS).map((c) => c * 0.95) as RGB);
  const dims = {
    car: [rng.range(3.9, 5), rng.range(1.7, 1.95), 1.45],
    van: [rng.range(4.6, 6), rng.range(1.9, 2.1), 2],
    truck: [rng.range(8, 16.5), rng.range(2.4, 2.55), 3.8],
    bus: [rng.range(10.5, 13), 2.55, 3.2],
  }[kind];
  return { x, y, ux, uy, length: dims[0]!, width: dims[1]!, height: dims[2]!, kind, colour, trailer };
}

function overlaps(a: Vehicle, b: Vehicle): boolean {
  const d = Math.hypot(a.x - b.x, a.y - b.y);
  const ra = Math.hypot(a.length, a.width) / 2;
  const rb = Math.hypot(b.length, b.width) / 2;
  if (d > ra + rb) return false;
  // Separating axis test on the four rectangle axes.
  const axes: Pt[] = [
    [a.ux, a.uy],
    [-a.uy, a.ux],
    [b.ux, b.uy],
    [-b.uy, b.ux],
  ];
  const ca = orientedRect(a.x, a.y, a.ux, a.uy, a.length / 2 + 0.3, a.width / 2 + 0.2);
  const cb = orientedRect(b.x, b.y, b.ux, b.uy, b.length / 2 + 0.3, b.width / 2 + 0.2);
  for (const [ax, ay] of axes) {
    let minA = Infinity;
    let maxA = -Infinity;
    let minB = Infinity;
    let maxB = -Infinity;
    for (const p of ca) {
      const v = p[0] * ax + p[1] * ay;
      minA = Math.min(minA, v);
      maxA = Math.max(maxA, v);
    }
    for (const p of cb) {
      const v = p[0] * ax + p[1] * ay;
      minB = Math.min(minB, v);
      maxB = Math.max(maxB, v);
    }
    if (maxA < minB || maxB < minA) return false;
  }
  return true;
}

/** Vehicles for roads at one level (elevated or not) and, at ground level, parking lots. */
export function placeVehicles(ctx: RenderContext, net: RoadNetwork, elevated: boolean): Vehicle[] {
  const { look } = ctx;
  const out: Vehicle[] = [];
  if (look.trafficDensity <= 0 && look.clean) return out;
  const rng = ctx.rng.fork(`vehicles${elevated ? 1 : 0}`);
  const tryAdd = (v: Vehicle) => {
    if (v.x < -20 || v.y < -20 || v.x > ctx.widthM + 20 || v.y > ctx.heightM + 20) return;
    for (const o of out) if (overlaps(o, v)) return;
    out.push(v);
  };
  for (const road of net.roads) {
    if (road.elevated !== elevated) continue;
    const vis = visibleRange(road.path, ctx, 20);
    if (!vis) continue;
    for (const lane of road.lanes) {
      const density = lane.parking ? look.parkedP : look.trafficDensity;
      if (density <= 0) continue;
      let s = vis[0] + rng.range(0, 10);
      while (s < vis[1]) {
        const [tx, ty] = road.path.tangentAt(s);
        const w = lane.width(s);
        if (w > 2) {
          const jitter = lane.parking ? rng.range(-0.2, 0.2) : rng.range(-0.3, 0.3);
          const [x, y] = road.path.offsetPoint(s, lane.centre(s) + jitter);
          const yaw = rng.range(-0.03, 0.03);
          const c = Math.cos(yaw);
          const sn = Math.sin(yaw);
          let ux = (tx * c - ty * sn) * lane.dir;
          let uy = (tx * sn + ty * c) * lane.dir;
          if (lane.parking && rng.chance(0.3)) {
            ux = -ux;
            uy = -uy;
          }
          if (rng.chance(lane.parking ? density : Math.min(1, density * 1.5))) {
            const v = randomVehicle(rng, x, y, ux, uy, lane.parking);
            tryAdd(v);
            s += v.length;
          }
        }
        const headway = lane.parking
          ? rng.range(0.8, 4)
          : rng.range(4, 15) + rng.range(0, 120) * (1 - density);
        s += headway + 4;
      }
    }
  }
  if (!elevated) {
    net.lots.forEach((lot, li) => {
      const layout = lotLayout(lot, ctx.rng.fork(`lot${li}`));
      for (const st of layout.stalls) {
        if (!rng.chance(look.parkedP)) continue;
        const flip = rng.chance(0.5) ? 1 : -1;
        tryAdd(randomVehicle(rng, st.x + rng.range(-0.15, 0.15), st.y, st.ux * flip, st.uy * flip, true));
      }
    });
  }
  return out;
}

/** Shadows first (so a neighbour's shadow can fall on a car body drawn later), then bodies. */
export function paintVehicles(ctx: RenderContext, vehicles: readonly Vehicle[]): void {
  const { sun } = ctx.look;
  const sx = Math.cos(sun.shadowAngle) * sun.shadowPerM;
  const sy = Math.sin(sun.shadowAngle) * sun.shadowPerM;
  for (const v of vehicles) {
    const body = orientedRect(v.x, v.y, v.ux, v.uy, v.length / 2, v.width / 2);
    const h = v.height * 0.85;
    const shifted = body.map((p): Pt => [p[0] + sx * h, p[1] + sy * h]);
    shadePolygonM(ctx, [convexHull([...body, ...shifted])], sun.shadowLight * 0.9);
  }
  for (const v of vehicles) paintBody(ctx, v);
}

function paintBody(ctx: RenderContext, v: Vehicle): void {
  const k = ctx.k;
  const { ux, uy } = v;
  const vx = -uy;
  const vy = ux;
  const at = (a: number, b: number): Pt => [v.x + ux * a + vx * b, v.y + uy * a + vy * b];
  const L = v.length / 2;
  const W = v.width / 2;
  const ch = Math.min(0.45, W * 0.4);
  const outline = (l0: number, l1: number, w: number, c: number): number[] =>
    flatRing(
      [
        at(l0 + c, -w),
        at(l1 - c, -w),
        at(l1, -w + c),
        at(l1, w - c),
        at(l1 - c, w),
        at(l0 + c, w),
        at(l0, w - c),
        at(l0, -w + c),
      ],
      k,
    );
  const col = v.colour;
  const tex = { tex: ctx.fields.fine, texAmp: 0.03, grain: ctx.fields.grain, grainAmp: 2 };
  const glass = { r: 28, g: 32, b: 40 };
  if (v.kind === "truck") {
    const cab = 2.3;
    fillRings(ctx, [outline(L - cab, L, W, ch)], { r: col[0], g: col[1], b: col[2], ...tex });
    fillRings(
      ctx,
      [
        flatRing(
          [at(L - 0.5, -W * 0.85), at(L - 0.15, -W * 0.8), at(L - 0.15, W * 0.8), at(L - 0.5, W * 0.85)],
          k,
        ),
      ],
      glass,
    );
    const t = v.trailer;
    fillRings(ctx, [outline(-L, L - cab - 0.4, W, 0.1)], { r: t[0], g: t[1], b: t[2], ...tex });
    for (let a = -L + 0.6; a < L - cab - 0.6; a += 0.6) {
      fillRings(
        ctx,
        [flatRing([at(a, -W + 0.05), at(a + 0.05, -W + 0.05), at(a + 0.05, W - 0.05), at(a, W - 0.05)], k)],
        {
          r: t[0] * 0.85,
          g: t[1] * 0.85,
          b: t[2] * 0.85,
          alpha: 0.5,
        },
      );
    }
  } else if (v.kind === "bus") {
    fillRings(ctx, [outline(-L, L, W, 0.25)], { r: col[0], g: col[1], b: col[2], ...tex });
    fillRings(
      ctx,
      [
        flatRing(
          [at(L - 0.9, -W * 0.85), at(L - 0.1, -W * 0.85), at(L - 0.1, W * 0.85), at(L - 0.9, W * 0.85)],
          k,
        ),
      ],
      glass,
    );
    const units = ctx.rng.int(1, 3);
    for (let u = 0; u < units; u++) {
      const a = -L + 2 + u * 3;
      fillRings(ctx, [flatRing(orientedRect(...at(a, 0), ux, uy, 1, W * 0.6), k)], {
        r: 190,
        g: 192,
        b: 195,
        ...tex,
      });
    }
  } else {
    fillRings(ctx, [outline(-L, L, W, ch)], { r: col[0], g: col[1], b: col[2], ...tex });
    // Windscreen, rear window and side glass.
    const ws0 = L * 0.18;
    const ws1 = L * 0.55;
    const rw0 = -L * 0.75;
    const rw1 = -L * 0.5;
    const gw = W * 0.82;
    fillRings(ctx, [flatRing([at(ws0, -gw * 0.9), at(ws1, -gw), at(ws1, gw), at(ws0, gw * 0.9)], k)], glass);
    fillRings(
      ctx,
      [flatRing([at(rw0, -gw * 0.85), at(rw1, -gw * 0.9), at(rw1, gw * 0.9), at(rw0, gw * 0.85)], k)],
      glass,
    );
    for (const side of [-1, 1]) {
      fillRings(
        ctx,
        [
          flatRing(
            [at(rw1, side * gw), at(ws0, side * gw), at(ws0, side * W * 0.98), at(rw1, side * W * 0.98)],
            k,
          ),
        ],
        {
          ...glass,
          alpha: 0.8,
        },
      );
    }
    // Roof catches the sun a little differently.
    fillRings(
      ctx,
      [flatRing([at(rw1, -gw * 0.8), at(ws0, -gw * 0.8), at(ws0, gw * 0.8), at(rw1, gw * 0.8)], k)],
      {
        r: col[0] * 1.06 + 6,
        g: col[1] * 1.06 + 6,
        b: col[2] * 1.06 + 6,
        alpha: 0.6,
      },
    );
  }
}
