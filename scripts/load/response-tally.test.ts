import { describe, expect, it } from "vitest";
import { ResponseTally } from "./response-tally.js";

describe("ResponseTally", () => {
  it("counts each response once in its status/X-Cache class, latency only when matched", () => {
    const t = new ResponseTally();
    t.add({ status: 200, cache: "HIT", serverTiming: "total;dur=2", latencyMs: 4, tag: "repeat" });
    t.add({ status: 200, cache: "MISS", serverTiming: "total;dur=80", latencyMs: 90, tag: "new" });
    t.add({ status: 503, cache: undefined, serverTiming: undefined, latencyMs: 1, tag: "new" });
    t.add({ status: 503, cache: undefined, serverTiming: undefined });
    const s = t.summary();
    expect(s.classes).toEqual({ "200 HIT": 1, "200 MISS": 1, "503 -": 2 });
    // Listed in order, the class without X-Cache too (an all-digit key would come first).
    expect(Object.keys(s.classes)).toEqual(["200 HIT", "200 MISS", "503 -"]);
    expect(Object.keys(s.byClass)).toEqual(["200 HIT", "200 MISS", "503 -"]);
    // The unmatched 503 (no latency) is counted but adds no latency sample.
    expect(s.byClass["503 -"]).toMatchObject({ count: 1, p50: 1, max: 1 });
    expect(s.byTag.new).toMatchObject({ count: 2, p50: 1, max: 90 });
    expect(s.byTag.repeat).toMatchObject({ count: 1, p99: 4 });
    expect(s.serverTiming).toMatchObject({ responses: 4, withHeader: 2 });
    expect(s.serverTiming.metrics.total).toMatchObject({ count: 2, p50: 2, max: 80 });
    expect(Object.keys(s.serverTimingByClass).sort()).toEqual(["200 HIT", "200 MISS", "503 -"]);
    expect(s.serverTimingByClass["503 -"]).toMatchObject({ responses: 2, withHeader: 0 });
  });
});
