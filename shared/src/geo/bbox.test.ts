import { describe, expect, it } from "vitest";
import { areaBbox, positionsBbox } from "./bbox.js";

describe("areaBbox", () => {
  it("is a bbox area's own bbox", () => {
    expect(areaBbox({ type: "bbox", bbox: [1, 2, 3, 4] })).toEqual([1, 2, 3, 4]);
  });

  it("bounds a polygon's exterior ring, whatever its start and orientation", () => {
    const ring = [
      [10, 50],
      [10.2, 50.05],
      [10.1, 50.3],
      [9.9, 50.1],
      [10, 50],
    ];
    expect(areaBbox({ type: "Polygon", coordinates: [ring] })).toEqual([9.9, 50, 10.2, 50.3]);
    expect(areaBbox({ type: "Polygon", coordinates: [[...ring].reverse()] })).toEqual([9.9, 50, 10.2, 50.3]);
  });

  it("is empty (infinite) for no positions", () => {
    expect(positionsBbox([])).toEqual([Infinity, Infinity, -Infinity, -Infinity]);
  });
});
