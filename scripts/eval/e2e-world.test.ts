import type { AnalysisResponse } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import type { World } from "../scenes/world.js";
import { linesAgainstWorld, scoreAgainstWorld } from "./e2e-world.js";

// A north-south true line of ~100 m at lon 10, lat 50, and returned lines shifted east by d metres.
const LAT = 50;
const dLon = (m: number) => m / (111_320 * Math.cos((LAT * Math.PI) / 180));
const coords = (eastM: number): [number, number][] => [
  [10 + dLon(eastM), LAT],
  [10 + dLon(eastM), LAT + 0.0009],
];
const world = { lanes: [{ classId: 1, coordinates: coords(0), pattern: null }] } as unknown as World;
const feature = (eastM: number) =>
  ({
    type: "Feature",
    geometry: { type: "LineString", coordinates: coords(eastM) },
    properties: { class: "single_white_solid", class_id: 1, dashed: false, length_m: 100 },
  }) as unknown as AnalysisResponse["features"][number];
const bbox = [9.999, LAT - 0.0001, 10.001, LAT + 0.001] as const;

describe("scoring returned lines against the world's true lines", () => {
  it("uses the 0.5 m tolerance of DATA.md: a line 0.4 m off is found, one 0.8 m off is missed", () => {
    expect(scoreAgainstWorld(world, [feature(0.4)], bbox).recall).toBeCloseTo(1, 3);
    const far = scoreAgainstWorld(world, [feature(0.8)], bbox);
    expect(far.recall).toBe(0);
    expect(far.falseShare).toBe(1);
    const rows = linesAgainstWorld(world, [feature(0.8)], bbox);
    expect(rows.map((r) => (r.kind === "reported" ? r.false_share : r.found_share))).toEqual([1, 0]);
  });
});
