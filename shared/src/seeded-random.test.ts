import { describe, expect, it } from "vitest";
import { seededRandom } from "./seeded-random.js";

describe("seededRandom", () => {
  it("repeats its sequence for a seed and differs between seeds", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const sa = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(sa);
    expect(Array.from({ length: 5 }, c)).not.toEqual(sa);
  });

  it("is uniform on [0, 1)", () => {
    const r = seededRandom(7);
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const v = r();
      expect(v >= 0 && v < 1).toBe(true);
      bins[Math.floor(v * 10)]!++;
    }
    for (const n of bins) expect(Math.abs(n - 10_000)).toBeLessThan(500);
  });
});
