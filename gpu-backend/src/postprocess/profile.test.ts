import { describe, expect, it } from "vitest";
import { probabilityProfile } from "./profile.js";
import { ProbabilitySampler } from "./scores.js";

describe("the model's probability as a dash profile", () => {
  it("is the mean of the class's probability at the centre and one pixel to each side", () => {
    // 3 x 3 pixels, two classes: class 1 is 0.9 in the middle column, 0.3 beside it.
    const cls1 = [0.3, 0.9, 0.3, 0.3, 0.9, 0.3, 0.3, 0.9, 0.3];
    const data = new Float32Array([...cls1.map((p) => 1 - p), ...cls1]);
    const sampler = new ProbabilitySampler({ data, channels: 2, kind: "probabilities" }, 3, 3);
    const profile = probabilityProfile(sampler);
    // Across a vertical line: the normal points along x.
    expect(profile.across(1, 1.5, 1.5, 1, 0)).toBeCloseTo(0.5, 6);
    // Along it: all three samples in the middle column.
    expect(profile.across(1, 1.5, 1.5, 0, 1)).toBeCloseTo(0.9, 6);
  });
});
