import { describe, expect, it } from "vitest";
import { cpuMsPerRequest } from "./cpu.js";

describe("cpuMsPerRequest", () => {
  it("gives CPU milliseconds per request of each part between two snapshots", () => {
    const before = new Map([
      ["workerd", 1],
      ["load", 2],
    ]);
    const after = new Map([
      ["workerd", 3],
      ["load", 2],
      ["redis-server", 0.5],
    ]);
    // workerd: 2 s over 1,000 requests = 2 ms each; redis-server new: 0.5 ms; load idle: left out.
    expect(cpuMsPerRequest(before, after, 1000)).toEqual({ workerd: 2, "redis-server": 0.5 });
    expect(cpuMsPerRequest(before, after, 0)).toEqual({});
  });
});
