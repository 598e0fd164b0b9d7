import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectRedis,
  deleteKeysWithPrefix,
  keyPrefix,
  startStack,
  type TestStack,
} from "../../../test/harness/index.js";
import { RedisCommandError, RequestBatch } from "./batch.js";
import { createRedisClient } from "./client.js";

let stack: TestStack;
const prefix = keyPrefix("edge-batch");

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

const client = () => createRedisClient({ url: stack.url, token: stack.token, timeoutMs: 2_000 });

describe("RequestBatch", () => {
  it("sends the commands of one synchronous turn in one pipeline, each with its own reply", async () => {
    const redis = client();
    await redis.set(`${prefix}a`, '{"x":"1"}');
    const batch = new RequestBatch(redis);
    const before = stack.bridge.stats.requests;
    const script = "return {KEYS[1], ARGV[1]}";
    const [a, missing, evaluated] = await Promise.all([
      batch.get(`${prefix}a`),
      batch.get(`${prefix}missing`),
      batch.eval(script, [`${prefix}k`], ["v"]),
    ]);
    expect(stack.bridge.stats.requests - before).toBe(1);
    expect(batch.sent).toBe(1);
    expect(a).toBe('{"x":"1"}'); // as stored: no deserialisation
    expect(missing).toBeNull();
    expect(evaluated).toEqual([`${prefix}k`, "v"]);

    // A command after an await starts a new batch.
    expect(await batch.get(`${prefix}a`)).toBe('{"x":"1"}');
    expect(batch.sent).toBe(2);
  });

  it("rejects only the failed command (NOSCRIPT reaches @upstash/ratelimit's fallback)", async () => {
    const batch = new RequestBatch(client());
    const noScript = batch.evalsha("0".repeat(40), [`${prefix}k`], []);
    const get = batch.get(`${prefix}a`);
    await expect(noScript).rejects.toThrow(RedisCommandError);
    await expect(noScript).rejects.toThrow(/NOSCRIPT/);
    await expect(get).resolves.toBe('{"x":"1"}');
  });

  it("sends script arguments as @upstash/redis itself does (numbers, booleans, null, objects)", async () => {
    const redis = client();
    const script = "return {ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]}";
    const args = [7, 2.5, true, null, { a: 1 }];
    const batch = new RequestBatch(redis);
    const batched = await batch.eval(script, [`${prefix}k`], args);
    expect(batched).toEqual(await redis.eval(script, [`${prefix}k`], args));
    expect(batched).toEqual(["7", "2.5", "true", "null", '{"a":1}']);
  });

  it("rejects every command when the transport fails", async () => {
    const wrongToken = createRedisClient({ url: stack.url, token: "wrong", timeoutMs: 2_000 });
    const batch = new RequestBatch(wrongToken);
    const results = await Promise.allSettled([batch.get(`${prefix}a`), batch.get(`${prefix}b`)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  });
});
