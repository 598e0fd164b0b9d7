import { geodesicDistance } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { analysisBody, DEMO_BBOX, storeAreas } from "./areas.js";

describe("storeAreas (demo store)", () => {
  it("gives distinct squares of the asked size, each fully covered, the same for the same seed", async () => {
    const a = await storeAreas(undefined, 5);
    const b = await storeAreas(undefined, 5);
    const squares = Array.from({ length: 20 }, () => a.randomSquare(100));
    expect(Array.from({ length: 20 }, () => b.randomSquare(100))).toEqual(squares);
    expect(new Set(squares.map((s) => s.join())).size).toBe(20);
    for (const [w, s, e, n] of squares) {
      expect(a.covers([w, s, e, n])).toBe(true);
      expect(Math.abs(geodesicDistance([w, s], [e, s]) - 100)).toBeLessThan(1);
      expect(Math.abs(geodesicDistance([w, s], [w, n]) - 100)).toBeLessThan(1);
    }
    expect(a.covers(DEMO_BBOX)).toBe(true);
    expect(a.covers([0, 0, 0.001, 0.001])).toBe(false);
    expect(() => a.randomSquare(5_000)).toThrow(/smaller than/);
  });

  it("writes the request body the API takes", () => {
    expect(JSON.parse(analysisBody(DEMO_BBOX, 0.25))).toEqual({
      area: { type: "bbox", bbox: [...DEMO_BBOX] },
      resolution_m: 0.25,
    });
  });
});
