/**
 * "Is this point on the pavement of another road?" answered from a Flatbush index of every road's
 * centreline segments: the nearest segment of each candidate road gives the arc length and lateral
 * offset of the point, which is compared with that road's pavement edges at that arc length.
 */
import Flatbush from "flatbush";
import type { Road } from "./road.js";

export class SurfaceIndex {
  private readonly roads: readonly Road[];
  private readonly index: Flatbush | null;
  private readonly segRoad: Int32Array;
  private readonly segIdx: Int32Array;
  private readonly pad: number;

  /** `pad` widens the indexed boxes so queries with margins up to it still find candidates. */
  constructor(roads: readonly Road[], pad = 8) {
    this.roads = roads;
    this.pad = pad;
    let n = 0;
    for (const r of roads) n += r.path.points.length - 1;
    this.segRoad = new Int32Array(n);
    this.segIdx = new Int32Array(n);
    if (n === 0) {
      this.index = null;
      return;
    }
    const index = new Flatbush(n);
    let k = 0;
    roads.forEach((r, ri) => {
      const pts = r.path.points;
      const e = r.maxHalfWidth + pad;
      for (let i = 0; i + 1 < pts.length; i++) {
        const a = pts[i]!;
        const b = pts[i + 1]!;
        index.add(
          Math.min(a[0], b[0]) - e,
          Math.min(a[1], b[1]) - e,
          Math.max(a[0], b[0]) + e,
          Math.max(a[1], b[1]) + e,
        );
        this.segRoad[k] = ri;
        this.segIdx[k] = i;
        k++;
      }
    });
    index.finish();
    this.index = index;
  }

  /**
   * Arc length and lateral offset (right positive) of (x, y) relative to road `ri`'s centreline, from
   * its nearest segment among `candidates`; null when the point projects beyond an open path's ends.
   */
  private project(ri: number, x: number, y: number, candidates: number[]): [number, number] | null {
    const road = this.roads[ri]!;
    const pts = road.path.points;
    const last = pts.length - 2;
    let best = Number.POSITIVE_INFINITY;
    let bestS = 0;
    let bestLat = 0;
    let beyond = false;
    for (const c of candidates) {
      if (this.segRoad[c] !== ri) continue;
      const i = this.segIdx[c]!;
      const a = pts[i]!;
      const b = pts[i + 1]!;
      const dx = b[0] - a[0];
      const dy = b[1] - a[1];
      const len2 = dx * dx + dy * dy;
      const tRaw = len2 > 0 ? ((x - a[0]) * dx + (y - a[1]) * dy) / len2 : 0;
      const t = tRaw < 0 ? 0 : Math.min(tRaw, 1);
      const qx = a[0] + dx * t;
      const qy = a[1] + dy * t;
      const d2 = (x - qx) * (x - qx) + (y - qy) * (y - qy);
      if (d2 < best) {
        best = d2;
        const len = Math.sqrt(len2) || 1;
        bestS = road.path.cum[i]! + t * len;
        bestLat = ((x - a[0]) * -dy + (y - a[1]) * dx) / len;
        beyond = !road.path.closed && ((i === 0 && tRaw < 0) || (i === last && tRaw > 1));
      }
    }
    if (!Number.isFinite(best) || beyond) return null;
    return [bestS, bestLat];
  }

  /** Index of a road (other than `exclude`) whose cutting pavement, widened by margin, holds (x, y). */
  coveringRoad(x: number, y: number, exclude: number, margin: number): number {
    if (!this.index) return -1;
    const m = Math.min(margin, this.pad);
    const found = this.index.search(x, y, x, y);
    if (found.length === 0) return -1;
    const seen = new Set<number>();
    for (const c of found) {
      const ri = this.segRoad[c]!;
      if (seen.has(ri)) continue;
      seen.add(ri);
      const road = this.roads[ri]!;
      if (road.id === exclude) continue;
      const pr = this.project(ri, x, y, found);
      if (!pr) continue;
      const [s, lat] = pr;
      if (s < road.cutFrom || s > road.cutTo) continue;
      if (lat >= road.surfaceLeft(s) - m && lat <= road.surfaceRight(s) + m) return ri;
    }
    return -1;
  }

  /** Whether (x, y) lies on any road's pavement (including `exclude` when it is -1), with margin. */
  onAnyPavement(x: number, y: number, margin = 0): boolean {
    if (!this.index) return false;
    const found = this.index.search(x, y, x, y);
    const seen = new Set<number>();
    for (const c of found) {
      const ri = this.segRoad[c]!;
      if (seen.has(ri)) continue;
      seen.add(ri);
      const road = this.roads[ri]!;
      const pr = this.project(ri, x, y, found);
      if (!pr) continue;
      const [s, lat] = pr;
      if (lat >= road.surfaceLeft(s) - margin && lat <= road.surfaceRight(s) + margin) return true;
    }
    return false;
  }

  /** Nearest road direction at a point (unit tangent), or null when no road is near. */
  nearestDirection(x: number, y: number): [number, number] | null {
    if (!this.index) return null;
    const found = this.index.neighbors(x, y, 1);
    const c = found[0];
    if (c === undefined) return null;
    const road = this.roads[this.segRoad[c]!]!;
    const i = this.segIdx[c]!;
    return [road.path.tx[i]!, road.path.ty[i]!];
  }
}
