import { describe, expect, it } from "vitest";
import { SegmentationScore } from "./metrics.js";

function mask(w: number, h: number, paint: (x: number, y: number) => number): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) m[y * w + x] = paint(x, y);
  return m;
}

describe("SegmentationScore", () => {
  it("is perfect for identical masks and counts only classes present in the ground truth", () => {
    const gt = mask(50, 50, (x) => (x === 10 ? 1 : x === 30 ? 2 : 0));
    const s = new SegmentationScore();
    s.add(gt, gt, 50, 50);
    const r = s.result();
    expect(r.laneMIoU).toBe(1);
    expect(r.binaryIoU).toBe(1);
    expect(r.relaxedF1_3px).toBe(1);
    expect(r.perClassIoU.single_yellow_solid).toBeNull();
  });

  it("accumulates one confusion matrix over the split instead of averaging images", () => {
    // Image A: class 1 line of 50 px found exactly. Image B: class 1 line of 50 px, predicted as 2.
    const line = mask(50, 50, (x) => (x === 10 ? 1 : 0));
    const wrong = mask(50, 50, (x) => (x === 10 ? 2 : 0));
    const s = new SegmentationScore();
    s.add(line, line, 50, 50);
    s.add(wrong, line, 50, 50);
    const r = s.result();
    // class 1: tp 50, fn 50 -> 0.5. Class 2 does not occur in GT, so lane mIoU = 0.5.
    expect(r.perClassIoU.single_white_solid).toBeCloseTo(0.5);
    expect(r.laneMIoU).toBeCloseTo(0.5);
    // Binary: both images find the marking pixels.
    expect(r.binaryIoU).toBe(1);
    expect(r.images).toBe(2);
    expect(r.pixels).toBe(5000);
  });

  it("relaxed F1 accepts a 3 px offset but not a 4 px one, and ignores label 255", () => {
    const gt = mask(40, 40, (x) => (x === 10 ? 1 : x === 39 ? 255 : 0));
    const near = mask(40, 40, (x) => (x === 13 || x === 39 ? 1 : 0));
    const far = mask(40, 40, (x) => (x === 14 ? 1 : 0));
    const a = new SegmentationScore();
    a.add(near, gt, 40, 40);
    expect(a.result().relaxedF1_3px).toBe(1);
    expect(a.result().binaryIoU).toBe(0);
    const b = new SegmentationScore();
    b.add(far, gt, 40, 40);
    expect(b.result().relaxedF1_3px).toBe(0);
  });

  it("also reports the means over classes in the ground truth or the prediction (MMSeg's own rule)", () => {
    // Class 1 found exactly; class 3, absent from the ground truth, predicted on 50 background px.
    const gt = mask(50, 50, (x) => (x === 10 ? 1 : 0));
    const pred = mask(50, 50, (x) => (x === 10 ? 1 : x === 40 ? 3 : 0));
    const s = new SegmentationScore();
    s.add(pred, gt, 50, 50);
    const r = s.result();
    expect(r.laneMIoU).toBe(1); // DATA.md: class 3 is not in the ground truth, so it is left out
    expect(r.laneMIoUStrict).toBe(0.5); // (1 + 0) / 2: the false class counts 0
    const bg = (2500 - 100) / (2500 - 50);
    expect(r.mmsegMIoU).toBeCloseTo((1 + bg) / 2, 12);
    expect(r.mmsegMIoUStrict).toBeCloseTo((1 + bg + 0) / 3, 12);
  });

  it("refuses ground-truth values that are neither class ids nor the ignore label", () => {
    const s = new SegmentationScore();
    const gt = mask(10, 10, (x) => (x === 3 ? 7 : 0));
    // Before, such pixels left the confusion matrix without a word but counted as true markings.
    expect(() =>
      s.add(
        mask(10, 10, () => 0),
        gt,
        10,
        10,
      ),
    ).toThrow(/holds 7 .* expected a class id 0-6 or 255/);
  });

  it("refuses a prediction that is not a class id, instead of counting it in another class's row", () => {
    const s = new SegmentationScore();
    expect(() =>
      s.add(
        mask(10, 10, (x) => (x === 3 ? 7 : 0)),
        mask(10, 10, () => 1),
        10,
        10,
      ),
    ).toThrow(/prediction holds 7 at pixel 3: expected a class id 0-6/);
    // Nothing of the refused image was counted.
    expect(s.result().pixels).toBe(0);
  });

  it("says n/a (null), not 0, where a split has nothing to measure", () => {
    const empty = mask(20, 20, () => 0);
    const s = new SegmentationScore();
    s.add(empty, empty, 20, 20);
    const r = s.result();
    expect([r.laneMIoU, r.binaryIoU, r.relaxedPrecision3px, r.relaxedRecall3px, r.relaxedF1_3px]).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(r.mmsegMIoU).toBe(1); // background alone, found everywhere
    // Markings in the ground truth and none predicted: recall 0 and F1 0, precision unmeasured.
    const missed = new SegmentationScore();
    missed.add(
      empty,
      mask(20, 20, (x) => (x === 5 ? 1 : 0)),
      20,
      20,
    );
    expect(missed.result()).toMatchObject({
      relaxedPrecision3px: null,
      relaxedRecall3px: 0,
      relaxedF1_3px: 0,
    });
  });

  it("binary IoU counts a marking found under the wrong class as found, and false and missed markings", () => {
    // Class 1 at x = 10 predicted as class 2 (found), class 2 at x = 30 missed, class 3 at x = 40
    // on background (false): 50 found, 50 missed, 50 false -> 1/3.
    const gt = mask(50, 50, (x) => (x === 10 ? 1 : x === 30 ? 2 : 0));
    const pred = mask(50, 50, (x) => (x === 10 ? 2 : x === 40 ? 3 : 0));
    const s = new SegmentationScore();
    s.add(pred, gt, 50, 50);
    expect(s.result().binaryIoU).toBeCloseTo(1 / 3, 12);
  });

  it("measures relaxed precision and recall apart, and F1 as their harmonic mean", () => {
    // The true line at x = 10 is found 1 px off (x = 11); the line at x = 30 is false.
    const gt = mask(40, 40, (x) => (x === 10 ? 1 : 0));
    const pred = mask(40, 40, (x) => (x === 11 || x === 30 ? 1 : 0));
    const s = new SegmentationScore();
    s.add(pred, gt, 40, 40);
    const r = s.result();
    expect(r.relaxedPrecision3px).toBe(0.5);
    expect(r.relaxedRecall3px).toBe(1);
    expect(r.relaxedF1_3px).toBeCloseTo(2 / 3, 12);
  });

  it("relaxed tolerance is a Euclidean disk of 3 px: (2, 2) off is near, (3, 3) off (4.2 px) is not", () => {
    const gt = mask(30, 30, (x, y) => (x === 10 && y === 10 ? 1 : 0));
    const score = (px: number, py: number) => {
      const s = new SegmentationScore();
      s.add(
        mask(30, 30, (x, y) => (x === px && y === py ? 1 : 0)),
        gt,
        30,
        30,
      );
      return s.result().relaxedPrecision3px;
    };
    expect(score(12, 12)).toBe(1);
    expect(score(13, 10)).toBe(1);
    expect(score(13, 13)).toBe(0);
    expect(score(13, 12)).toBe(0); // 3.6 px
  });

  it("does not wrap the 3 px tolerance around the image's left and right edges", () => {
    // A true line in the last column and a predicted one in the second: 38 px apart, not near.
    const right = new SegmentationScore();
    right.add(
      mask(40, 40, (x) => (x === 1 ? 1 : 0)),
      mask(40, 40, (x) => (x === 39 ? 1 : 0)),
      40,
      40,
    );
    expect(right.result()).toMatchObject({ relaxedPrecision3px: 0, relaxedRecall3px: 0 });
    // The same mirrored: the true line in the first column, the predicted one in the next to last.
    const left = new SegmentationScore();
    left.add(
      mask(40, 40, (x) => (x === 38 ? 1 : 0)),
      mask(40, 40, (x) => (x === 0 ? 1 : 0)),
      40,
      40,
    );
    expect(left.result()).toMatchObject({ relaxedPrecision3px: 0, relaxedRecall3px: 0 });
  });
});
