import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPhase } from "./run-phase.js";

let server: Server;
let url: string;
let served = 0;

beforeAll(async () => {
  // Echoes X-Request-Id like the edge; /slow answers "MISS" after 50 ms, anything else "HIT" at once.
  server = createServer((req, res) => {
    served++;
    const wait = /^\/wait\/(\d+)$/.exec(req.url ?? "");
    if (req.url === "/hang") return; // never answers
    if (wait) {
      setTimeout(() => res.writeHead(200).end("ok"), Number(wait[1]));
      return;
    }
    const slow = req.url === "/slow";
    const headers = {
      "x-request-id": String(req.headers["x-request-id"] ?? ""),
      "x-cache": slow ? "MISS" : "HIT",
      "server-timing": `app;dur=${slow ? 50 : 1},total;dur=${slow ? 51 : 2}`,
    };
    setTimeout(() => res.writeHead(req.url === "/missing" ? 404 : 200, headers).end("ok"), slow ? 50 : 0);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

describe("runPhase", () => {
  it("counts statuses and classes, splits latency by class and tag, parses Server-Timing", async () => {
    const before = served;
    const r = await runPhase({
      name: "t",
      url,
      connections: 2,
      durationS: 1,
      next: (n) =>
        n % 4 === 3 ? { path: "/missing", tag: "bad" } : { path: n % 2 ? "/slow" : "/", tag: "good" },
    });
    expect(r.requests).toBeGreaterThan(10);
    expect(r.requests).toBeLessThanOrEqual(served - before);
    expect(r.errors).toBe(0);
    const statusTotal = Object.values(r.statuses).reduce((a, b) => a + b, 0);
    expect(statusTotal).toBe(r.requests);
    expect(r.statuses["404"]).toBeGreaterThan(0);
    expect(Object.keys(r.classes).sort()).toEqual(["200 HIT", "200 MISS", "404 HIT"]);
    expect((r.byClass["200 MISS"]?.p50 ?? 0) >= 45).toBe(true); // the slow path's own latency
    expect((r.byClass["200 HIT"]?.p50 ?? 99) < 45).toBe(true);
    expect(Object.keys(r.byTag).sort()).toEqual(["bad", "good"]);
    expect(r.serverTiming.metrics.total?.max).toBe(51);
    expect(r.serverTimingByClass["200 HIT"]?.metrics.app?.max).toBe(1);
    expect(r.throughputPerS).toBeGreaterThan(0);
  });

  it("cycles fixed requests, and bounds a phase with `amount` by its duration too", async () => {
    const fixed = await runPhase({
      name: "f",
      url,
      connections: 1,
      durationS: 1,
      requests: [{ path: "/" }, { path: "/missing" }],
    });
    expect(fixed.statuses["200"]).toBeGreaterThan(0);
    expect(Math.abs((fixed.statuses["200"] ?? 0) - (fixed.statuses["404"] ?? 0))).toBeLessThanOrEqual(1);

    const t0 = Date.now();
    const bounded = await runPhase({
      name: "b",
      url,
      connections: 1,
      durationS: 1,
      amount: 10_000,
      requests: [{ path: "/slow" }],
    });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(bounded.requests).toBeLessThan(100);

    // A phase that ends on `amount` well before durationS: req/s over the time it actually took.
    const quick = await runPhase({
      name: "q",
      url,
      connections: 1,
      durationS: 5,
      amount: 50,
      requests: [{ path: "/" }],
    });
    expect(quick.requests).toBe(50);
    // 50 instant answers take milliseconds, not the second autocannon idles until its next tick.
    expect(quick.durationS).toBeLessThan(0.8);
    expect(quick.throughputPerS).toBeGreaterThan(60);
    // (durationS is rounded to 2 decimals; the rate is over the unrounded time.)
    expect(quick.throughputPerS * quick.durationS).toBeCloseTo(50, -1);
  });

  it("reports autocannon's p90 and p99 as such", async () => {
    // 94.5 % at once, 5 % after 30 ms, 0.5 % after 120 ms: p90 fast, p97.5 and p99 30 ms, p99.9 120 ms.
    const r = await runPhase({
      name: "tiers",
      url,
      connections: 2,
      durationS: 3,
      next: (n) => ({ path: n % 200 === 0 ? "/wait/120" : n % 20 === 0 ? "/wait/30" : "/wait/0" }),
    });
    expect(r.requests).toBeGreaterThan(400);
    expect(r.latencyMs.p90).toBeLessThan(20);
    expect(r.latencyMs.p99).toBeGreaterThanOrEqual(25);
    expect(r.latencyMs.p99).toBeLessThan(100);
    expect(r.latencyMs.max).toBeGreaterThanOrEqual(115);
  });

  it("counts a timeout once among the errors", async () => {
    const r = await runPhase({
      name: "h",
      url,
      connections: 1,
      durationS: 3,
      timeoutS: 1,
      requests: [{ path: "/hang" }],
    });
    expect(r.requests).toBe(0);
    expect(r.timeouts).toBeGreaterThan(0);
    expect(r.errors).toBe(r.timeouts);
  });

  it("refuses targets that are not loopback", async () => {
    await expect(
      runPhase({
        name: "x",
        url: "http://example.com",
        connections: 1,
        durationS: 1,
        requests: [{ path: "/" }],
      }),
    ).rejects.toThrow(/loopback/);
  });

  it("refuses a per-request timeout under a second in its own words, before any request", async () => {
    for (const timeoutS of [0.5, 0, -1, Number.NaN]) {
      await expect(
        runPhase({
          name: "x",
          url: "http://127.0.0.1:9",
          connections: 1,
          durationS: 1,
          timeoutS,
          requests: [{ path: "/" }],
        }),
      ).rejects.toThrow(`runPhase: timeoutS must be at least 1 (seconds), got ${timeoutS}`);
    }
  });
});
