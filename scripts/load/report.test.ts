import { describe, expect, it } from "vitest";
import { classTable, phaseTable, timingText } from "./report.js";
import type { PhaseResult } from "./run-phase.js";
import { percentiles } from "./stats.js";

const p = (values: number[]) => percentiles(values);
const phase: PhaseResult = {
  name: "paced",
  connections: 10,
  durationS: 2,
  requests: 30,
  throughputPerS: 15,
  latencyMs: { p50: 1, p90: 2, p99: 3, max: 4, mean: 1.5 },
  statuses: { "503": 5, "200": 25 },
  errors: 0,
  timeouts: 0,
  bytesPerS: 100,
  // As the tally names them: a status without X-Cache is "503 -", never an all-digit key.
  classes: { "200 HIT": 25, "503 -": 5 },
  byClass: { "200 HIT": p([1, 2, 3]), "503 -": p([7]) },
  byTag: { new: p([10, 20]), "user-1": p([5]) },
  serverTiming: {
    responses: 30,
    withHeader: 25,
    metrics: { total: p(Array.from({ length: 100 }, (_, i) => i + 1)) },
  },
  serverTimingByClass: {},
  cpuMsPerResponse: {},
};

describe("report", () => {
  it("puts each latency figure under its own column, statuses as counted", () => {
    const row = phaseTable([{ scenario: "mixed", phase }]).split("\n")[2];
    expect(row).toBe("| mixed | paced | 10 | 2 | 30 | 15 | 1 | 2 | 3 | 4 | 200: 25, 503: 5 | 0 |");
  });

  it("reports Server-Timing as p50/p99", () => {
    expect(timingText(phase)).toBe("total 50/99");
  });

  it("lists classes and tags, but not per-user tags", () => {
    const rows = classTable([{ scenario: "mixed", phase }])
      .split("\n")
      .slice(2);
    expect(rows).toEqual([
      "| mixed | paced | 200 HIT | 3 | 2 | 3 | 3 | 3 |",
      "| mixed | paced | 503 - | 1 | 7 | 7 | 7 | 7 |",
      "| mixed | paced | tag new | 2 | 10 | 20 | 20 | 20 |",
    ]);
  });
});
