/**
 * Cross-sections: from a few numbers (lanes per side, widths, median, parking, taper) and a
 * regional style to a Road with its boundaries, marking runs, lane slots and pavement edges.
 */
import type { MarkingSpec } from "../markings/marking.js";
import {
  type CentreKind,
  centreMarking,
  edgeMarking,
  innerEdgeMarking,
  kerbMarking,
  type RegionStyle,
  separatorMarking,
  strokeWidth,
} from "../markings/styles.js";
import type { Rng } from "../random.js";
import type { Path } from "./path.js";
import {
  type Boundary,
  constant,
  type LaneSlot,
  type MarkingRun,
  type Median,
  type MedianKind,
  type Profile,
  type Road,
  type RoadKind,
  type Sidewalk,
  smoothRamp,
} from "./road.js";

export interface TaperSpec {
  /** Side of the path whose outermost lane tapers: +1 right, -1 left. */
  side: 1 | -1;
  s0: number;
  s1: number;
  /** drop: full width before s0, gone after s1. add: the reverse (a merge lane appearing). */
  kind: "drop" | "add";
}

export interface SectionSpec {
  kind: RoadKind;
  /** 0 = local street … 1 = motorway: paint width, wear, setbacks. */
  importance: number;
  /** Lanes right / left of the path (positive / negative offsets). */
  right: number;
  left: number;
  /** All lanes run with the path (then `left` should be 0). */
  oneWay: boolean;
  laneWidth: number;
  medianWidth: number;
  medianKind: MedianKind | null;
  centre: CentreKind;
  /** Alternate centre kinds along the road (passing / no-passing zones). */
  centreZones: boolean;
  edgeLines: boolean;
  shoulder: number;
  parkingLeft: boolean;
  parkingRight: boolean;
  taper: TaperSpec | null;
  sidewalkLeft: number;
  sidewalkRight: number;
  verge: number;
  kerb: boolean;
}

export interface RoadOptions {
  id: number;
  path: Path;
  section: SectionSpec;
  style: RegionStyle;
  rng: Rng;
  setback: number;
  priority: number;
  elevated?: boolean;
  cutFrom?: number;
  cutTo?: number;
}

export function buildRoad(o: RoadOptions): Road {
  const { path, section: sec, style, rng } = o;
  const L = path.length;
  const stroke = strokeWidth(style, sec.importance, rng);
  const boundaries: Boundary[] = [];
  const lanes: LaneSlot[] = [];
  const medians: Median[] = [];
  const rightHand = style.trafficSide === "right";
  const inner = sec.medianWidth / 2;
  const divided = sec.medianWidth > 0;
  const run = (spec: MarkingSpec | null, s0 = 0, s1 = L): MarkingRun[] => (spec ? [{ s0, s1, spec }] : []);

  // Centre line of undivided two-way roads, possibly in zones of different kinds.
  if (!divided && !sec.oneWay && sec.left > 0 && sec.right > 0) {
    boundaries.push({ offset: constant(0), runs: centreRuns(sec, style, stroke, L, rng), role: "centre" });
  }
  if (divided && sec.medianKind) {
    medians.push({ left: constant(-inner), right: constant(inner), kind: sec.medianKind });
  }

  let surfaceLeft: Profile = constant(-inner);
  let surfaceRight: Profile = constant(inner);
  for (const side of [1, -1] as const) {
    const n = side === 1 ? sec.right : sec.left;
    if (n === 0) continue;
    const dir: 1 | -1 = sec.oneWay ? 1 : (side === 1) === rightHand ? 1 : -1;
    const widths: Profile[] = [];
    for (let i = 0; i < n; i++) {
      const w = sec.laneWidth * rng.range(0.97, 1.03);
      const t = sec.taper;
      if (t && t.side === side && i === n - 1) {
        widths.push(
          t.kind === "drop"
            ? (s) => w * (1 - smoothRamp(s, t.s0, t.s1))
            : (s) => w * smoothRamp(s, t.s0, t.s1),
        );
      } else widths.push(constant(w));
    }
    const offsetAt = (k: number): Profile => {
      if (k === 0) return constant(side * inner);
      return (s) => {
        let o = inner;
        for (let i = 0; i < k; i++) o += widths[i]!(s);
        return side * o;
      };
    };
    // Inner edge: divided carriageways and one-way roads have their own left-edge line.
    if (divided || sec.oneWay) {
      const spec = sec.edgeLines || divided ? innerEdgeMarking(style, stroke) : null;
      boundaries.push({ offset: offsetAt(0), runs: run(spec), role: "inner-edge" });
    }
    for (let k = 1; k < n; k++) {
      const spec = separatorMarking(style, stroke, rng);
      let runs = run(spec);
      const t = sec.taper;
      if (t && t.side === side && k === n - 1) {
        runs = t.kind === "drop" ? run(spec, 0, t.s0) : run(spec, t.s1, L);
      }
      boundaries.push({ offset: offsetAt(k), runs, role: "separator" });
    }
    const outer = offsetAt(n);
    const edgeSpec = sec.edgeLines ? edgeMarking(style, stroke * rng.range(1, 1.4), rng) : null;
    boundaries.push({ offset: outer, runs: run(edgeSpec), role: "edge" });
    for (let i = 0; i < n; i++) {
      const a = offsetAt(i);
      const wi = widths[i]!;
      lanes.push({ centre: (s) => a(s) + (side * wi(s)) / 2, width: wi, dir, parking: false });
    }
    const parking = side === 1 ? sec.parkingRight : sec.parkingLeft;
    const parkW = parking ? rng.range(2.1, 2.6) : 0;
    if (parking) {
      lanes.push({
        centre: (s) => outer(s) + (side * parkW) / 2,
        width: constant(parkW),
        dir,
        parking: true,
      });
    }
    const extra = parkW + sec.shoulder;
    const edge: Profile = (s) => outer(s) + side * extra;
    if (side === 1) surfaceRight = edge;
    else surfaceLeft = edge;
    const kerbSpec = sec.kerb ? kerbMarking(style, rng) : null;
    if (kerbSpec) {
      const inset = rng.range(0.2, 0.35);
      boundaries.push({ offset: (s) => edge(s) - side * inset, runs: run(kerbSpec), role: "kerb" });
    }
  }
  if (sec.oneWay && sec.left === 0) {
    const sh = sec.shoulder;
    surfaceLeft = constant(-sh);
  }

  const sidewalks: Sidewalk[] = [];
  if (sec.sidewalkLeft > 0) sidewalks.push({ side: -1, verge: sec.verge, width: sec.sidewalkLeft });
  if (sec.sidewalkRight > 0) sidewalks.push({ side: 1, verge: sec.verge, width: sec.sidewalkRight });

  let maxHalf = 0;
  for (let s = 0; s <= L; s += Math.max(1, L / 50)) {
    maxHalf = Math.max(maxHalf, -surfaceLeft(s), surfaceRight(s));
  }
  return {
    id: o.id,
    kind: sec.kind,
    path,
    surfaceLeft,
    surfaceRight,
    maxHalfWidth: maxHalf,
    boundaries,
    lanes,
    medians,
    sidewalks,
    kerb: sec.kerb,
    setback: o.setback,
    cutFrom: o.cutFrom ?? 0,
    cutTo: o.cutTo ?? L,
    priority: o.priority,
    elevated: o.elevated ?? false,
    importance: sec.importance,
  };
}

function centreRuns(sec: SectionSpec, style: RegionStyle, stroke: number, L: number, rng: Rng): MarkingRun[] {
  if (!sec.centreZones) {
    const spec = centreMarking(style, sec.centre, stroke, rng);
    return spec ? [{ s0: 0, s1: L, spec }] : [];
  }
  // Passing and no-passing zones alternate along rural roads.
  const kinds = style.centre.filter(([k]) => k !== "none");
  const a = sec.centre === "none" ? rng.weighted(kinds) : sec.centre;
  let b = rng.weighted(kinds);
  if (b === a) b = rng.weighted(kinds);
  const specA = centreMarking(style, a, stroke, rng);
  const specB = centreMarking(style, b, stroke, rng);
  const runs: MarkingRun[] = [];
  let s = 0;
  let useA = rng.chance(0.5);
  while (s < L) {
    const len = rng.range(40, 220);
    const s1 = Math.min(L, s + len);
    const spec = useA ? specA : specB;
    if (spec) runs.push({ s0: s, s1, spec });
    s = s1;
    useA = !useA;
  }
  return runs;
}

/** Sensible random section for a road kind in a style. */
export function randomSection(kind: RoadKind, style: RegionStyle, rng: Rng): SectionSpec {
  const laneWidth =
    kind === "highway" ? rng.range(3.3, 3.7) : kind === "street" ? rng.range(2.7, 3.4) : rng.range(2.9, 3.7);
  const centre = rng.weighted(style.centre);
  const base: SectionSpec = {
    kind,
    importance: 0.2,
    right: 1,
    left: 1,
    oneWay: false,
    laneWidth,
    medianWidth: 0,
    medianKind: null,
    centre,
    centreZones: false,
    edgeLines: rng.chance(style.edgeLineP),
    shoulder: rng.range(0.2, 0.8),
    parkingLeft: false,
    parkingRight: false,
    taper: null,
    sidewalkLeft: 0,
    sidewalkRight: 0,
    verge: 0,
    kerb: true,
  };
  switch (kind) {
    case "street": {
      const parking = rng.chance(0.4);
      const sw = rng.chance(0.75) ? rng.range(1.5, 3.5) : 0;
      return {
        ...base,
        importance: 0.1,
        // Town streets mostly end at kerbs, not edge lines.
        edgeLines: rng.chance(style.edgeLineP * 0.5),
        parkingLeft: parking && rng.chance(0.8),
        parkingRight: parking && rng.chance(0.8),
        centre: rng.chance(0.1) ? "none" : centre,
        sidewalkLeft: sw,
        sidewalkRight: sw > 0 && rng.chance(0.9) ? sw : 0,
        verge: rng.chance(0.4) ? rng.range(0.8, 3) : 0,
        shoulder: rng.range(0.1, 0.4),
      };
    }
    case "oneway": {
      const n = rng.int(2, 4);
      return {
        ...base,
        importance: 0.3,
        right: n,
        left: 0,
        oneWay: true,
        edgeLines: rng.chance(0.7),
        parkingRight: rng.chance(0.4),
        sidewalkLeft: rng.range(1.5, 4),
        sidewalkRight: rng.range(1.5, 4),
        verge: rng.chance(0.3) ? rng.range(0.8, 2) : 0,
      };
    }
    case "arterial": {
      const n = rng.int(2, 3);
      const divided = rng.chance(0.3);
      return {
        ...base,
        importance: 0.5,
        right: n,
        left: rng.chance(0.85) ? n : Math.max(1, n - 1),
        medianWidth: divided ? rng.range(1, 8) : 0,
        medianKind: divided
          ? rng.weighted([
              ["raised-grass", 2],
              ["raised-concrete", 2],
              ["painted", 1.5],
            ] as const)
          : null,
        centre: centre === "none" ? "double-yellow" : centre,
        edgeLines: rng.chance(0.55),
        parkingLeft: rng.chance(0.15),
        parkingRight: rng.chance(0.15),
        sidewalkLeft: rng.chance(0.7) ? rng.range(2, 4) : 0,
        sidewalkRight: rng.chance(0.7) ? rng.range(2, 4) : 0,
        verge: rng.chance(0.4) ? rng.range(1, 4) : 0,
      };
    }
    case "rural":
      return {
        ...base,
        importance: 0.35,
        centre: centre === "none" ? "white-dashed" : centre,
        centreZones: rng.chance(0.7),
        edgeLines: rng.chance(0.7),
        shoulder: rng.range(0.3, 2),
        kerb: false,
      };
    case "highway": {
      const n = rng.weighted([
        [2, 4],
        [3, 3],
        [4, 1.5],
        [5, 0.7],
        [6, 0.4],
      ] as const);
      return {
        ...base,
        importance: 0.9,
        right: n,
        left: n,
        medianWidth: rng.range(1.5, 16),
        medianKind: rng.weighted([
          ["raised-grass", 3],
          ["barrier", 2],
          ["raised-concrete", 1],
          ["painted", 0.5],
        ] as const),
        edgeLines: true,
        shoulder: rng.range(0.8, 3),
        kerb: false,
      };
    }
    case "ramp":
      return {
        ...base,
        importance: 0.7,
        right: rng.int(1, 2),
        left: 0,
        oneWay: true,
        edgeLines: true,
        shoulder: rng.range(0.5, 2),
        kerb: false,
      };
    case "ring":
      return {
        ...base,
        importance: 0.4,
        right: rng.int(1, 2),
        left: 0,
        oneWay: true,
        laneWidth: rng.range(3.5, 5),
        edgeLines: rng.chance(0.8),
        shoulder: rng.range(0.2, 0.5),
      };
  }
}
