/**
 * Reading the model's per-class scores. The caller passes the raw output tensor as it comes
 * (C x H x W, channel-major, i.e. NCHW without N) and says whether it holds softmax
 * probabilities or logits. Logits are never converted for the whole raster: the vectoriser
 * only needs probabilities at a few thousand centreline samples, so a softmax is taken per
 * sampled pixel (7 exps) on demand.
 */

export type ScoreKind = "probabilities" | "logits";

export interface ClassScores {
  /** C x H x W scores, channel-major. */
  data: Float32Array;
  /** Number of channels C (the class registry has 7). */
  channels: number;
  kind: ScoreKind;
}

export class ProbabilitySampler {
  readonly #data: Float32Array;
  readonly #channels: number;
  readonly #plane: number;
  readonly #logits: boolean;
  readonly width: number;
  readonly height: number;

  constructor(scores: ClassScores, width: number, height: number) {
    const plane = width * height;
    if (scores.data.length !== scores.channels * plane) {
      throw new RangeError(
        `scores have ${scores.data.length} values, expected ${scores.channels} x ${height} x ${width}`,
      );
    }
    this.#data = scores.data;
    this.#channels = scores.channels;
    this.#plane = plane;
    this.#logits = scores.kind === "logits";
    this.width = width;
    this.height = height;
  }

  /** Probability of `classId` at raster pixel index y * width + x. */
  prob(classId: number, pixel: number): number {
    const d = this.#data;
    if (classId < 0 || classId >= this.#channels) return 0;
    if (!this.#logits) return d[classId * this.#plane + pixel]!;
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < this.#channels; c++) max = Math.max(max, d[c * this.#plane + pixel]!);
    let sum = 0;
    for (let c = 0; c < this.#channels; c++) sum += Math.exp(d[c * this.#plane + pixel]! - max);
    return Math.exp(d[classId * this.#plane + pixel]! - max) / sum;
  }

  /** Probability at a continuous pixel position (the pixel containing it); 0 outside the raster. */
  probAt(classId: number, x: number, y: number): number {
    const ix = Math.floor(x);
    const iy = Math.floor(y);
    if (ix < 0 || iy < 0 || ix >= this.width || iy >= this.height) return 0;
    return this.prob(classId, iy * this.width + ix);
  }
}

/** Per-pixel argmax of the scores (the same for logits and probabilities). */
export function argmaxClasses(scores: ClassScores, width: number, height: number): Uint8Array {
  const plane = width * height;
  const { data, channels } = scores;
  if (data.length !== channels * plane) throw new RangeError("scores do not match the raster size");
  const out = new Uint8Array(plane);
  const best = data.slice(0, plane);
  for (let c = 1; c < channels; c++) {
    const off = c * plane;
    for (let i = 0; i < plane; i++) {
      const v = data[off + i]!;
      if (v > best[i]!) {
        best[i] = v;
        out[i] = c;
      }
    }
  }
  return out;
}
