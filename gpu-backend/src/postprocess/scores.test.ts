import { describe, expect, it } from "vitest";
import { argmaxClasses, ProbabilitySampler } from "./scores.js";

describe("class scores", () => {
  // Two pixels, three classes: pixel 0 favours class 2, pixel 1 class 0.
  const probs = new Float32Array([0.2, 0.7, 0.1, 0.1, 0.7, 0.2]);
  const logits = probs.map((p) => Math.log(p) + 3); // any shift: softmax is shift-invariant

  it("reads probabilities as they are and softmaxes logits per pixel", () => {
    const p = new ProbabilitySampler({ data: probs, channels: 3, kind: "probabilities" }, 2, 1);
    const l = new ProbabilitySampler({ data: logits, channels: 3, kind: "logits" }, 2, 1);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 2; i++) expect(l.prob(c, i)).toBeCloseTo(p.prob(c, i), 6);
    }
    expect(p.probAt(2, 0.5, 0.5)).toBeCloseTo(0.7, 6);
    expect(p.probAt(2, 5, 0.5)).toBe(0);
  });

  it("reads nothing beyond the raster's right edge (not the next row's first pixel)", () => {
    // 2 x 2 pixels, one class: 0.1, 0.2 on the first row, 0.3, 0.4 on the second.
    const p = new ProbabilitySampler(
      { data: new Float32Array([0.1, 0.2, 0.3, 0.4]), channels: 1, kind: "probabilities" },
      2,
      2,
    );
    expect(p.probAt(0, 1.99, 0.5)).toBeCloseTo(0.2, 6);
    expect(p.probAt(0, 2, 0.5)).toBe(0);
    expect(p.probAt(0, 0.5, 2)).toBe(0);
  });

  it("takes the same argmax from logits and probabilities", () => {
    expect(Array.from(argmaxClasses({ data: probs, channels: 3, kind: "probabilities" }, 2, 1))).toEqual([
      2, 0,
    ]);
    expect(Array.from(argmaxClasses({ data: logits, channels: 3, kind: "logits" }, 2, 1))).toEqual([2, 0]);
  });

  it("refuses scores of the wrong size", () => {
    expect(() => new ProbabilitySampler({ data: probs, channels: 7, kind: "logits" }, 2, 1)).toThrow(
      RangeError,
    );
  });
});
