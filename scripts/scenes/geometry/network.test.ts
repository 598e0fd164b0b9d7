import { describe, expect, it } from "vitest";
import { makeMarking } from "../markings/marking.js";
import { Rng } from "../random.js";
import { buildLaneLines, type LaneLine, type RoadNetwork } from "./network.js";
import { Path } from "./path.js";
import { constant, type MarkingRun, type Road } from "./road.js";

const dashedSpec = makeMarking(2, 0.15, { region: "test", dashM: 3, gapM: 9 });

/** A straight two-lane road along y = 50 with one dashed separator, crossed at x = 100 by another. */
function crossing(): RoadNetwork {
  return {
    roads: [
      straightRoad(
        1,
        [
          [0, 50],
          [200, 50],
        ],
        [{ s0: 0, s1: 200, spec: dashedSpec }],
      ),
      straightRoad(
        2,
        [
          [100, -50],
          [100, 150],
        ],
        [],
      ),
    ],
    junctions: [],
    lots: [],
    islands: [],
  };
}

function straightRoad(id: number, points: [number, number][], runs: MarkingRun[]): Road {
  const halfWidth = 5;
  return {
    id,
    kind: "street",
    path: new Path(points),
    surfaceLeft: constant(-halfWidth),
    surfaceRight: constant(halfWidth),
    maxHalfWidth: halfWidth,
    boundaries: runs.length > 0 ? [{ offset: constant(1.75), role: "separator", runs }] : [],
    lanes: [],
    medians: [],
    sidewalks: [],
    kerb: false,
    setback: 2,
    cutFrom: 0,
    cutTo: 200,
    priority: id,
    elevated: false,
    importance: 0.5,
  };
}

const first = (l: LaneLine) => l.points[0]!;
const last = (l: LaneLine) => l.points[l.points.length - 1]!;

describe("buildLaneLines", () => {
  it("labels a dashed line through its last gap up to the solid approach line that follows it", () => {
    let transitions = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const lines = buildLaneLines(crossing(), new Rng(seed));
      const solid = lines.filter((l) => !l.spec.pattern);
      if (solid.length === 0) continue; // this seed kept the line dashed up to the junction
      transitions++;
      const dashed = lines.filter((l) => l.spec.pattern);
      expect(solid).toHaveLength(2);
      expect(dashed).toHaveLength(2);
      // West of the junction: dashed, then solid up to the cut; east: solid from the cut, then dashed.
      const [west, east] = dashed.sort((a, b) => first(a)[0] - first(b)[0]);
      const [approachW, approachE] = solid.sort((a, b) => first(a)[0] - first(b)[0]);
      expect(last(west!)[0]).toBeCloseTo(first(approachW!)[0], 9);
      expect(first(east!)[0]).toBeCloseTo(last(approachE!)[0], 9);
      // The far ends are not next to anything: they start and stop at paint.
      expect(west!.painted[0]![0]).toBe(0);
      expect(east!.painted.at(-1)![1]).toBeCloseTo(last(east!)[0] - first(east!)[0], 9);
    }
    expect(transitions).toBeGreaterThan(5);
  });

  it("labels a dashed zone through its last gap up to the solid zone that takes over", () => {
    const solidSpec = makeMarking(1, 0.15);
    for (let seed = 1; seed <= 20; seed++) {
      const zones: RoadNetwork = {
        roads: [
          straightRoad(
            1,
            [
              [0, 50],
              [200, 50],
            ],
            [
              { s0: 0, s1: 100, spec: dashedSpec },
              { s0: 100, s1: 200, spec: solidSpec },
            ],
          ),
        ],
        junctions: [],
        lots: [],
        islands: [],
      };
      const lines = buildLaneLines(zones, new Rng(seed));
      const dashed = lines.find((l) => l.spec.pattern)!;
      const solid = lines.find((l) => !l.spec.pattern)!;
      expect(last(dashed)[0]).toBeCloseTo(100, 9);
      expect(first(solid)[0]).toBeCloseTo(100, 9);
      // The road's own start is not a junction with another line: the label starts at paint.
      expect(dashed.painted[0]![0]).toBe(0);
    }
  });

  it("keeps every painted interval of a line on the line", () => {
    for (let seed = 1; seed <= 20; seed++) {
      for (const l of buildLaneLines(crossing(), new Rng(seed))) {
        const length = last(l)[0] - first(l)[0];
        for (const [a, b] of l.painted) {
          expect(a).toBeGreaterThanOrEqual(0);
          expect(b).toBeLessThanOrEqual(length + 1e-9);
          expect(b).toBeGreaterThan(a);
        }
      }
    }
  });
});
