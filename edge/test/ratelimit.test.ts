/**
 * 50 analyses per hour per user, exact under concurrency, through the Worker and real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, hsToken } from "./support/credentials.js";
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
    // A mix of distinct areas (backend calls) and repeats (cache hits): both count.
    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, i) => postAnalysis(edge, key, bboxBody(i % 20))),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);

    const remaining = new Set<number>();
    for (const res of responses) {
      expect(res.headers.get("ratelimit-policy")).toBe('"hourly";q=50;w=3600');
      const rl = /^"hourly";r=(\d+);t=(\d+)$/.exec(res.headers.get("ratelimit") ?? "");
      expect(rl).not.toBeNull();
      expect(Number(rl?.[2])).toBeLessThanOrEqual(3600);
      if (res.status === 200) remaining.add(Number(rl?.[1]));
      if (res.status === 429) {
        expect(res.headers.get("content-type")).toBe("application/problem+json");
        const retryAfter = Number(res.headers.get("retry-after"));
        expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3600 + 72).toBe(true);
        expect(Number(rl?.[1])).toBe(0);
        const p = (await res.json()) as { status: number; type: string };
        expect(p).toMatchObject({ status: 429, type: "/problems/rate-limited" });
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
