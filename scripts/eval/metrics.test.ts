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
});
