/**
 * Clip lines to the requested area. The raster may be larger than the area (it is cut from whole
 * imagery tiles, or padded for the model), so lines are measured and filtered on the whole raster
 * and then cut to the area: in pixel space, against a polygon with holes (even-odd rule).
 */
import { type LonLatBbox, lonLatToPixel, type MercatorGrid } from "@lanesegnet/shared";
import { lengthOf } from "./polyline.js";
import type { ClipRegion, Polyline, Pt } from "./types.js";

/** The pixel-space region of a lon/lat bbox [west, south, east, north]. */
export function clipRegionFromBbox(grid: MercatorGrid, bbox: LonLatBbox): ClipRegion {
  const [w, s, e, n] = bbox;
  const [x0, y0] = lonLatToPixel(grid, w, n);
  const [x1, y1] = lonLatToPixel(grid, e, s);
  return {
    rings: [
      [
        [x0, y0],
        [x1, y0],
        [x1, y1],
        [x0, y1],
        [x0, y0],
      ],
    ],
  };
}

/** The pixel-space region of a GeoJSON Polygon's rings ([lon, lat] positions). */
export function clipRegionFromPolygon(
  grid: MercatorGrid,
  rings: readonly (readonly (readonly number[])[])[],
): ClipRegion {
  return { rings: rings.map((ring) => ring.map((p) => lonLatToPixel(grid, p[0]!, p[1]!))) };
}

export function pointInRegion(region: ClipRegion, x: number, y: number): boolean {
  let inside = false;
  for (const ring of region.rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i]!;
      const [xj, yj] = ring[j]!;
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

/** Pieces of the line inside the region, with their bridge flags and which ends were cut. */
export function clipPolyline(
  line: Polyline,
  region: ClipRegion,
): { line: Polyline; cutStart: boolean; cutEnd: boolean }[] {
  const out: { line: Polyline; cutStart: boolean; cutEnd: boolean }[] = [];
  let cur: Polyline | null = null;
  let curCutStart = false;
  const flush = (cutEnd: boolean): void => {
    if (cur && cur.pts.length >= 2) out.push({ line: cur, cutStart: curCutStart, cutEnd });
    cur = null;
  };
  const { pts } = line;
  for (let i = 0; i + 1 < pts.length; i++) {
    const a = pts[i]!;
    const b = pts[i + 1]!;
    // Parameters where the segment crosses any ring edge.
    const ts = [0, 1];
    for (const ring of region.rings) {
      for (let k = 0; k + 1 < ring.length; k++) {
        const t = segmentIntersection(a, b, ring[k]!, ring[k + 1]!);
        if (t !== null && t > 0 && t < 1) ts.push(t);
      }
      const first = ring[0]!;
      const last = ring[ring.length - 1]!;
      if (first[0] !== last[0] || first[1] !== last[1]) {
        const t = segmentIntersection(a, b, last, first);
        if (t !== null && t > 0 && t < 1) ts.push(t);
      }
    }
    ts.sort((x, y) => x - y);
    for (let k = 0; k + 1 < ts.length; k++) {
      const t0 = ts[k]!;
      const t1 = ts[k + 1]!;
      if (t1 - t0 < 1e-12) continue;
      const tm = (t0 + t1) / 2;
      const inside = pointInRegion(region, a[0] + (b[0] - a[0]) * tm, a[1] + (b[1] - a[1]) * tm);
      const p0: Pt = [a[0] + (b[0] - a[0]) * t0, a[1] + (b[1] - a[1]) * t0];
      const p1: Pt = [a[0] + (b[0] - a[0]) * t1, a[1] + (b[1] - a[1]) * t1];
      if (inside) {
        if (!cur) {
          cur = { pts: [p0], bridged: [] };
          curCutStart = !(i === 0 && t0 === 0);
        }
        const c: Polyline = cur;
        c.pts.push(p1);
        c.bridged.push(line.bridged[i] === true);
      } else if (cur) {
        flush(true);
      }
    }
  }
  flush(false);
  return out.filter((p) => lengthOf(p.line.pts) > 0);
}

/** Parameter t along ab where it crosses cd, or null when they do not cross. */
function segmentIntersection(a: Pt, b: Pt, c: Pt, d: Pt): number | null {
  const rx = b[0] - a[0];
  const ry = b[1] - a[1];
  const sx = d[0] - c[0];
  const sy = d[1] - c[1];
  const den = rx * sy - ry * sx;
  if (den === 0) return null;
  const qx = c[0] - a[0];
  const qy = c[1] - a[1];
  const t = (qx * sy - qy * sx) / den;
  const u = (qx * ry - qy * rx) / den;
  return u >= 0 && u <= 1 ? t : null;
}
