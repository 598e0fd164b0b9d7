/**
 * Smoothing of reported centrelines. The lines follow the model's mask, whose edges wander by a
 * pixel or two; painted lines do not bend on that scale. It runs after the physics rules, which
 * judge each line as traced (a zig-zag of blobs must reach them with its shape), and before the
 * lines are measured for the last time.
 */
import { arcLengths } from "./polyline.js";
import type { Pt } from "./types.js";

/**
 * Gaussian smoothing along the line (sigma in pixels of arc length), end points fixed. Near an end
 * the window shrinks to what lies as far on both sides, so ends are not pulled inwards and a
 * straight line stays straight.
 */
export function smoothAlong(pts: readonly Pt[], sigmaPx: number): Pt[] {
  const n = pts.length;
  if (n < 3 || !(sigmaPx > 0)) return pts.map((p) => [p[0], p[1]]);
  const arc = arcLengths(pts);
  const total = arc[n - 1]!;
  const reach = 3 * sigmaPx;
  const out: Pt[] = [[pts[0]![0], pts[0]![1]]];
  let lo = 0;
  for (let i = 1; i < n - 1; i++) {
    const s = arc[i]!;
    const h = Math.min(reach, s, total - s);
    while (arc[lo]! < s - h) lo++;
    let sx = 0;
    let sy = 0;
    let sw = 0;
    for (let j = lo; j < n && arc[j]! <= s + h; j++) {
      const d = arc[j]! - s;
      if (d < -h) continue;
      const w = Math.exp(-(d * d) / (2 * sigmaPx * sigmaPx));
      sx += w * pts[j]![0];
      sy += w * pts[j]![1];
      sw += w;
    }
    out.push([sx / sw, sy / sw]);
  }
  out.push([pts[n - 1]![0], pts[n - 1]![1]]);
  return out;
}
