/**
 * The one label-rasterisation rule (DATA.md): a marking is drawn along its centreline as a line of
 * width max(3 px, ceil(paint_width_m / gsd_ground_m)), value = class id, later lanes over earlier
 * ones. Everything that makes masks (scene generator, AEL importer, evaluation) calls this.
 *
 * Pixel coordinates are continuous: pixel (i, j) covers [i, i+1) x [j, j+1) and its centre is
 * (i + 0.5, j + 0.5). A pixel is labelled when its centre lies within half the line width of the
 * polyline (round caps and joins).
 */
import { laneClassById } from "./classes.js";

export const MIN_LABEL_WIDTH_PX = 3;

export function labelWidthPx(paintWidthM: number, gsdGroundM: number): number {
  if (!(gsdGroundM > 0)) throw new RangeError(`ground resolution must be > 0, got ${gsdGroundM}`);
  return Math.max(MIN_LABEL_WIDTH_PX, Math.ceil(paintWidthM / gsdGroundM - 1e-9));
}

export type PixelPoint = readonly [number, number];

export interface LabelLane {
  classId: number;
  /** Centreline in continuous pixel coordinates. */
  points: readonly PixelPoint[];
  /** Width of the whole marking in metres; defaults to the class's labelWidthM. */
  paintWidthM?: number;
}

export interface Mask {
  width: number;
  height: number;
  data: Uint8Array;
}

export function createMask(width: number, height: number): Mask {
  return { width, height, data: new Uint8Array(width * height) };
}

/** Draw lanes into a mask in order (later over earlier), using the shared width rule. */
export function rasterizeLanes(mask: Mask, lanes: readonly LabelLane[], gsdGroundM: number): Mask {
  for (const lane of lanes) {
    const widthM = lane.paintWidthM ?? laneClassById(lane.classId).labelWidthM;
    drawPolyline(mask, lane.points, labelWidthPx(widthM, gsdGroundM), lane.classId);
  }
  return mask;
}

/** Set every pixel whose centre is within widthPx/2 of the polyline to `value`. */
export function drawPolyline(
  mask: Mask,
  points: readonly PixelPoint[],
  widthPx: number,
  value: number,
): void {
  const r = widthPx / 2;
  const r2 = r * r;
  const { width, height, data } = mask;
  if (points.length === 1) points = [points[0]!, points[0]!];
  for (let k = 0; k + 1 < points.length; k++) {
    const [ax, ay] = points[k]!;
    const [bx, by] = points[k + 1]!;
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r - 0.5));
    const x1 = Math.min(width - 1, Math.ceil(Math.max(ax, bx) + r - 0.5));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r - 0.5));
    const y1 = Math.min(height - 1, Math.ceil(Math.max(ay, by) + r - 0.5));
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    for (let y = y0; y <= y1; y++) {
      const py = y + 0.5;
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5;
        let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
        t = Math.min(1, Math.max(0, t));
        const ex = px - (ax + t * dx);
        const ey = py - (ay + t * dy);
        if (ex * ex + ey * ey <= r2) data[y * width + x] = value;
      }
    }
  }
}
