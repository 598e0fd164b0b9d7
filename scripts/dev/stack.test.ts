/**
 * The programmatic local stack, without the backend (fast): a real Redis, the bridge in a child
 * process, the Worker in workerd on a loopback port. Checks that what it starts works, that parts
 * passed in are reused and left running, that the edge has the demo store's coverage index, and
 * that stop() leaves nothing of its own behind. Also that a served Worker's subrequests go straight
 * to the network.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "redis";
import { afterAll, describe, expect, it } from "vitest";
import { bundleSource, type LocalStack, REPO_ROOT, serveWorker, startLocalStack } from "./stack.js";

const stacks: LocalStack[] = [];
afterAll(async () => {
  for (const s of stacks.reverse()) await s.stop();
});

async function keysUnder(redisUrl: string, prefix: string): Promise<number> {
  const client = createClient({ url: redisUrl });
  await client.connect();
  try {
    return (await client.keys(`${prefix}*`)).length;
  } finally {
    await client.quit();
  }
}

describe("startLocalStack", () => {
  it("starts the bridge and the Worker, serves real requests, stops only what it started", async () => {
    const first = await startLocalStack({ withoutBackend: true, edgeVars: { RATE_LIMIT_PER_HOUR: "7" } });
    stacks.push(first);
    expect(first.started).toEqual(expect.arrayContaining(["bridge", "edge"]));
    expect(first.backend).toBeNull();

    const health = await fetch(`${first.edgeUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ redis: "up", backend: "down", coverage_index: "ready" });

    // The demo store's index is served to the edge: the README's demo area has local imagery.
    const indexUrl = String(first.edgeVars.COVERAGE_INDEX_URL);
    expect(indexUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/coverage-index\.bin$/);
    const key = await first.createApiKey("stack-test");
    const coverage = await fetch(`${first.edgeUrl}/v1/coverage?bbox=-121.4960,38.5800,-121.4930,38.5824`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(coverage.status).toBe(200);
    const footprints = ((await coverage.json()) as { features: { id: string }[] }).features.map((f) => f.id);
    expect(footprints).toContain("90000004"); // the centre image of the 3 x 3 demo store
    const res = await fetch(`${first.edgeUrl}/v1/analyses`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ area: { type: "bbox", bbox: [-121.496, 38.58, -121.493, 38.5824] } }),
    });
    // Authenticated and counted (the stack's limit), then no backend to ask.
    expect(res.status).toBe(503);
    expect(res.headers.get("ratelimit-policy")).toContain("q=7");
    expect(first.workerLines().total).toBeGreaterThanOrEqual(2); // audit lines, drained
    expect(await keysUnder(first.redisUrl, first.keyPrefix)).toBeGreaterThan(0);

    // A second stack on the same bridge starts only its Worker, and leaves the bridge running.
    // Its Worker answers on a workerd socket of its own, without Miniflare's entry Worker.
    const second = await startLocalStack({ withoutBackend: true, bridge: first.bridge, directSocket: true });
    expect(second.started).toEqual(["coverage-index", "edge"]);
    expect(second.directSocket).toBe(true);
    const direct = await fetch(`${second.edgeUrl}/v1/analyses`, {
      method: "POST",
      headers: { authorization: `Bearer ${await second.createApiKey("stack-direct")}` },
      body: "{",
    });
    expect(direct.status).toBe(415);
    expect(direct.headers.get("content-type")).toContain("application/problem+json");
    await second.stop();
    await expect(fetch(`${second.edgeUrl}/health`)).rejects.toThrow();
    expect((await fetch(`${first.bridge.url}/health`)).status).toBe(200);

    await first.stop();
    await expect(fetch(`${first.edgeUrl}/health`)).rejects.toThrow();
    await expect(fetch(`${first.bridge.url}/health`)).rejects.toThrow();
    await expect(fetch(indexUrl)).rejects.toThrow();
    expect(await keysUnder(first.redisUrl, first.keyPrefix)).toBe(0);
  });
});

describe("serveWorker", () => {
  it("sends the Worker's subrequests straight out, not through Miniflare's header-stripping Worker", async () => {
    const seen: IncomingHttpHeaders[] = [];
    const upstream = createServer((req, res) => {
      seen.push(req.headers);
      res.end("upstream");
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`;
    const worker = await serveWorker({
      name: "subrequest",
      bundle: bundleSource(
        "export default { async fetch(_req: Request, env: { TARGET: string }) { return new Response(await (await fetch(env.TARGET)).text()); } };",
        REPO_ROOT,
      ),
      bindings: { TARGET: target },
      port: 0,
      directSocket: true,
    });
    try {
      const res = await fetch(worker.url);
      expect(await res.text()).toBe("upstream");
      expect(seen).toHaveLength(1);
      // Miniflare's default routes every subrequest through a second Worker on the same thread that
      // strips CF-Connecting-IP and adds this header: a second Request, Headers copy and Response
      // per Redis call, and that isolate's collections stalled the edge's requests (PERFORMANCE.md).
      expect(seen[0]).not.toHaveProperty("cf-worker");
    } finally {
      await worker.stop();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
    }
  });
});
