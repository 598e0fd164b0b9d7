/**
 * Synthetic segmentation output for tests and the benchmark: lanes are rasterised with the shared
 * label rule (drawPolyline at labelWidthPx), then turned into per-class probabilities the way a
 * model might produce them — confident on paint, less sure in the gaps of dashed lines, blind
 * under "vehicles" — with noise and stray blobs. Not a model: a controlled input with a known
 * answer.
 */
import {
  createMask,
  drawPolyline,
  LANE_CLASSES,
  labelWidthPx,
  laneClassById,
  seededRandom,
} from "@lanesegnet/shared";
import { arcLengths, distanceToPolyline, plain, sampleAlong } from "./polyline.js";
import type { ClassScores } from "./scores.js";
import type { Pt } from "./types.js";
import type { SegmentationOutput } from "./vectorise.js";

export interface SynthLane {
  classId: number;
  /** Centreline in continuous pixel coordinates. */
  points: Pt[];
  paintWidthM?: number;
  /** Mask width in pixels, bypassing the label rule (to fake implausible model output). */
  widthPx?: number;
  /** Paint only dashes: the gaps are either seen with low confidence or not at all. */
  dash?: { dashM: number; gapM: number; offsetM?: number; gaps: "uncertain" | "background" };
  /** Stretches [from, to] in metres along the line hidden from the model (vehicles, shadows). */
  holes?: [number, number][];
  /** Probability of the class on the paint (default 0.9). */
  prob?: number;
}

export interface SceneOptions {
  width: number;
  height: number;
  gsdM: number;
  seed?: number;
  /** Amplitude of uniform noise added to the winning probability. */
  noise?: number;
  /** Number of random blobs (radius 1–2.5 px) of random marking classes. */
  blobs?: number;
  /** Emit logits (log-probabilities) instead of probabilities. */
  logits?: boolean;
}

export function makeScene(lanes: readonly SynthLane[], opts: SceneOptions): SegmentationOutput {
  const { width: W, height: H, gsdM } = opts;
  const C = LANE_CLASSES.length;
  const rand = seededRandom(opts.seed ?? 1);
  const winner = new Uint8Array(W * H);
  const pwin = new Float32Array(W * H);

  for (const lane of lanes) {
    const widthPx =
      lane.widthPx ?? labelWidthPx(lane.paintWidthM ?? laneClassById(lane.classId).labelWidthM, gsdM);
    const mask = createMask(W, H);
    drawPolyline(mask, lane.points, widthPx, 1);
    const arc = arcLengths(lane.points);
    let x0 = W;
    let y0 = H;
    let x1 = 0;
    let y1 = 0;
    for (const [x, y] of lane.points) {
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
    const r = Math.ceil(widthPx / 2) + 2;
    const bx0 = Math.max(0, Math.floor(x0) - r);
    const by0 = Math.max(0, Math.floor(y0) - r);
    const bx1 = Math.min(W - 1, Math.ceil(x1) + r);
    const by1 = Math.min(H - 1, Math.ceil(y1) + r);
    const pPaint = lane.prob ?? 0.9;
    for (let y = by0; y <= by1; y++) {
      for (let x = bx0; x <= bx1; x++) {
        const i = y * W + x;
        if (!mask.data[i]) continue;
        let p = pPaint;
        if (lane.dash || lane.holes) {
          const sM = distanceToPolyline([x + 0.5, y + 0.5], lane.points, arc).s * gsdM;
          if (lane.holes?.some(([a, b]) => sM >= a && sM <= b)) continue;
          if (lane.dash) {
            const period = lane.dash.dashM + lane.dash.gapM;
            const phase = (((sM - (lane.dash.offsetM ?? 0)) % period) + period) % period;
            // A dash ending exactly at the line's end keeps the label rule's round cap there.
            if (phase > lane.dash.dashM + 1e-9) {
              if (lane.dash.gaps === "background") continue;
              p = 0.6;
            }
          }
        }
        winner[i] = lane.classId;
        pwin[i] = p;
      }
    }
  }

  for (let b = 0; b < (opts.blobs ?? 0); b++) {
    const cx = rand() * W;
    const cy = rand() * H;
    const rad = 1 + rand() * 1.5;
    const cls = 1 + Math.floor(rand() * (C - 1));
    for (let y = Math.max(0, Math.floor(cy - rad)); y <= Math.min(H - 1, Math.ceil(cy + rad)); y++) {
      for (let x = Math.max(0, Math.floor(cx - rad)); x <= Math.min(W - 1, Math.ceil(cx + rad)); x++) {
        if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= rad * rad) {
          winner[y * W + x] = cls;
          pwin[y * W + x] = 0.7;
        }
      }
    }
  }

  const plane = W * H;
  const data = new Float32Array(C * plane);
  const noise = opts.noise ?? 0.05;
  const classIds = new Uint8Array(plane);
  for (let i = 0; i < plane; i++) {
    const w = winner[i]!;
    let p = w === 0 ? 0.95 : pwin[i]!;
    p = Math.min(0.99, Math.max(0.45, p + (rand() - 0.5) * 2 * noise));
    // Marking pixels give most of the rest to background; background spreads it evenly.
    const restBg = w === 0 ? 0 : (1 - p) * 0.8;
    const restOther = w === 0 ? (1 - p) / (C - 1) : ((1 - p) * 0.2) / (C - 2);
    for (let c = 0; c < C; c++) {
      const v = c === w ? p : c === 0 ? restBg : restOther;
      data[c * plane + i] = opts.logits ? Math.log(v) : v;
    }
    classIds[i] = w;
  }
  const scores: ClassScores = { data, channels: C, kind: opts.logits ? "logits" : "probabilities" };
  return { width: W, height: H, classIds, scores };
}

/** Points of a circular arc (centre, radius, angles in radians) every `stepPx`. */
export function arcPoints(cx: number, cy: number, r: number, a0: number, a1: number, stepPx = 2): Pt[] {
  const n = Math.max(2, Math.ceil((Math.abs(a1 - a0) * r) / stepPx));
  const pts: Pt[] = [];
  for (let k = 0; k <= n; k++) {
    const a = a0 + ((a1 - a0) * k) / n;
    pts.push([cx + r * Math.cos(a), cy + r * Math.sin(a)]);
  }
  return pts;
}

/** Polyline in metres (scene frame) to pixel coordinates at a ground resolution. */
export function metresToPx(pts: readonly Pt[], gsdM: number): Pt[] {
  return pts.map(([x, y]) => [x / gsdM, y / gsdM]);
}

/** A window of a segmentation output (as the same scene seen by an overlapping tile). */
export function cropScene(
  out: SegmentationOutput,
  x0: number,
  y0: number,
  w: number,
  h: number,
): SegmentationOutput {
  const { width: W, height: H } = out;
  const C = out.scores.channels;
  const data = new Float32Array(C * w * h);
  const classIds = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const src = (y0 + y) * W + x0;
    classIds.set(out.classIds!.subarray(src, src + w), y * w);
    for (let c = 0; c < C; c++) {
      data.set(out.scores.data.subarray(c * W * H + src, c * W * H + src + w), c * w * h + y * w);
    }
  }
  return { width: w, height: h, classIds, scores: { ...out.scores, data } };
}

/** Mean distance (pixels) from points sampled every pixel along `pts` to the polyline `truth`. */
export function meanOffsetPx(pts: readonly Pt[], truth: readonly Pt[]): number {
  const samples = sampleAlong(plain(pts.map((p) => [p[0], p[1]])), 1);
  let sum = 0;
  for (const s of samples) sum += distanceToPolyline([s.x, s.y], truth).d;
  return sum / Math.max(1, samples.length);
}

/** Share of `truth` (sampled every pixel) within `tolPx` of the polyline `pts`. */
export function coverageOf(truth: readonly Pt[], pts: readonly Pt[], tolPx: number): number {
  const samples = sampleAlong(plain(truth.map((p) => [p[0], p[1]])), 1);
  let n = 0;
  for (const s of samples) if (distanceToPolyline([s.x, s.y], pts).d <= tolPx) n++;
  return n / Math.max(1, samples.length);
}
