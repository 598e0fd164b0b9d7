/**
 * The programmatic local stack, without the backend (fast): a real Redis, the bridge in a child
 * process, the Worker in workerd on a loopback port. Checks that what it starts works, that parts
 * passed in are reused and left running, and that stop() leaves nothing of its own behind.
 */
import { createClient } from "redis";
import { afterAll, describe, expect, it } from "vitest";
import { type LocalStack, startLocalStack } from "./stack.js";

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
    expect(await health.json()).toMatchObject({ redis: "up", backend: "down" });

    const key = await first.createApiKey("stack-test");
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
    expect(second.started).toEqual(["edge"]);
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
    expect(await keysUnder(first.redisUrl, first.keyPrefix)).toBe(0);
  });
});
