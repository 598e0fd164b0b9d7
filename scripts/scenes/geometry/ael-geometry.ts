/**
 * Scene geometry from a real AEL annotation: its lane lines become the scene's lane lines (class
 * from the attributes, dashes painted with a pattern typical of the city), and the pavement is
 * inferred around them: each line's strip reaches to its nearest parallel neighbour on each side, or
 * a shoulder (edge lines) or a lane width (other lines) where it has none. Traffic lanes sit
 * between neighbouring lines.
 */

import { laneClassById } from "@lanesegnet/shared";
import Flatbush from "flatbush";
import { dashIntervals } from "../markings/dashes.js";
import { makeMarking } from "../markings/marking.js";
import { pickPattern, type StyleName, styleByName } from "../markings/styles.js";
import { type AelAnnotation, aelGroundGsd, aelLaneClass } from "../outputs/ael-format.js";
import type { Rng } from "../random.js";
import type { NetworkGeometry } from "../scene.js";
import type { LaneLine, RoadNetwork } from "./network.js";
import { Path } from "./path.js";
import { cumulativeLength, type Pt } from "./polyline.js";
import type { LaneSlot, Profile, Road } from "./road.js";

/** Marking conventions by AEL city digit (first digit of the id). */
export const AEL_CITY_STYLES: Record<string, StyleName> = {
  "0": "EU",
  "1": "EU",
  "2": "FR",
  "3": "EU",
  "4": "MY",
  "5": "US",
  "6": "BR",
};

export interface AelGeometry {
  geometry: NetworkGeometry;
  /** Ground metres per pixel of the source image. */
  sourceGsdM: number;
}

const RAY_M = 8;

export function geometryFromAel(ann: AelAnnotation, id: string, rng: Rng): AelGeometry {
  const gsd0 = aelGroundGsd(ann);
  const styleName = AEL_CITY_STYLES[id.charAt(0)] ?? "EU";
  const style = styleByName(styleName)!;
  // Lines in scene metres (continuous pixel = vertex + 0.5).
  const polylines: { pts: Pt[]; classId: number }[] = [];
  for (const lane of ann.lanes) {
    const pts: Pt[] = [];
    for (const [vx, vy] of lane.vertices) {
      const p: Pt = [(vx + 0.5) * gsd0, (vy + 0.5) * gsd0];
      const last = pts[pts.length - 1];
      if (!last || Math.hypot(p[0] - last[0], p[1] - last[1]) > 1e-6) pts.push(p);
    }
    if (pts.length >= 2) polylines.push({ pts, classId: aelLaneClass(lane) });
  }
  const lines: LaneLine[] = [];
  const roads: Road[] = [];
  const index = segmentIndex(polylines.map((p) => p.pts));
  polylines.forEach((pl, i) => {
    const cls = laneClassById(pl.classId);
    const strokeWidthM = rng.range(0.1, 0.2);
    const spec = makeMarking(
      pl.classId,
      strokeWidthM,
      cls.dashed ? pickPattern(style, rng) : null,
      rng.range(0.08, 0.18),
    );
    const cum = cumulativeLength(pl.pts);
    const length = cum[cum.length - 1]!;
    const painted = spec.pattern
      ? dashIntervals(length, spec.pattern, rng.range(0, spec.pattern.dashM + spec.pattern.gapM))
      : ([[0, length]] as [number, number][]);
    lines.push({ roadId: i + 1, role: "separator", spec, points: pl.pts, painted });
    roads.push(inferRoad(i, pl.pts, pl.classId, index, rng));
  });
  const network: RoadNetwork = { roads, junctions: [], lots: [], islands: [] };
  return {
    geometry: { kind: "network", network, lines, source: `ael:${id}`, style: styleName },
    sourceGsdM: gsd0,
  };
}

interface SegIndex {
  index: Flatbush | null;
  segs: [Pt, Pt, number][];
}

function segmentIndex(polys: Pt[][]): SegIndex {
  const segs: [Pt, Pt, number][] = [];
  polys.forEach((pts, pi) => {
    for (let i = 0; i + 1 < pts.length; i++) segs.push([pts[i]!, pts[i + 1]!, pi]);
  });
  if (segs.length === 0) return { index: null, segs };
  const index = new Flatbush(segs.length);
  for (const [a, b] of segs)
    index.add(Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1]));
  index.finish();
  return { index, segs };
}

/** Distance along the ray p + t*n (0 < t <= RAY_M) to the nearest roughly parallel other line. */
function rayHit(p: Pt, n: Pt, t: Pt, self: number, si: SegIndex): number | null {
  if (!si.index) return null;
  const q: Pt = [p[0] + n[0] * RAY_M, p[1] + n[1] * RAY_M];
  const found = si.index.search(
    Math.min(p[0], q[0]),
    Math.min(p[1], q[1]),
    Math.max(p[0], q[0]),
    Math.max(p[1], q[1]),
  );
  let best: number | null = null;
  for (const f of found) {
    const [a, b, owner] = si.segs[f]!;
    if (owner === self) continue;
    const sx = b[0] - a[0];
    const sy = b[1] - a[1];
    const sl = Math.hypot(sx, sy);
    if (sl < 1e-9) continue;
    if (Math.abs((sx * t[0] + sy * t[1]) / sl) < 0.8) continue;
    const den = n[0] * sy - n[1] * sx;
    if (Math.abs(den) < 1e-9) continue;
    const tt = ((a[0] - p[0]) * sy - (a[1] - p[1]) * sx) / den;
    const u = ((a[0] - p[0]) * n[1] - (a[1] - p[1]) * n[0]) / den;
    if (tt > 0.3 && tt <= RAY_M && u >= 0 && u <= 1 && (best === null || tt < best)) best = tt;
  }
  return best;
}

function inferRoad(i: number, pts: Pt[], classId: number, si: SegIndex, rng: Rng): Road {
  const path = Path.resampled(pts, 1);
  const L = path.length;
  const step = 2;
  const n = Math.max(1, Math.ceil(L / step));
  const left = new Float64Array(n + 1);
  const right = new Float64Array(n + 1);
  const edgeLike = classId === 1;
  const noNeighbour = edgeLike ? rng.range(0.3, 1.2) : rng.range(3.2, 3.8);
  for (let k = 0; k <= n; k++) {
    const s = (L * k) / n;
    const p = path.offsetPoint(s, 0);
    const t = path.tangentAt(s);
    const nr: Pt = [-t[1], t[0]];
    const nl: Pt = [t[1], -t[0]];
    right[k] = rayHit(p, nr, t, i, si) ?? noNeighbour;
    left[k] = rayHit(p, nl, t, i, si) ?? (edgeLike ? noNeighbour : rng.range(3.2, 3.8));
  }
  smooth(left);
  smooth(right);
  const at =
    (arr: Float64Array): Profile =>
    (s) => {
      const g = Math.min(n, Math.max(0, (s / L) * n));
      const k = Math.min(n - 1, Math.floor(g));
      const f = g - k;
      return arr[k]! + ((arr[k + 1] ?? arr[k]!) - arr[k]!) * f;
    };
  const leftP = at(left);
  const rightP = at(right);
  const lanes: LaneSlot[] = [];
  const dir: 1 | -1 = rng.chance(0.5) ? 1 : -1;
  // A traffic lane on the right of this line when the gap looks like a lane.
  if (right.every((d) => d > 2.4 && d < 6))
    lanes.push({ centre: (s) => rightP(s) / 2, width: rightP, dir, parking: false });
  let maxHalf = 0;
  for (let k = 0; k <= n; k++) maxHalf = Math.max(maxHalf, left[k]!, right[k]!);
  return {
    id: i + 1,
    kind: "street",
    path,
    surfaceLeft: (s) => -leftP(s),
    surfaceRight: rightP,
    maxHalfWidth: maxHalf,
    boundaries: [],
    lanes,
    medians: [],
    sidewalks: [],
    kerb: false,
    setback: 0,
    cutFrom: 0,
    cutTo: L,
    priority: 0,
    elevated: false,
    importance: 0.4,
    // All inferred strips form one pavement: one material, or the strips show as bands.
    materialGroup: 0,
  };
}

/** Moving average (window 5) to keep inferred pavement edges from jumping. */
function smooth(a: Float64Array): void {
  const src = a.slice();
  for (let i = 0; i < a.length; i++) {
    let s = 0;
    let c = 0;
    for (let k = -2; k <= 2; k++) {
      const v = src[i + k];
      if (v !== undefined) {
        s += v;
        c++;
      }
    }
    a[i] = s / c;
  }
}
