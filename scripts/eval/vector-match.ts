/**
 * Vector-level scoring of detected lane lines against true ones (DATA.md "For vectors"): lines are
 * sampled every few centimetres in a local metric frame; a true sample is found when a detected
 * line passes within the tolerance, a detected sample is false when no true line does.
 * Lengths are compared in total (the API's length_m against the truth's geodesic length).
 */
import { lonLatToMercator, polylineLength } from "@lanesegnet/shared";

export interface TruthLine {
  readonly classId: number;
  readonly dashed: boolean;
  readonly coordinates: readonly (readonly [number, number])[];
}

export interface DetectedLine {
  readonly classId: number;
  readonly dashed: boolean;
  readonly coordinates: readonly (readonly [number, number])[];
  readonly lengthM: number;
}

export interface VectorMatch {
  readonly truthLengthM: number;
  readonly detectedLengthM: number;
  /** Share of true length within the tolerance of a detected line. */
  readonly recall: number;
  /** Share of detected length within the tolerance of a true line (1 − false share). */
  readonly precision: number;
  /** Share of detected length farther than the tolerance from every true line. */
  readonly falseShare: number;
  /** Mean distance of found true samples to the nearest detected line, metres. */
  readonly meanOffsetM: number;
  /** Of the found true length: share whose nearest detected line has the same class. */
  readonly classAgreement: number;
  /** Of the found true length on dashed lines: share whose nearest detected line is dashed. */
  readonly dashedAgreement: number | null;
  /** Σ detected length_m (as reported) / Σ true length: below 1 by what is missed, above by what is false. */
  readonly lengthRatio: number;
  /**
   * Of what was found only: Σ over reported lines of length_m × the line's share near a true line,
   * / the true length found. 1 when the lines that are right are measured at their true length,
   * whatever the recall (gaps, shortened or overlong ends and doubled lines move it).
   */
  readonly foundLengthRatio: number;
}

export type Seg = { ax: number; ay: number; bx: number; by: number; line: number };

export interface Frame {
  readonly x0: number;
  readonly y0: number;
  readonly k: number;
}

/** Web Mercator scaled by cos(latitude) of the area: ground metres to 1e-4 over a few hundred m. */
export function frameFor(lines: readonly { coordinates: readonly (readonly [number, number])[] }[]): Frame {
  let lat = 0;
  let n = 0;
  for (const l of lines) {
    for (const c of l.coordinates) {
      lat += c[1];
      n++;
    }
  }
  const latC = n ? lat / n : 0;
  const first = lines[0]?.coordinates[0] ?? [0, latC];
  const [x0, y0] = lonLatToMercator(first[0], first[1]);
  return { x0, y0, k: Math.cos((latC * Math.PI) / 180) };
}

export function project(f: Frame, c: readonly [number, number]): [number, number] {
  const [x, y] = lonLatToMercator(c[0], c[1]);
  return [(x - f.x0) * f.k, (y - f.y0) * f.k];
}

export function segments(
  f: Frame,
  lines: readonly { coordinates: readonly (readonly [number, number])[] }[],
): Seg[] {
  const out: Seg[] = [];
  lines.forEach((l, line) => {
    const pts = l.coordinates.map((c) => project(f, c));
    for (let i = 1; i < pts.length; i++) {
      out.push({ ax: pts[i - 1]![0], ay: pts[i - 1]![1], bx: pts[i]![0], by: pts[i]![1], line });
    }
  });
  return out;
}

export function nearest(segs: readonly Seg[], x: number, y: number): { d: number; line: number } {
  let best = Number.POSITIVE_INFINITY;
  let line = -1;
  for (const s of segs) {
    const dx = s.bx - s.ax;
    const dy = s.by - s.ay;
    const l2 = dx * dx + dy * dy;
    const t = l2 > 0 ? Math.min(1, Math.max(0, ((x - s.ax) * dx + (y - s.ay) * dy) / l2)) : 0;
    const ex = x - (s.ax + t * dx);
    const ey = y - (s.ay + t * dy);
    const d = ex * ex + ey * ey;
    if (d < best) {
      best = d;
      line = s.line;
    }
  }
  return { d: Math.sqrt(best), line };
}

/** Points every `step` metres along each segment, with the length each stands for. */
function* samples(
  segs: readonly Seg[],
  step: number,
): Generator<{ x: number; y: number; w: number; line: number }> {
  for (const s of segs) {
    const len = Math.hypot(s.bx - s.ax, s.by - s.ay);
    const n = Math.max(1, Math.ceil(len / step));
    for (let i = 0; i < n; i++) {
      const t = (i + 0.5) / n;
      yield { x: s.ax + t * (s.bx - s.ax), y: s.ay + t * (s.by - s.ay), w: len / n, line: s.line };
    }
  }
}

export interface MatchOptions {
  readonly toleranceM?: number;
  readonly stepM?: number;
  /** Score only what lies inside this lon/lat box [w, s, e, n] (the analysed area). */
  readonly bbox?: readonly [number, number, number, number];
}

export function matchLines(
  truth: readonly TruthLine[],
  detected: readonly DetectedLine[],
  opts: MatchOptions = {},
): VectorMatch {
  const toleranceM = opts.toleranceM ?? 0.5;
  const stepM = opts.stepM ?? 0.1;
  const frame = frameFor([...truth, ...detected]);
  const tSegs = segments(frame, truth);
  const dSegs = segments(frame, detected);
  const box = opts.bbox;
  const [bx0, by0] = box ? project(frame, [box[0], box[1]]) : [-Infinity, -Infinity];
  const [bx1, by1] = box ? project(frame, [box[2], box[3]]) : [Infinity, Infinity];
  const inside = (x: number, y: number) => x >= bx0 && x <= bx1 && y >= by0 && y <= by1;
  let truthLen = 0;
  let found = 0;
  let offset = 0;
  let sameClass = 0;
  let dashedTotal = 0;
  let dashedFound = 0;
  for (const s of samples(tSegs, stepM)) {
    if (!inside(s.x, s.y)) continue;
    truthLen += s.w;
    const n = nearest(dSegs, s.x, s.y);
    if (n.d > toleranceM) continue;
    found += s.w;
    offset += n.d * s.w;
    const t = truth[s.line]!;
    const d = detected[n.line]!;
    if (d.classId === t.classId) sameClass += s.w;
    if (t.dashed) {
      dashedTotal += s.w;
      if (d.dashed) dashedFound += s.w;
    }
  }
  let detLen = 0;
  let near = 0;
  const lineLen = new Float64Array(detected.length);
  const lineNear = new Float64Array(detected.length);
  for (const s of samples(dSegs, stepM)) {
    if (!inside(s.x, s.y)) continue;
    detLen += s.w;
    lineLen[s.line] = (lineLen[s.line] ?? 0) + s.w;
    if (nearest(tSegs, s.x, s.y).d <= toleranceM) {
      near += s.w;
      lineNear[s.line] = (lineNear[s.line] ?? 0) + s.w;
    }
  }
  const reportedNear = detected.reduce(
    (a, d, i) => a + ((lineLen[i] ?? 0) > 0 ? (d.lengthM * (lineNear[i] ?? 0)) / (lineLen[i] as number) : 0),
    0,
  );
  // With a box, truth lines may run past it: their sampled length inside stands for their length.
  const truthGeodesic = box ? truthLen : truth.reduce((a, t) => a + polylineLength(t.coordinates), 0);
  const reported = detected.reduce((a, d) => a + d.lengthM, 0);
  return {
    truthLengthM: truthGeodesic,
    detectedLengthM: reported,
    recall: truthLen ? found / truthLen : 0,
    precision: detLen ? near / detLen : 0,
    falseShare: detLen ? 1 - near / detLen : 0,
    meanOffsetM: found ? offset / found : 0,
    classAgreement: found ? sameClass / found : 0,
    dashedAgreement: dashedTotal ? dashedFound / dashedTotal : null,
    lengthRatio: truthGeodesic ? reported / truthGeodesic : 0,
    foundLengthRatio: found ? reportedNear / found : 0,
  };
}

/** One line's share in a match: what share of a reported line is false, of a true line found. */
export interface LineShare {
  readonly index: number;
  readonly lengthM: number;
  readonly share: number;
}

/**
 * Per-line view of matchLines, for finding which lines a rule should or should not touch:
 * each reported line's false share (against all true lines) and each true line's found share
 * (against all reported lines), measured inside opts.bbox like the pooled figures.
 */
export function matchPerLine(
  truth: readonly TruthLine[],
  detected: readonly DetectedLine[],
  opts: MatchOptions = {},
): { reported: LineShare[]; truth: LineShare[] } {
  const reported = detected.map((d, index) => {
    const m = matchLines(truth, [d], opts);
    return { index, lengthM: m.detectedLengthM, share: m.falseShare };
  });
  const found = truth.map((t, index) => {
    const m = matchLines([t], detected, opts);
    return { index, lengthM: m.truthLengthM, share: m.recall };
  });
  return { reported, truth: found };
}
