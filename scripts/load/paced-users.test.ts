import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { seededRandom } from "@lanesegnet/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPacedUsers } from "./paced-users.js";
import { round } from "./stats.js";

let server: Server;
let url = "";
let inFlight = 0;
let maxInFlight = 0;
const arrivals: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    arrivals.push(performance.now());
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    setTimeout(() => {
      inFlight--;
      const status = req.url === "/fail" ? 503 : 200;
      res.writeHead(status, { "x-cache": "HIT", "server-timing": "total;dur=1.5" }).end("ok");
    }, 5);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe("runPacedUsers", () => {
  it("sends about users / think time requests per second, each user one at a time", async () => {
    maxInFlight = 0;
    const users = 10;
    const r = await runPacedUsers({
      name: "t",
      url,
      users,
      meanThinkS: 0.1,
      durationS: 2,
      next: (n) => ({ path: n % 10 === 0 ? "/fail" : "/ok", tag: "x" }),
    });
    // Expected ~10 / (0.1 + 0.005) ≈ 95/s; a closed loop would do ~2,000/s on this server.
    expect(r.throughputPerS).toBeGreaterThan(40);
    expect(r.throughputPerS).toBeLessThan(150);
    expect(maxInFlight).toBeLessThanOrEqual(users);
    expect(r.statuses["503"]).toBe(Math.ceil(r.requests / 10));
    expect(r.classes["200 HIT"]).toBe(r.requests - (r.statuses["503"] ?? 0));
    expect(r.errors).toBe(0);
    expect(r.serverTiming.metrics.total?.p50).toBe(1.5);
    expect(r.classes["503 HIT"]).toBe(r.statuses["503"]);
    // Every response is tagged "x", so the headline latency is the tag's, field by field.
    const x = r.byTag.x;
    expect(x?.count).toBe(r.requests);
    expect(r.latencyMs).toEqual({
      p50: round(x?.p50 ?? 0),
      p90: round(x?.p90 ?? 0),
      p99: round(x?.p99 ?? 0),
      max: round(x?.max ?? 0),
      mean: round(x?.mean ?? 0),
    });
    expect(r.latencyMs.p50).toBeLessThan(200); // each request's own time, not time since the start
  });

  it("thinks for exponentially distributed times (mean meanThinkS), from the seeded stream", async () => {
    arrivals.length = 0;
    await runPacedUsers({
      name: "t",
      url,
      users: 1,
      meanThinkS: 0.1,
      durationS: 3,
      seed: 5,
      next: () => ({ path: "/ok" }),
    });
    const random = seededRandom(5);
    const thinks = arrivals.map(() => -Math.log(1 - random()) * 100);
    // Between two requests of one user: the first's ~5 ms answer, then the next think time.
    const extra = arrivals.slice(1).map((t, i) => t - (arrivals[i] as number) - (thinks[i + 1] as number));
    expect(extra.length).toBeGreaterThan(10);
    const close = extra.filter((e) => e > -1 && e < 20).length;
    expect(close / extra.length).toBeGreaterThan(0.8);
  });

  it("slows down with a longer think time", async () => {
    const r = await runPacedUsers({
      name: "t",
      url,
      users: 10,
      meanThinkS: 0.5,
      durationS: 2,
      next: () => ({ path: "/ok" }),
    });
    expect(r.throughputPerS).toBeLessThan(35);
    expect(r.requests).toBeGreaterThan(10);
  });

  it("counts refused connections as errors", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = await runPacedUsers({
      name: "t",
      url: `http://127.0.0.1:${port}`,
      users: 2,
      meanThinkS: 0.05,
      durationS: 0.5,
      next: () => ({ path: "/" }),
    });
    expect(r.requests).toBe(0);
    expect(r.errors).toBeGreaterThan(0);
    // Failed requests are not responses: no throughput, no CPU per response.
    expect(r.throughputPerS).toBe(0);
    expect(r.cpuMsPerResponse).toEqual({});
  });

  it("refuses anything but loopback", async () => {
    await expect(
      runPacedUsers({
        name: "t",
        url: "http://192.0.2.1",
        users: 1,
        meanThinkS: 1,
        durationS: 1,
        next: () => ({ path: "/" }),
      }),
    ).rejects.toThrow(/loopback/);
  });
});
