/**
 * SingleFlight against a real Redis (through the Upstash bridge): the lock's life cycle, which the
 * edge's tests only see as "one backend call" when all goes well.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectRedis,
  deleteKeysWithPrefix,
  keyPrefix,
  startStack,
  type TestStack,
} from "../../../test/harness/index.js";
import { createRedisClient } from "../redis/client.js";
import { type FlightKeys, type LeaderResult, SingleFlight } from "./single-flight.js";

let stack: TestStack;
const prefix = keyPrefix("edge-flight");
const keys: FlightKeys = {
  result: (id) => `${prefix}result:${id}`,
  failure: (id) => `${prefix}failure:${id}`,
  lock: (id) => `${prefix}lock:${id}`,
};

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  if (!stack) return;
  const direct = await connectRedis(stack.redisUrl);
  await deleteKeysWithPrefix(direct, prefix);
  await direct.quit();
  await stack.close();
});

const redis = () => createRedisClient({ url: stack.url, token: stack.token, timeoutMs: 2_000 });
const flight = (lockTtlMs: number, waitMs: number) =>
  new SingleFlight(redis(), keys, { lockTtlMs, waitMs, resultTtlMs: 60_000, failureTtlMs: 2_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stored = (value: string): LeaderResult<string> => ({ value, entry: value });

describe("SingleFlight", () => {
  it("frees the lock when the leader's computation throws: the next request leads at once", async () => {
    const f = flight(30_000, 200);
    await expect(
      f.run("throws", async () => {
        throw new Error("a bug");
      }),
    ).rejects.toThrow("a bug");
    const next = await f.run("throws", async () => stored("second"));
    expect(next).toMatchObject({ role: "leader", value: "second", saved: true });
  });

  it("never releases a lock that another leader took after its own expired", async () => {
    // A outlives its 300 ms lock and finishes only once B holds a new one (of 30 s), while B computes.
    const f = flight(300, 5_000);
    const g = flight(30_000, 5_000);
    let bTook = false;
    let bDone = false;
    const a = f.run("slow", async () => {
      for (let i = 0; i < 250 && !bTook; i++) await sleep(20);
      return { value: "a", entry: null };
    });
    await sleep(50);
    const b = g.run("slow", async () => {
      bTook = true;
      for (let i = 0; i < 250 && !bDone; i++) await sleep(20);
      return stored("b");
    });
    await a;
    expect(bTook).toBe(true);
    const direct = await connectRedis(stack.redisUrl);
    try {
      // B's token, not deleted by A, nor turned into A's "uncacheable" mark.
      const lock = await direct.get(keys.lock("slow"));
      expect(lock).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      await direct.quit();
    }
    // B's lock still stands, so a third request waits for B and gets its result.
    const c = f.run("slow", async () => stored("c"));
    await sleep(100);
    bDone = true;
    expect(await c).toEqual({ role: "hit", stored: "b" });
    expect(await b).toMatchObject({ role: "leader", value: "b" });
  }, 20_000);

  it("tells waiters to compute themselves, for a while, when the leader's result cannot be stored", async () => {
    const f = flight(30_000, 5_000);
    const leader = f.run("big", async () => {
      await sleep(300);
      return { value: "too big to store", entry: null };
    });
    await sleep(50);
    const waiter = f.run("big", async () => stored("never"));
    expect(await leader).toMatchObject({ role: "leader", saved: false });
    expect(await waiter).toEqual({ role: "uncacheable" });
    // The mark is the lock itself: an isolate on the previous release sees a lock held and waits.
    const direct = await connectRedis(stack.redisUrl);
    try {
      expect(await direct.get(keys.lock("big"))).toBe("uncacheable");
      expect(await direct.get(keys.failure("big"))).toBeNull();
    } finally {
      await direct.quit();
    }
    await sleep(2_200); // past failureTtlMs
    expect(await f.run("big", async () => stored("later"))).toMatchObject({ role: "leader", value: "later" });
  });
});
