/**
 * The area as the form holds it: four numbers [west, south, east, north]: not numbers, out of range
 * or inverted are refused here; its size and pixels are checked by area-size.ts with the API's own
 * code, and the API validates it again.
 */
import { MAX_LATITUDE } from "../../../shared/src/geo/mercator.js";

export type Bbox = readonly [number, number, number, number];

/** The demo area (Sacramento; covered by the local demo imagery). */
export const DEMO_BBOX: Bbox = [-121.496, 38.58, -121.493, 38.5824];

/** `field`: index of the input at fault (0 west … 3 north). */
export type BboxCheck = { ok: true; bbox: Bbox } | { ok: false; message: string; field: number };

const NAMES = ["West", "South", "East", "North"] as const;

export function parseBbox(values: readonly string[]): BboxCheck {
  const nums: number[] = [];
  for (let i = 0; i < 4; i++) {
    const text = (values[i] ?? "").trim();
    const n = Number(text);
    if (text === "" || !Number.isFinite(n))
      return { ok: false, message: `${NAMES[i]} is not a number.`, field: i };
    nums.push(n);
  }
  const [w, s, e, n] = nums as [number, number, number, number];
  for (const [i, v] of [w, e].entries()) {
    if (v < -180 || v > 180)
      return { ok: false, message: `${NAMES[i * 2]} must be between -180 and 180.`, field: i * 2 };
  }
  for (const [i, v] of [s, n].entries()) {
    if (v < -MAX_LATITUDE || v > MAX_LATITUDE)
      return {
        ok: false,
        message: `${NAMES[i * 2 + 1]} must be between -85.0511 and 85.0511 (the Web Mercator limit).`,
        field: i * 2 + 1,
      };
  }
  if (w >= e) return { ok: false, message: "West must be less than East.", field: 2 };
  if (s >= n) return { ok: false, message: "South must be less than North.", field: 3 };
  return { ok: true, bbox: [w, s, e, n] };
}

/** A bbox from two corners in any order, rounded to 1e-6° (about 0.1 m). */
export function bboxFromCorners(a: readonly [number, number], b: readonly [number, number]): Bbox {
  const r = (v: number) => Math.round(v * 1e6) / 1e6;
  return [r(Math.min(a[0], b[0])), r(Math.min(a[1], b[1])), r(Math.max(a[0], b[0])), r(Math.max(a[1], b[1]))];
}

/** The bbox as a closed GeoJSON polygon ring (for drawing its outline). */
export function bboxRing(b: Bbox): [number, number][] {
  const [w, s, e, n] = b;
  return [
    [w, n],
    [e, n],
    [e, s],
    [w, s],
    [w, n],
  ];
}

/** Parse "west,south,east,north" (the X-Image-Bounds header). */
export function parseBoundsHeader(text: string | null): Bbox | null {
  if (!text) return null;
  const check = parseBbox(text.split(","));
  return check.ok ? check.bbox : null;
}
