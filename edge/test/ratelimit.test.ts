/**
 * 50 analyses per hour per user, exact under concurrency, through the Worker and real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WINDOW_MS } from "../src/ratelimit/headers.js";
import { createRedisClient } from "../src/redis/client.js";
import { createKey, hsToken, keyStore } from "./support/credentials.js";
import { type EdgeWorker, type Rig, startEdge, startRig } from "./support/edge.js";
import { bboxBody, postAnalysis } from "./support/requests.js";

let rig: Rig;
let edge: EdgeWorker;

beforeAll(async () => {
  rig = await startRig("ratelimit");
  edge = await startEdge(rig.env()); // the default: 50 per hour
});

afterAll(async () => {
  await edge?.dispose();
  await rig?.close();
});

describe("rate limit", () => {
  it("lets exactly 50 of 60 concurrent analyses of one user through; another user is unaffected", async () => {
    const key = await createKey(rig, "busy-user");
    const sent = Date.now();
    // A mix of distinct areas (backend calls) and repeats (cache hits): both count.
    // Each body read as its answer arrives: 60 answers left unread at once through Miniflare's
    // dispatchFetch sometimes came back with a body already marked used.
    const answers = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const res = await postAnalysis(edge, key, bboxBody(i % 20));
        return { res, text: await res.text() };
      }),
    );
    const responses = answers.map((a) => a.res);
    // The whole quota in the current window: a slot frees just after it ends (1 ms, + 1 s margin).
    const windowEnd = (Math.floor(sent / WINDOW_MS) + 1) * WINDOW_MS;
    const latest = Math.ceil((windowEnd - sent) / 1000) + 2;
    const earliest = Math.floor((windowEnd - Date.now()) / 1000);
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);

    const remaining = new Set<number>();
    for (const { res, text } of answers) {
      expect(res.headers.get("ratelimit-policy")).toBe('"hourly";q=50;w=3600');
      const rl = /^"hourly";r=(\d+);t=(\d+)$/.exec(res.headers.get("ratelimit") ?? "");
      expect(rl).not.toBeNull();
      if (res.status === 200) {
        expect(Number(rl?.[2])).toBeLessThanOrEqual(3600);
        remaining.add(Number(rl?.[1]));
      }
      if (res.status === 429) {
        expect(res.headers.get("content-type")).toBe("application/problem+json");
        const retryAfter = Number(res.headers.get("retry-after"));
        expect(Number.isInteger(retryAfter)).toBe(true);
        expect(retryAfter).toBeGreaterThanOrEqual(earliest);
        expect(retryAfter).toBeLessThanOrEqual(latest); // the fixed-window figure added 72 s
        expect(Number(rl?.[2])).toBe(retryAfter);
        expect(Number(rl?.[1])).toBe(0);
        const p = JSON.parse(text) as { status: number; type: string };
        expect(p).toMatchObject({ status: 429, type: "/problems/rate-limited", instance: "/v1/analyses" });
      }
    }
    // Each allowed request saw its own count: 49 down to 0.
    expect(remaining.size).toBe(50);

    const next = await postAnalysis(edge, key, bboxBody(0));
    expect(next.status).toBe(429);

    const other = await postAnalysis(edge, await createKey(rig, "calm-user"), bboxBody(0));
    expect(other.status).toBe(200);
    expect(other.headers.get("ratelimit")).toMatch(/^"hourly";r=49;/);
    const viaJwt = await postAnalysis(edge, await hsToken({ sub: "jwt-user" }), bboxBody(0));
    expect(viaJwt.status).toBe(200);

    const refused = await edge.auditWhere((l) => l.user === "busy-user" && l.status === 429, 11);
    expect(refused.length).toBe(11);
    expect(refused.every((l) => l.ratelimit_remaining === 0 && l.ratelimit_source === "redis")).toBe(true);
  });

  it("admits a client that waits Retry-After when its quota straddles the window boundary", async () => {
    // A high limit lets the previous window's weight be set to the millisecond: a slot frees about
    // 8 s after the counts are set, where the fixed-window figure said the rest of the hour.
    const limit = 100_000;
    const wide = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: String(limit) }));
    try {
      const key = await createKey(rig, "straddler");
      let into = Date.now() % WINDOW_MS;
      if (WINDOW_MS - into < 20_000) {
        await sleep(WINDOW_MS - into + 100);
        into = Date.now() % WINDOW_MS;
      }
      const window = Math.floor(Date.now() / WINDOW_MS);
      // previous × ahead + current reaches the limit until (free) ms into the window, then drops under
      // it; 8 s leave a loaded machine time for the refusal to be decided before then.
      const free = into + 8_000;
      const previous = limit;
      const current = limit - Math.floor((previous * (WINDOW_MS - free)) / WINDOW_MS);
      const redis = createRedisClient({ url: rig.stack.url, token: rig.stack.token, timeoutMs: 5_000 });
      const counter = (w: number) => `${rig.prefix}ratelimit:straddler:${w}`;
      await redis.set(counter(window - 1), String(previous), { px: 2 * WINDOW_MS });
      await redis.set(counter(window), String(current), { px: 2 * WINDOW_MS });

      const first = await postAnalysis(wide, key, bboxBody(3));
      expect(first.status).toBe(429);
      const retryAfter = Number(first.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThanOrEqual(2);
      expect(retryAfter).toBeLessThanOrEqual(10);
      expect(first.headers.get("ratelimit")).toBe(`"hourly";r=0;t=${retryAfter}`);

      await sleep(retryAfter * 1000);
      const again = await postAnalysis(wide, key, bboxBody(3));
      expect(again.status).toBe(200);
    } finally {
      await wide.dispose();
    }
  }, 60_000);

  it("gives back only a count that was taken: a revoked key refused over the quota leaves it spent", async () => {
    const limited = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "2" }));
    try {
      const [revoked, other] = [await createKey(rig, "refund-user"), await createKey(rig, "refund-user")];
      for (let i = 0; i < 2; i++)
        expect((await postAnalysis(limited, revoked, bboxBody(80))).status).toBe(200);
      expect(await keyStore(rig).revoke(revoked)).toBe(true);
      // The isolate knows the key, so its check rides the rate limiter's round trip, which refuses
      // (the quota is spent): nothing was counted, so nothing may be given back.
      expect((await postAnalysis(limited, revoked, bboxBody(80))).status).toBe(401);
      await sleep(1_000); // a refund goes out after the answer (waitUntil)
      expect((await postAnalysis(limited, other, bboxBody(80))).status).toBe(429);
    } finally {
      await limited.dispose();
    }
  });

  it("shares one quota between two isolates", async () => {
    const other = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "5" }));
    const first = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "5" }));
    try {
      const key = await createKey(rig, "two-isolates");
      const responses = await Promise.all(
        Array.from({ length: 8 }, (_, i) => postAnalysis(i % 2 ? other : first, key, bboxBody(i))),
      );
      expect(responses.filter((r) => r.status === 200)).toHaveLength(5);
      expect(responses.filter((r) => r.status === 429)).toHaveLength(3);
    } finally {
      await Promise.all([other.dispose(), first.dispose()]);
    }
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe("a refused request", () => {
  it("does not keep reading the stored result it asks for while its user is over the quota", async () => {
    const { connectRedis } = await import("../../test/harness/index.js");
    const direct = await connectRedis(rig.stack.redisUrl);
    // Entries never held by the isolate nor compressed, so every read of one is the whole value
    // (about 1 MB).
    const limited = await startEdge(
      rig.env({ RATE_LIMIT_PER_HOUR: "1", CACHE_HOT_MAX_BYTES: "0", CACHE_COMPRESS_MIN_BYTES: "100000000" }),
    );
    rig.backend.extraFeatures = 4_000;
    try {
      const key = await createKey(rig, "over-quota-user");
      const body = bboxBody(70);
      const first = await postAnalysis(limited, key, body);
      expect(first.status).toBe(200);
      const entryBytes = (await first.arrayBuffer()).byteLength;
      expect(entryBytes).toBeGreaterThan(500_000);
      // This isolate admitted the user's last slot, so even the first refusal reads nothing.
      expect((await postAnalysis(limited, key, body)).status).toBe(429);
      const bytesOut = async () =>
        Number(/total_net_output_bytes:(\d+)/.exec(await direct.info("stats"))?.[1]);
      // The Redis is shared with suites running at once, whose traffic only adds: the least of a
      // few windows bounds what these requests cost. Reading the entry would cost N of them.
      const N = 5;
      let least = Number.POSITIVE_INFINITY;
      for (let attempt = 0; attempt < 3 && least >= entryBytes; attempt++) {
        const before = await bytesOut();
        for (let i = 0; i < N; i++) expect((await postAnalysis(limited, key, body)).status).toBe(429);
        least = Math.min(least, (await bytesOut()) - before);
      }
      expect(least).toBeLessThan(entryBytes);

      // Nor on the first refusal, when this isolate admitted the user's last slot: another user
      // each time (the stored entry is shared, so each first request is a HIT that uses the slot).
      let leastFirst = Number.POSITIVE_INFINITY;
      for (let attempt = 0; attempt < 3 && leastFirst >= entryBytes; attempt++) {
        const fresh = await createKey(rig, `at-limit-user-${attempt}`);
        const admitted = await postAnalysis(limited, fresh, body);
        expect(admitted.status).toBe(200);
        expect(admitted.headers.get("ratelimit")).toMatch(/r=0/);
        await admitted.arrayBuffer();
        const before = await bytesOut();
        expect((await postAnalysis(limited, fresh, body)).status).toBe(429);
        leastFirst = Math.min(leastFirst, (await bytesOut()) - before);
      }
      expect(leastFirst).toBeLessThan(entryBytes);
    } finally {
      rig.backend.extraFeatures = 0;
      await limited.dispose();
      await direct.quit();
    }
  }, 60_000);

  it("nor for as long as the refusal lasts (Retry-After is in seconds), when another isolate spent the quota", async () => {
    const stats = rig.stack.bridge.stats; // this file's own bridge, and its tests run one at a time
    // MGET: an isolate's first key lookup reads the key's record with the keys' tag secret.
    const reads = () => ["GET", "GETRANGE", "MGET"].reduce((n, c) => n + (stats.byCommand.get(c) ?? 0), 0);
    const env = rig.env({ RATE_LIMIT_PER_HOUR: "1" });
    const [spender, limited] = await Promise.all([startEdge(env), startEdge(env)]);
    try {
      const key = await createKey(rig, "refused-elsewhere");
      const body = bboxBody(71);
      expect((await postAnalysis(spender, key, body)).status).toBe(200);
      const readsOfRefused = async () => {
        const before = reads();
        expect((await postAnalysis(limited, key, body)).status).toBe(429);
        return reads() - before;
      };
      // This isolate learns of the refusal from Redis (the key's record and the entry are read);
      // from then on it remembers it and reads only the key's record.
      const first = await readsOfRefused();
      expect(await readsOfRefused()).toBe(first - 1);
      await sleep(4_000);
      expect(await readsOfRefused()).toBe(first - 1);
    } finally {
      await Promise.all([spender.dispose(), limited.dispose()]);
    }
  });
});
