/**
 * Replay protection across backend instances (REPLAY_REDIS_URL): a real Redis, the real
 * RedisNonceStore and two real backends behind no balancer at all, so the test plays the balancer
 * and sends a captured request to the other instance. Also what happens without Redis: the
 * process's own cache still refuses a replay to the same instance, and the fallback is counted.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { SIGNATURE_HEADERS, signRequest } from "@lanesegnet/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../gpu-backend/src/config.js";
import { createLogger } from "../../gpu-backend/src/observability/logger.js";
import { RedisNonceStore } from "../../gpu-backend/src/replay/redis-nonce-store.js";
import { type RunningBackend, startBackend } from "../../gpu-backend/src/server.js";
import { deleteKeysWithPrefix, keyPrefix } from "../harness/keys.js";
import { connectRedis, ensureRedis, type TestRedisClient } from "../harness/redis.js";

const SECRET = randomBytes(24).toString("hex");
const MODEL_PATH = fileURLToPath(new URL("../../models/lanesegnet-lite.onnx", import.meta.url));
const ROUTE = "/internal/v1/analyze";

let redis: Awaited<ReturnType<typeof ensureRedis>>;
let client: TestRedisClient;
const prefix = keyPrefix("replay");

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Wait (bounded) until the store's background connection is up: its first claim reaches Redis. */
async function untilConnected(store: RedisNonceStore, probePrefix: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const nonce = `probe-${i}`;
    await store.check(nonce);
    if ((await client.exists(probePrefix + nonce)) === 1) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("replay store never connected to the test Redis");
}

beforeAll(async () => {
  redis = await ensureRedis();
  client = await connectRedis(redis.url);
});

afterAll(async () => {
  await deleteKeysWithPrefix(client, prefix);
  await client?.close();
  await redis?.stop();
});

describe("RedisNonceStore", () => {
  it("a nonce claimed by one instance is a replay for another, and expires after its TTL", async () => {
    const p = `${prefix}store:`;
    const opts = { url: redis.url, keyPrefix: p, ttlMs: 400, timeoutMs: 1_000 };
    const a = RedisNonceStore.open(opts);
    const b = RedisNonceStore.open(opts);
    try {
      await untilConnected(a, p);
      await untilConnected(b, p);
      expect(await a.check("n-1")).toBe("fresh");
      expect(await b.check("n-1")).toBe("replayed");
      expect(await a.check("n-1")).toBe("replayed");
      expect(await b.check("n-2")).toBe("fresh");
      const ttl = await client.pTTL(`${p}n-2`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(400);
      // After the TTL the key is gone in Redis; instance b never saw n-1 itself, so it is fresh there.
      await new Promise((r) => setTimeout(r, 450));
      expect(await client.exists(`${p}n-1`)).toBe(0);
      expect(await b.check("n-1")).toBe("fresh");
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("without Redis, this process's cache decides and each fallback is reported", async () => {
    const errors: unknown[] = [];
    const store = RedisNonceStore.open({
      url: `redis://127.0.0.1:${await closedPort()}`,
      keyPrefix: `${prefix}down:`,
      ttlMs: 120_000,
      timeoutMs: 100,
      onFallback: (e) => errors.push(e),
    });
    try {
      expect(await store.check("d-1")).toBe("fresh");
      expect(await store.check("d-1")).toBe("replayed");
      expect(await store.check("d-2")).toBe("fresh");
      // The replay was refused locally before Redis was asked: two fallbacks, not three.
      expect(errors).toHaveLength(2);
    } finally {
      await store.close();
    }
  });
});

describe("two backends sharing REPLAY_REDIS_URL", () => {
  let first: RunningBackend;
  let second: RunningBackend;
  const p = `${prefix}backend:`;

  beforeAll(async () => {
    const config = loadConfig({
      BACKEND_SIGNING_SECRET: SECRET,
      MODEL_PATH,
      BACKEND_PORT: "0",
      EXECUTION_PROVIDERS: "cpu",
      INFERENCE_WORKERS: "1",
      INFERENCE_THREADS: "1",
      ENABLED_PROVIDERS: "esri",
      REPLAY_REDIS_URL: redis.url,
      REPLAY_KEY_PREFIX: p,
      REPLAY_REDIS_TIMEOUT_MS: "1000",
    });
    const logger = createLogger("silent");
    [first, second] = await Promise.all([startBackend(config, { logger }), startBackend(config, { logger })]);
  }, 60_000);

  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  async function send(url: string, headers: Record<string, string>, body: string): Promise<Response> {
    return fetch(`${url}${ROUTE}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body,
    });
  }

  it("a request accepted by one instance is refused as a replay by the other", async () => {
    // A validly signed body that fails validation: accepted by the signature check, answered 400
    // without running an analysis. What matters is that the nonce was claimed.
    const body = "{}";
    const sign = async () =>
      (await signRequest(SECRET, { method: "POST", path: ROUTE, body })) as unknown as Record<string, string>;
    // Both backends connect to Redis in the background: until the first has, a nonce is only
    // claimed in its own process. Sign anew until one is claimed in Redis (bounded).
    let headers = await sign();
    let res = await send(first.url, headers, body);
    for (let i = 0; i < 100 && (await client.exists(p + headers[SIGNATURE_HEADERS.nonce]!)) === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      headers = await sign();
      res = await send(first.url, headers, body);
    }
    expect(res.status).toBe(400);
    // Held for the whole window a signature is valid in (±60 s of skew), not a moment less.
    const heldMs = await client.pTTL(p + headers[SIGNATURE_HEADERS.nonce]!);
    expect(heldMs).toBeGreaterThan(115_000);
    expect(heldMs).toBeLessThanOrEqual(120_000);
    const replay = await send(second.url, headers, body);
    expect(replay.status).toBe(401);
    expect(replay.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(((await replay.json()) as { detail: string }).detail).toMatch(/replayed/);
    // A fresh signature for the same body is still welcome there.
    const again = await send(second.url, await sign(), body);
    expect(again.status).toBe(400);
  });
});
