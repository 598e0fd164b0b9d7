/**
 * Procedural road layouts for one scene rectangle (metres): straight, curved and S-shaped roads,
 * T and 4-way junctions, roundabouts, divided highways with ramps, lane drops and overpasses, urban
 * grids and parking lots. Each returns a RoadNetwork; lane lines come from buildLaneLines.
 */
import type { RegionStyle } from "../markings/styles.js";
import type { Rng } from "../random.js";
import type { Junction, JunctionArm, ParkingLot, RoadNetwork } from "./network.js";
import { type CurvaturePiece, circlePath, Path, pathFromCurvature } from "./path.js";
import type { Pt, Rect } from "./polyline.js";
import type { Road, RoadKind } from "./road.js";
import { buildRoad, randomSection, type SectionSpec } from "./section.js";
import { SurfaceIndex } from "./surface-index.js";

export type LayoutKind = "corridor" | "tee" | "cross" | "roundabout" | "highway" | "grid" | "parking";

export const LAYOUT_KINDS: readonly LayoutKind[] = [
  "corridor",
  "tee",
  "cross",
  "roundabout",
  "highway",
  "grid",
  "parking",
];

export const LAYOUT_WEIGHTS: readonly (readonly [LayoutKind, number])[] = [
  ["corridor", 0.22],
  ["tee", 0.17],
  ["cross", 0.15],
  ["roundabout", 0.1],
  ["highway", 0.12],
  ["grid", 0.14],
  ["parking", 0.1],
];

export interface LayoutContext {
  rect: Rect;
  style: RegionStyle;
  rng: Rng;
}

type Shape = "straight" | "curve" | "s" | "wiggle";

class Builder {
  readonly net: RoadNetwork = { roads: [], junctions: [], lots: [], islands: [] };
  private nextId = 1;
  constructor(readonly ctx: LayoutContext) {}

  get rng(): Rng {
    return this.ctx.rng;
  }

  get centre(): Pt {
    const r = this.ctx.rect;
    return [(r.minX + r.maxX) / 2, (r.minY + r.maxY) / 2];
  }

  /** Half the diagonal plus a margin: paths this long from the centre leave the scene. */
  get reach(): number {
    const r = this.ctx.rect;
    return Math.hypot(r.maxX - r.minX, r.maxY - r.minY) / 2 + 60;
  }

  /** A random point within `frac` of the scene size around the centre. */
  nearCentre(frac: number): Pt {
    const r = this.ctx.rect;
    const [cx, cy] = this.centre;
    return [
      cx + this.rng.range(-frac, frac) * (r.maxX - r.minX),
      cy + this.rng.range(-frac, frac) * (r.maxY - r.minY),
    ];
  }

  add(
    kind: RoadKind,
    path: Path,
    opts: Partial<SectionSpec> & {
      setback?: number;
      priority?: number;
      elevated?: boolean;
      cutFrom?: number;
    } = {},
  ): Road {
    const { setback, priority, elevated, cutFrom, ...secOverrides } = opts;
    const section = { ...randomSection(kind, this.ctx.style, this.rng), ...secOverrides };
    const road = buildRoad({
      id: this.nextId++,
      path,
      section,
      style: this.ctx.style,
      rng: this.rng.fork(`road${this.nextId}`),
      setback: setback ?? this.rng.range(0.3, 1),
      priority: priority ?? section.importance,
      ...(elevated !== undefined ? { elevated } : {}),
      ...(cutFrom !== undefined ? { cutFrom } : {}),
    });
    this.net.roads.push(road);
    return road;
  }

  /** Curvature pieces for one half of a path: bend of total turn ≤ maxTurn, then straight. */
  halfPieces(shape: Shape, sign: number, minR: number, length: number): CurvaturePiece[] {
    const rng = this.rng;
    if (shape === "straight") return [{ length, k0: 0, k1: 0 }];
    if (shape === "wiggle") {
      const out: CurvaturePiece[] = [];
      let left = length;
      let k = 0;
      while (left > 0) {
        const len = Math.min(left, rng.range(30, 90));
        const next = rng.chance(0.4) ? 0 : rng.sign() / rng.range(minR * 1.5, minR * 6);
        out.push({ length: len, k0: k, k1: next });
        k = next;
        left -= len;
      }
      return out;
    }
    const R = rng.logRange(minR, Math.max(minR * 1.5, 900));
    const k = sign / R;
    const trans = Math.min(length / 4, rng.range(10, 40));
    const maxTurn = rng.range(0.3, 1.3);
    const arc = Math.min(length - 2 * trans, Math.max(0, maxTurn * R - trans));
    return [
      { length: trans, k0: 0, k1: k },
      { length: Math.max(0.1, arc), k0: k, k1: k },
      { length: trans, k0: k, k1: 0 },
      { length: Math.max(1, length - 2 * trans - arc), k0: 0, k1: 0 },
    ];
  }

  /** A path through `mid` with heading `heading` that leaves the scene both ways. */
  throughPath(mid: Pt, heading: number, shape: Shape, minR: number): Path {
    const len = this.reach;
    const sign = this.rng.sign();
    // Backward half integrates from mid with the heading reversed; the same curvature sign there
    // bends the other way in the forward sense, which makes an S; the opposite sign continues a C.
    const fwd = pathFromCurvature(mid, heading, this.halfPieces(shape, sign, minR, len));
    const bwdSign = shape === "s" ? sign : -sign;
    const bwd = pathFromCurvature(
      mid,
      heading + Math.PI,
      this.halfPieces(shape === "s" ? "curve" : shape, bwdSign, minR, len),
    );
    const pts: Pt[] = [...bwd.points].reverse();
    pts.pop();
    return new Path(pts.concat(fwd.points));
  }

  /** A path starting at `start` with heading, bending gently, long enough to leave the scene. */
  branchPath(start: Pt, heading: number, minR: number): Path {
    const shape: Shape = this.rng.weighted([
      ["straight", 3],
      ["curve", 2],
      ["wiggle", 0.5],
    ] as const);
    return pathFromCurvature(start, heading, this.halfPieces(shape, this.rng.sign(), minR, this.reach * 1.3));
  }

  randomShape(): Shape {
    return this.rng.weighted([
      ["straight", 0.35],
      ["curve", 0.35],
      ["s", 0.2],
      ["wiggle", 0.1],
    ] as const);
  }

  /** Add a junction where two roads cross (all arms yield, as at signals). */
  crossJunction(a: Road, b: Road, filletM: number, furniture: boolean): void {
    for (const [sa, sb, x, y] of pathIntersections(a.path, b.path)) {
      const arms: JunctionArm[] = [];
      for (const [road, s] of [
        [a, sa],
        [b, sb],
      ] as const) {
        if (s > 5) arms.push({ roadId: road.id, sAtJunction: s, sense: -1, yields: true });
        if (s < road.path.length - 5) arms.push({ roadId: road.id, sAtJunction: s, sense: 1, yields: true });
      }
      this.net.junctions.push({
        x,
        y,
        arms,
        filletM,
        crosswalks: furniture && this.rng.chance(0.6),
        stopBars: furniture && this.rng.chance(0.8),
      });
    }
  }

  /** Offset of the outermost painted line of `road` at s on one side (+1 right, -1 left). */
  outerLineOffset(road: Road, s: number, side: 1 | -1): number {
    let best = -1;
    for (const b of road.boundaries) {
      if (b.runs.length === 0 || b.role === "kerb") continue;
      const o = side * b.offset(s);
      if (o > best) best = o;
    }
    const surf = side === 1 ? road.surfaceRight(s) : -road.surfaceLeft(s);
    return best >= 0 ? best : surf - 0.3;
  }

  /** A minor road leaving `main` at arc length s to one side at `angle` from its tangent (T junction). */
  tee(
    main: Road,
    s: number,
    side: 1 | -1,
    angle: number,
    kind: RoadKind,
    furniture: boolean,
    overrides: Partial<SectionSpec> = {},
  ): Road {
    const rng = this.rng;
    const [px, py] = main.path.offsetPoint(s, 0);
    const [tx, ty] = main.path.tangentAt(s);
    const base = Math.atan2(ty, tx);
    const heading = base + side * angle;
    const branch = this.branchPath([px, py], heading, 60);
    const sin = Math.abs(Math.sin(angle));
    const lineOff = this.outerLineOffset(main, s, side);
    const setback = furniture ? rng.range(1.5, 7) : rng.range(0.5, 2);
    const minor = this.add(kind, branch, {
      ...overrides,
      priority: main.priority - 0.5,
      setback,
      cutFrom: Math.max(0, (lineOff - 2.5 * Math.abs(Math.cos(angle))) / sin - 0.3),
    });
    this.net.junctions.push({
      x: px,
      y: py,
      arms: [
        { roadId: main.id, sAtJunction: s, sense: 1, yields: false },
        { roadId: main.id, sAtJunction: s, sense: -1, yields: false },
        { roadId: minor.id, sAtJunction: 0, sense: 1, yields: true },
      ],
      filletM: rng.range(3, 12),
      crosswalks: furniture && rng.chance(0.5),
      stopBars: rng.chance(0.75),
    });
    return minor;
  }
}

/** Arc lengths on both paths and the point where two dense paths cross. */
export function pathIntersections(a: Path, b: Path): [number, number, number, number][] {
  const out: [number, number, number, number][] = [];
  const pa = a.points;
  const pb = b.points;
  for (let i = 0; i + 1 < pa.length; i++) {
    const p = pa[i]!;
    const p2 = pa[i + 1]!;
    const minX = Math.min(p[0], p2[0]);
    const maxX = Math.max(p[0], p2[0]);
    const minY = Math.min(p[1], p2[1]);
    const maxY = Math.max(p[1], p2[1]);
    for (let j = 0; j + 1 < pb.length; j++) {
      const q = pb[j]!;
      const q2 = pb[j + 1]!;
      if (Math.max(q[0], q2[0]) < minX || Math.min(q[0], q2[0]) > maxX) continue;
      if (Math.max(q[1], q2[1]) < minY || Math.min(q[1], q2[1]) > maxY) continue;
      const rx = p2[0] - p[0];
      const ry = p2[1] - p[1];
      const sx = q2[0] - q[0];
      const sy = q2[1] - q[1];
      const den = rx * sy - ry * sx;
      if (Math.abs(den) < 1e-12) continue;
      const t = ((q[0] - p[0]) * sy - (q[1] - p[1]) * sx) / den;
      const u = ((q[0] - p[0]) * ry - (q[1] - p[1]) * rx) / den;
      if (t >= 0 && t < 1 && u >= 0 && u < 1) {
        const sa = a.cum[i]! + t * (a.cum[i + 1]! - a.cum[i]!);
        const sb = b.cum[j]! + u * (b.cum[j + 1]! - b.cum[j]!);
        // Closely spaced hits on the same crossing (dense paths) count once.
        if (!out.some((o) => Math.abs(o[0] - sa) < 20)) out.push([sa, sb, p[0] + rx * t, p[1] + ry * t]);
      }
    }
  }
  return out;
}

function minRadiusFor(kind: RoadKind): number {
  return kind === "highway" ? 350 : kind === "arterial" ? 120 : kind === "rural" ? 90 : 50;
}

export function buildLayout(kind: LayoutKind, ctx: LayoutContext): RoadNetwork {
  const b = new Builder(ctx);
  const rng = ctx.rng;
  switch (kind) {
    case "corridor":
      corridor(b);
      break;
    case "tee": {
      const mainKind = rng.weighted([
        ["arterial", 2],
        ["street", 2],
        ["rural", 2],
        ["oneway", 0.5],
      ] as const);
      const main = b.add(
        mainKind,
        b.throughPath(b.nearCentre(0.2), rng.range(0, 2 * Math.PI), b.randomShape(), minRadiusFor(mainKind)),
      );
      const s = main.path.length / 2 + rng.range(-40, 40);
      b.tee(
        main,
        s,
        rng.sign(),
        rng.range(1.15, 1.99),
        rng.weighted([
          ["street", 3],
          ["rural", 1],
          ["arterial", 1],
        ] as const),
        rng.chance(0.6),
      );
      if (rng.chance(0.35)) {
        const s2 = s + rng.sign() * rng.range(60, 160);
        if (s2 > 20 && s2 < main.path.length - 20)
          b.tee(main, s2, rng.sign(), rng.range(1.2, 1.95), "street", rng.chance(0.5));
      }
      break;
    }
    case "cross": {
      const kindA = rng.weighted([
        ["arterial", 2],
        ["street", 2],
        ["rural", 1],
        ["oneway", 0.6],
      ] as const);
      const kindB = rng.weighted([
        ["arterial", 1],
        ["street", 2],
        ["rural", 1],
        ["oneway", 0.6],
      ] as const);
      const mid = b.nearCentre(0.15);
      const h = rng.range(0, 2 * Math.PI);
      const furniture = rng.chance(0.75);
      const setA = furniture ? rng.range(2, 7) : rng.range(0.5, 2);
      const setB = furniture ? rng.range(2, 7) : rng.range(0.5, 2);
      const a = b.add(
        kindA,
        b.throughPath(mid, h, rng.chance(0.7) ? "straight" : "curve", minRadiusFor(kindA)),
        { setback: setA },
      );
      const c = b.add(
        kindB,
        b.throughPath(
          mid,
          h + rng.range(1.0, 2.1),
          rng.chance(0.7) ? "straight" : "curve",
          minRadiusFor(kindB),
        ),
        { setback: setB },
      );
      b.crossJunction(a, c, rng.range(3, 12), furniture);
      break;
    }
    case "roundabout":
      roundabout(b);
      break;
    case "highway":
      highway(b);
      break;
    case "grid":
      grid(b);
      break;
    case "parking":
      parking(b);
      break;
  }
  if (kind !== "highway" && rng.chance(0.45)) unmarkedStreets(b);
  return b.net;
}

function corridor(b: Builder): void {
  const rng = b.rng;
  const kind = rng.weighted([
    ["street", 2],
    ["arterial", 2],
    ["rural", 2],
    ["highway", 1],
    ["oneway", 1],
  ] as const);
  const heading = rng.range(0, 2 * Math.PI);
  const main = b.add(kind, b.throughPath(b.nearCentre(0.25), heading, b.randomShape(), minRadiusFor(kind)));
  const extra = rng.next();
  if (extra < 0.3) {
    // A parallel road (frontage or service road) following the main one.
    const side = rng.sign();
    const gap = main.maxHalfWidth + rng.range(12, 50);
    const pts = main.path.offsetCurve(0, main.path.length, () => side * gap, 2);
    b.add(rng.pick(["street", "rural", "oneway"] as const), Path.resampled(pts, 1), {
      priority: main.priority - 0.1,
    });
  } else if (extra < 0.55) {
    const other = b.add(
      "street",
      b.throughPath(b.nearCentre(0.3), heading + rng.range(1.1, 2.0), "straight", 60),
      {
        setback: rng.range(1, 6),
      },
    );
    main.setback = Math.max(main.setback, rng.range(1, 5));
    b.crossJunction(main, other, rng.range(3, 10), rng.chance(0.6));
  } else if (extra < 0.75) {
    b.tee(
      main,
      main.path.length / 2 + rng.range(-80, 80),
      rng.sign(),
      rng.range(1.2, 1.95),
      "street",
      rng.chance(0.5),
    );
  }
}

function roundabout(b: Builder): void {
  const rng = b.rng;
  const [cx, cy] = b.nearCentre(0.12);
  const island = rng.range(5, 22);
  const shoulder = rng.range(0.3, 0.6);
  const rightHand = b.ctx.style.trafficSide === "right";
  // Counter-clockwise on screen puts the lanes (right of the path) outside the island.
  const ring = b.add("ring", circlePath(cx, cy, island + shoulder, false, 1, rng.range(0, 6.28)), {
    shoulder,
    priority: 2,
    setback: 0.3,
  });
  if (!rightHand) for (const lane of ring.lanes) lane.dir = -1;
  b.net.islands.push({ cx, cy, r: island });
  const ringOuter = island + shoulder + ring.surfaceRight(0) - shoulder;
  const n = rng.weighted([
    [3, 2],
    [4, 3],
    [5, 1],
  ] as const);
  const a0 = rng.range(0, 2 * Math.PI);
  for (let i = 0; i < n; i++) {
    const a = a0 + (2 * Math.PI * i) / n + rng.range(-0.25, 0.25);
    const startR = island + shoulder + (ringOuter - island - shoulder) * 0.6;
    const start: Pt = [cx + startR * Math.cos(a), cy + startR * Math.sin(a)];
    const kind = rng.weighted([
      ["street", 2],
      ["arterial", 1],
      ["rural", 1],
    ] as const);
    const path = b.branchPath(start, a, 80);
    const lineR = ringOuter - (ring.surfaceRight(0) - b.outerLineOffset(ring, 0, 1));
    const road = b.add(kind, path, {
      setback: rng.range(0.5, 2.5),
      priority: 1,
      cutFrom: Math.max(0, lineR - startR - 2),
    });
    b.net.junctions.push({
      x: start[0],
      y: start[1],
      arms: [{ roadId: road.id, sAtJunction: 0, sense: 1, yields: true }],
      filletM: rng.range(4, 12),
      crosswalks: rng.chance(0.3),
      stopBars: rng.chance(0.7),
    });
  }
}

function highway(b: Builder): void {
  const rng = b.rng;
  const heading = rng.range(0, 2 * Math.PI);
  const L0 = b.reach * 2;
  const taper = rng.chance(0.45)
    ? {
        side: rng.sign(),
        s0: L0 / 2 + rng.range(-120, 20),
        s1: 0,
        kind: rng.chance(0.5) ? ("drop" as const) : ("add" as const),
      }
    : null;
  if (taper) taper.s1 = taper.s0 + rng.range(60, 150);
  const hw = b.add(
    "highway",
    b.throughPath(b.nearCentre(0.2), heading, rng.chance(0.5) ? "straight" : "curve", 400),
    {
      taper,
      priority: 3,
      setback: 0.3,
    },
  );
  if (rng.chance(0.5)) {
    // An on- or off-ramp joining tangentially on one side.
    const side: 1 | -1 = rng.sign();
    const sm = hw.path.length / 2 + rng.range(-100, 100);
    const edge = side === 1 ? hw.surfaceRight(sm) : -hw.surfaceLeft(sm);
    const [mx, my] = hw.path.offsetPoint(sm, side * (edge - 2));
    const [tx, ty] = hw.path.tangentAt(sm);
    const back = pathFromCurvature([mx, my], Math.atan2(-ty, -tx), [
      { length: 40, k0: 0, k1: 0 },
      { length: 60, k0: 0, k1: side / rng.range(150, 300) },
      { length: b.reach, k0: side / 250, k1: side / 250 },
    ]);
    const pts = [...back.points].reverse();
    b.add("ramp", new Path(pts), { priority: 2, setback: rng.range(0.3, 1.5) });
  }
  if (rng.chance(0.35)) {
    // A parallel frontage road.
    const side = rng.sign();
    const gap = hw.maxHalfWidth + rng.range(15, 40);
    const pts = hw.path.offsetCurve(0, hw.path.length, () => side * gap, 2);
    b.add(rng.pick(["street", "rural"] as const), Path.resampled(pts, 1), { priority: 1 });
  }
  if (rng.chance(0.3)) {
    // An overpass: drawn above the highway, its own markings uncut.
    const kind = rng.pick(["arterial", "street", "rural"] as const);
    b.add(kind, b.throughPath(b.nearCentre(0.25), heading + rng.range(1.2, 1.95), "straight", 200), {
      elevated: true,
      priority: 5,
      kerb: false,
      sidewalkLeft: 0,
      sidewalkRight: 0,
      parkingLeft: false,
      parkingRight: false,
    });
  }
}

function grid(b: Builder): void {
  const rng = b.rng;
  const theta = rng.range(0, Math.PI);
  const [cx, cy] = b.centre;
  const u: Pt = [Math.cos(theta), Math.sin(theta)];
  const v: Pt = [-u[1], u[0]];
  const spacingU = rng.range(55, 150);
  const spacingV = rng.range(55, 150);
  const reach = b.reach;
  const furniture = rng.chance(0.7);
  const avenueU = rng.int(-1, 1);
  const roadsU: Road[] = [];
  const roadsV: Road[] = [];
  const ou = rng.range(0, spacingU);
  const ov = rng.range(0, spacingV);
  for (const [dir, normal, spacing, off, list, along] of [
    [u, v, spacingV, ov, roadsU, true],
    [v, u, spacingU, ou, roadsV, false],
  ] as const) {
    const count = Math.ceil(reach / spacing);
    for (let k = -count; k <= count; k++) {
      const d = k * spacing + off - spacing / 2;
      if (Math.abs(d) > reach - 40) continue;
      const mid: Pt = [cx + normal[0] * d, cy + normal[1] * d];
      const kind: RoadKind =
        along && k === avenueU
          ? "arterial"
          : rng.weighted([
              ["street", 4],
              ["oneway", 1],
            ] as const);
      const path = b.throughPath(
        mid,
        Math.atan2(dir[1], dir[0]) + (rng.chance(0.5) ? Math.PI : 0),
        "straight",
        100,
      );
      list.push(b.add(kind, path, { setback: furniture ? rng.range(2, 6) : rng.range(0.5, 2) }));
    }
  }
  for (const a of roadsU) for (const c of roadsV) b.crossJunction(a, c, rng.range(3, 9), furniture);
}

function parking(b: Builder): void {
  const rng = b.rng;
  const kind = rng.weighted([
    ["street", 2],
    ["arterial", 2],
    ["rural", 1],
  ] as const);
  const main = b.add(
    kind,
    b.throughPath(b.nearCentre(0.25), rng.range(0, 2 * Math.PI), rng.chance(0.7) ? "straight" : "curve", 150),
  );
  const lots = rng.int(1, 2);
  for (let i = 0; i < lots; i++) {
    const s = main.path.length / 2 + rng.range(-60, 60) + i * rng.sign() * 90;
    const side = rng.sign();
    const [tx, ty] = main.path.tangentAt(s);
    const edge = side === 1 ? main.surfaceRight(s) : -main.surfaceLeft(s);
    const halfWid = rng.range(12, 35);
    const halfLen = rng.range(18, 60);
    const gap = rng.range(4, 14);
    const [cx, cy] = main.path.offsetPoint(s, side * (edge + gap + halfWid));
    const lot: ParkingLot = { cx, cy, ux: tx, uy: ty, halfLen, halfWid };
    b.net.lots.push(lot);
    // Driveway from the road into the lot.
    const [dx, dy] = main.path.offsetPoint(s + rng.range(-halfLen * 0.6, halfLen * 0.6), 0);
    const heading = Math.atan2(ty, tx) + side * (Math.PI / 2);
    const dw = pathFromCurvature([dx, dy], heading, [{ length: edge + gap + 4, k0: 0, k1: 0 }]);
    b.add("street", dw, {
      right: 1,
      left: 1,
      laneWidth: rng.range(2.7, 3.2),
      centre: "none",
      edgeLines: false,
      parkingLeft: false,
      parkingRight: false,
      sidewalkLeft: 0,
      sidewalkRight: 0,
      kerb: true,
      priority: 0,
      setback: 0.3,
      cutFrom: Math.max(0, b.outerLineOffset(main, s, side) - 0.3),
    });
  }
  if (rng.chance(0.3))
    b.tee(
      main,
      main.path.length / 2 + rng.sign() * rng.range(80, 150),
      rng.sign(),
      rng.range(1.2, 1.9),
      "street",
      false,
    );
}

/** Side streets and lanes without any lane lines: common in reality, and pure negatives. */
function unmarkedStreets(b: Builder): void {
  const rng = b.rng;
  const hosts = b.net.roads.filter(
    (r) => r.kind !== "ring" && r.kind !== "ramp" && !r.elevated && r.path.length > 150,
  );
  if (hosts.length === 0) return;
  const n = rng.int(1, 3);
  for (let i = 0, tries = 0; i < n && tries < 12; tries++) {
    const host = rng.pick(hosts);
    const s = host.path.length * rng.range(0.3, 0.7);
    const side = rng.sign();
    const angle = rng.range(1.15, 1.99);
    // Keep clear of other roads: the branch must not start in or run into a junction.
    const index = new SurfaceIndex(b.net.roads);
    const [px, py] = host.path.offsetPoint(s, 0);
    const [tx, ty] = host.path.tangentAt(s);
    const h = Math.atan2(ty, tx) + side * angle;
    let clear = true;
    for (const d of [0, 15, 30, 45]) {
      const x = px + Math.cos(h) * (host.maxHalfWidth + d);
      const y = py + Math.sin(h) * (host.maxHalfWidth + d);
      if (index.coveringRoad(x, y, host.id, 12) >= 0 || (d > 0 && index.onAnyPavement(x, y, 3)))
        clear = false;
    }
    if (!clear) continue;
    i++;
    b.tee(host, s, side, angle, "street", false, {
      centre: "none",
      centreZones: false,
      edgeLines: false,
      laneWidth: rng.range(2.5, 3.2),
      parkingLeft: false,
      parkingRight: false,
    });
  }
}

/** Junction helper for tests: the set of yielding arms of a junction. */
export function yieldingArms(j: Junction): JunctionArm[] {
  return j.arms.filter((a) => a.yields);
}
