/**
 * What a dash profile is made of: one value per position along a line, taken across it (the line's
 * unit normal given), in [0, 1] or any fixed scale (dashes.ts splits it at the midpoint of its own
 * low and high levels).
 */
import type { ProbabilitySampler } from "./scores.js";

export interface ProfileSampler {
  across(classId: number, x: number, y: number, nx: number, ny: number): number;
}

/** The model's probability of the class: the mean at the centre and one pixel to each side. */
export function probabilityProfile(sampler: ProbabilitySampler): ProfileSampler {
  return {
    across: (classId, x, y, nx, ny) =>
      (sampler.probAt(classId, x, y) +
        sampler.probAt(classId, x + nx, y + ny) +
        sampler.probAt(classId, x - nx, y - ny)) /
      3,
  };
}
