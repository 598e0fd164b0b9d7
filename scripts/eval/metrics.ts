/**
 * Segmentation metrics over a whole split (DATA.md): one confusion matrix accumulated over every
 * image, not a mean of per-image scores. The Python training code computes the same definitions
 * (models/training/metrics.py) for validation; this is the one that scores releases.
 */
import { IGNORE_LABEL, LANE_CLASSES, NUM_CLASSES } from "@lanesegnet/shared";

const RELAXED_RADIUS_PX = 3;

/** Offsets of a disk of radius r (Euclidean, inclusive), as [dx, dy] pairs. */
function diskOffsets(r: number): Int32Array {
  const out: number[] = [];
  for (let dy = -r; dy <= r; dy++)
    for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= r * r) out.push(dx, dy);
  return Int32Array.from(out);
}

const DISK = diskOffsets(RELAXED_RADIUS_PX);

/** Binary dilation by the disk; scatter from set pixels only, since markings are sparse. */
function dilate(mask: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      for (let k = 0; k < DISK.length; k += 2) {
        const xx = x + DISK[k]!;
        const yy = y + DISK[k + 1]!;
        if (xx >= 0 && yy >= 0 && xx < width && yy < height) out[yy * width + xx] = 1;
      }
    }
  }
  return out;
}

/** Each figure is null where it has nothing to measure (no marking in the ground truth or prediction). */
export interface SplitMetrics {
  readonly images: number;
  readonly pixels: number;
  readonly perClassIoU: Record<string, number | null>;
  /** Mean IoU over marking classes 1–6 that occur in the ground truth. */
  readonly laneMIoU: number | null;
  /** MMSegmentation convention: the same including background (flattering; report beside laneMIoU). */
  readonly mmsegMIoU: number | null;
  /**
   * The two means again over every class present in the ground truth OR the prediction, as
   * MMSegmentation's own code averages (a class predicted where the ground truth has none counts
   * 0). DATA.md's rule above leaves such false predictions out; on sets where a few classes are
   * absent (the AEL cities) the difference is large, so both are reported.
   */
  readonly laneMIoUStrict: number | null;
  readonly mmsegMIoUStrict: number | null;
  readonly binaryIoU: number | null;
  readonly relaxedPrecision3px: number | null;
  readonly relaxedRecall3px: number | null;
  readonly relaxedF1_3px: number | null;
}

export class SegmentationScore {
  /** confusion[gt * C + pred] */
  readonly confusion = new Float64Array(NUM_CLASSES * NUM_CLASSES);
  private images = 0;
  private predMarking = 0;
  private predHit = 0;
  private gtMarking = 0;
  private gtHit = 0;

  add(pred: Uint8Array, gt: Uint8Array, width: number, height: number): void {
    if (pred.length !== gt.length || pred.length !== width * height)
      throw new RangeError("mask sizes differ");
    const C = NUM_CLASSES;
    // Checked before anything is counted, so a refused image leaves the score as it was.
    for (let i = 0; i < gt.length; i++) {
      const g = gt[i]!;
      if (g === IGNORE_LABEL) continue;
      if (g >= C)
        throw new RangeError(
          `ground truth holds ${g} at pixel ${i}: expected a class id 0-${C - 1} or ${IGNORE_LABEL} (ignore)`,
        );
      // Else it would count in the next ground-truth class's row of the matrix.
      const p = pred[i]!;
      if (p >= C) throw new RangeError(`prediction holds ${p} at pixel ${i}: expected a class id 0-${C - 1}`);
    }
    const predBin = new Uint8Array(pred.length);
    const gtBin = new Uint8Array(gt.length);
    for (let i = 0; i < gt.length; i++) {
      const g = gt[i]!;
      if (g === IGNORE_LABEL) continue;
      const p = pred[i]!;
      this.confusion[g * C + p]!++;
      predBin[i] = p > 0 ? 1 : 0;
      gtBin[i] = g > 0 ? 1 : 0;
    }
    const gtNear = dilate(gtBin, width, height);
    const predNear = dilate(predBin, width, height);
    for (let i = 0; i < gt.length; i++) {
      if (predBin[i]) {
        this.predMarking++;
        if (gtNear[i]) this.predHit++;
      }
      if (gtBin[i]) {
        this.gtMarking++;
        if (predNear[i]) this.gtHit++;
      }
    }
    this.images++;
  }

  result(): SplitMetrics {
    const C = NUM_CLASSES;
    const m = this.confusion;
    const iou: (number | null)[] = [];
    const iouStrict: (number | null)[] = [];
    let pixels = 0;
    for (let k = 0; k < C; k++) {
      let gtK = 0;
      let predK = 0;
      for (let j = 0; j < C; j++) {
        gtK += m[k * C + j]!;
        predK += m[j * C + k]!;
      }
      pixels += gtK;
      const tp = m[k * C + k]!;
      iou.push(gtK > 0 ? tp / (gtK + predK - tp) : null);
      iouStrict.push(gtK + predK > 0 ? tp / (gtK + predK - tp) : null);
    }
    const mean = (xs: (number | null)[]) => {
      const v = xs.filter((x): x is number => x !== null);
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
    };
    // Binary: any marking vs background.
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let g = 0; g < C; g++) {
      for (let p = 0; p < C; p++) {
        const n = m[g * C + p]!;
        if (g > 0 && p > 0) tp += n;
        else if (g === 0 && p > 0) fp += n;
        else if (g > 0 && p === 0) fn += n;
      }
    }
    const precision = this.predMarking ? this.predHit / this.predMarking : null;
    const recall = this.gtMarking ? this.gtHit / this.gtMarking : null;
    return {
      images: this.images,
      pixels,
      perClassIoU: Object.fromEntries(LANE_CLASSES.map((c) => [c.name, iou[c.id] ?? null])),
      laneMIoU: mean(iou.slice(1)),
      mmsegMIoU: mean(iou),
      laneMIoUStrict: mean(iouStrict.slice(1)),
      mmsegMIoUStrict: mean(iouStrict),
      binaryIoU: tp + fp + fn > 0 ? tp / (tp + fp + fn) : null,
      relaxedPrecision3px: precision,
      relaxedRecall3px: recall,
      relaxedF1_3px: f1(precision, recall),
    };
  }
}

/**
 * F1 of precision and recall; null when neither can be measured. One unmeasured side (nothing
 * predicted, or nothing true) counts 0: the other side's markings were all missed or all false.
 */
function f1(p: number | null, r: number | null): number | null {
  if (p === null && r === null) return null;
  const [pp, rr] = [p ?? 0, r ?? 0];
  return pp + rr > 0 ? (2 * pp * rr) / (pp + rr) : 0;
}
