/** CoverageSource against a real loopback server that serves an index, slowly. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { buildCoverageIndex, lonLatToMercator } from "@lanesegnet/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoverageSource } from "./coverage.js";

let server: Server;
let url: string;
let downloads = 0;

beforeAll(async () => {
  const [x0, y0] = lonLatToMercator(153.02, -27.475);
  const [x1, y1] = lonLatToMercator(153.03, -27.465);
  const index = Buffer.from(
    buildCoverageIndex([{ id: "a", file: "a.jpg", footprint: [x0, y0, x1, y1], width: 2000, height: 2000 }]),
  );
  server = createServer((_req, res) => {
    downloads++;
    setTimeout(() => res.writeHead(200, { "content-type": "application/octet-stream" }).end(index), 200);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.bin`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("CoverageSource", () => {
  it("loads the index once for concurrent first requests: the others go on without it meanwhile", async () => {
    const source = new CoverageSource(url);
    const before = downloads;
    const states = await Promise.all(Array.from({ length: 12 }, () => source.get()));
    // Before, each of the twelve downloaded the whole index (up to 96 MB each in a 128 MB isolate).
    expect(downloads - before).toBe(1);
    expect(states.map((s) => s.state).sort()).toEqual([...Array(11).fill("loading"), "ready"]);
    expect((await source.get()).state).toBe("ready");
    expect(downloads - before).toBe(1);
  });
});

describe("CoverageSource after a failed load", () => {
  it("does not fetch the index again for 30 s after a failure", async () => {
    let calls = 0;
    const failing = createServer((_req, res) => {
      calls++;
      res.writeHead(500).end("nope");
    });
    await new Promise<void>((resolve) => failing.listen(0, "127.0.0.1", () => resolve()));
    try {
      let now = 1_000_000;
      const source = new CoverageSource(
        `http://127.0.0.1:${(failing.address() as AddressInfo).port}/index.bin`,
        undefined,
        () => now,
      );
      expect((await source.get()).state).toBe("unavailable");
      expect((await source.get()).state).toBe("unavailable");
      expect(calls).toBe(1);
      now += 30_001;
      await source.get();
      expect(calls).toBe(2);
    } finally {
      await new Promise<void>((resolve) => failing.close(() => resolve()));
    }
  });
});
