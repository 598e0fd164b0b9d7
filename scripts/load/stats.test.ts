import { describe, expect, it } from "vitest";
import { percentiles, round, sortedRecord } from "./stats.js";

describe("percentiles", () => {
  it("sorts numerically before taking every percentile (nearest rank)", () => {
    // 1..100 shuffled: nearest rank gives p50 50, p90 90, p95 95, p99 99.
    const values = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    expect(percentiles(values)).toEqual({
      count: 100,
      mean: 50.5,
      p50: 50,
      p90: 90,
      p95: 95,
      p99: 99,
      max: 100,
    });
    const empty = percentiles([]);
    expect(empty.count).toBe(0);
    expect(empty.p99).toBeNaN();
    expect(empty.max).toBeNaN();
  });
});

describe("round", () => {
  it("keeps 2 decimals below 10, 1 below 100, none above", () => {
    expect(round(1.23456)).toBe(1.23);
    expect(round(-1.23456)).toBe(-1.23);
    expect(round(27.1828)).toBe(27.2);
    expect(round(271.828)).toBe(272);
    expect(round(Number.NaN)).toBeNaN();
  });

  it("sortedRecord orders keys", () => {
    expect(
      Object.keys(
        sortedRecord(
          new Map([
            ["b", 1],
            ["a", 2],
          ]),
          (v) => v,
        ),
      ),
    ).toEqual(["a", "b"]);
  });
});
