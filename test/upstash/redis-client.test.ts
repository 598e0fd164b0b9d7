/**
 * The real @upstash/redis client against the bridge over real Redis, in the configurations the
 * project uses: defaults (auto-pipelining, base64 responses, JSON deserialisation), raw strings
 * (automaticDeserialization: false) and raw strings without base64 (responseEncoding: false).
 */
import { randomBytes } from "node:crypto";
import { Redis } from "@upstash/redis";
import { beforeAll, describe, expect, it } from "vitest";
import { useStack } from "../harness/vitest-stack.js";

const ctx = useStack("upstash-redis-client");

const configs = {
  defaults: {},
  "automaticDeserialization: false": { automaticDeserialization: false },
  "automaticDeserialization: false, responseEncoding: false": {
    automaticDeserialization: false,
    responseEncoding: false,
  },
  "enableAutoPipelining: false": { enableAutoPipelining: false },
} as const;

type ConfigName = keyof typeof configs;

describe.each(Object.keys(configs) as ConfigName[])("@upstash/redis with %s", (configName) => {
  const options = configs[configName];
  const deserializes = !("automaticDeserialization" in options);
  let redis: Redis;
  let n = 0;
  /** A fresh key for this config and test. */
  const key = (name: string) => `${ctx.prefix}${configName.replace(/\W+/g, "_")}:${name}:${n++}`;

  beforeAll(() => {
    redis = new Redis({ url: ctx.stack.url, token: ctx.stack.token, ...options });
  });

  it("sets and gets strings, and null for a missing key", async () => {
    const k = key("str");
    expect(await redis.set(k, "hello world")).toBe("OK");
    expect(await redis.get(k)).toBe("hello world");
    expect(await redis.get(key("missing"))).toBeNull();
    expect(await ctx.direct.get(k)).toBe("hello world");
  });

  it("round-trips JSON values", async () => {
    const k = key("json");
    const value = { name: "lane", ids: [1, 2, 3], nested: { ok: true, text: "é ✓" } };
    await redis.set(k, value);
    const got = await redis.get(k);
    if (deserializes) expect(got).toEqual(value);
    else expect(got).toBe(JSON.stringify(value));
    expect(JSON.parse((await ctx.direct.get(k)) ?? "null")).toEqual(value);
  });

  it("keeps unicode text exact, including astral characters", async () => {
    const k = key("unicode");
    // Not valid JSON, so the deserialising client returns it unchanged too.
    const text = 'héllo wörld — 中文 ✓ 🚀 \u0000 \u{10FFFF} "quoted" \\ back';
    await redis.set(k, text);
    expect(await redis.get(k)).toBe(text);
    expect(await ctx.direct.get(k)).toBe(text);
  });

  it("stores and reads back a 1 MB value", async () => {
    const k = key("large");
    const big = `x${randomBytes(512 * 1024).toString("hex")}`.slice(0, 1024 * 1024);
    await redis.set(k, big);
    const got = await redis.get<string>(k);
    expect(got?.length).toBe(big.length);
    expect(got === big).toBe(true);
  });

  it("works with hashes", async () => {
    const k = key("hash");
    expect(await redis.hset(k, { f1: "v1", f2: "v2" })).toBe(2);
    expect(await redis.hget(k, "f1")).toBe("v1");
    const all = await redis.hgetall(k);
    // Without deserialisation the client hands back Redis's flat field/value list, as on Upstash.
    expect(all).toEqual(deserializes ? { f1: "v1", f2: "v2" } : ["f1", "v1", "f2", "v2"]);
    expect(await redis.hincrby(k, "count", 3)).toBe(3);
    expect(await ctx.direct.hGetAll(k)).toEqual({ f1: "v1", f2: "v2", count: "3" });
  });

  it("works with sets and sorted sets", async () => {
    const s = key("set");
    expect(await redis.sadd(s, "a", "b", "c")).toBe(3);
    expect([...(await redis.smembers(s))].sort()).toEqual(["a", "b", "c"]);
    expect(await redis.sismember(s, "b")).toBe(1);

    const z = key("zset");
    await redis.zadd(z, { score: 2.5, member: "b" }, { score: 1, member: "a" });
    expect(await redis.zrange(z, 0, -1)).toEqual(["a", "b"]);
    expect(Number(await redis.zscore(z, "b"))).toBe(2.5);
    expect(await redis.zcard(z)).toBe(2);
  });

  it("increments and expires", async () => {
    const k = key("counter");
    expect(await redis.incr(k)).toBe(1);
    expect(await redis.incrby(k, 41)).toBe(42);
    expect(await redis.expire(k, 100)).toBe(1);
    const ttl = await redis.ttl(k);
    expect(ttl).toBeGreaterThan(95);
    expect(ttl).toBeLessThanOrEqual(100);
    expect(await redis.ttl(key("no-such-key"))).toBe(-2);
  });

  it("runs pipelines in order", async () => {
    const k = key("pipe");
    const results = await redis.pipeline().set(k, "1").incr(k).incrby(k, 10).get(k).exec();
    expect(results[0]).toBe("OK");
    expect(results[1]).toBe(2);
    expect(results[2]).toBe(12);
    expect(String(results[3])).toBe("12");
  });

  it("runs multi() transactions, and reports per-command errors without undoing the rest", async () => {
    const k = key("tx");
    const results = await redis.multi().set(k, "5").incr(k).get(k).exec();
    expect(results[0]).toBe("OK");
    expect(results[1]).toBe(6);
    expect(String(results[2])).toBe("6");

    const s = key("tx-str");
    const withError = await redis
      .multi()
      .set(s, "abc")
      .incr(s)
      .set(`${s}:after`, "ran")
      .exec({ keepErrors: true });
    expect(withError[0]?.error).toBeUndefined();
    expect(withError[1]?.error).toMatch(/not an integer/);
    expect(withError[2]?.result).toBe("OK");
    expect(await ctx.direct.get(`${s}:after`)).toBe("ran");

    await expect(redis.multi().set(s, "x").incr(s).exec()).rejects.toThrow(/not an integer/);
  });

  it("answers many concurrent calls correctly (auto-pipelined when enabled)", async () => {
    const ks = Array.from({ length: 50 }, (_, i) => key(`many-${i}`));
    await Promise.all(ks.map((k, i) => redis.set(k, `value-${i}`)));
    const before = ctx.stack.bridge.stats.requests;
    const values = await Promise.all(ks.map((k) => redis.get(k)));
    const requests = ctx.stack.bridge.stats.requests - before;
    expect(values).toEqual(ks.map((_, i) => `value-${i}`));
    if (configName === "enableAutoPipelining: false") expect(requests).toBe(50);
    else expect(requests).toBeLessThan(5);
  });

  it("surfaces Redis errors as errors", async () => {
    const k = key("not-int");
    await redis.set(k, "abc");
    await expect(redis.incr(k)).rejects.toThrow(/ERR value is not an integer or out of range/);
    await expect(redis.hget(k, "field")).rejects.toThrow(/WRONGTYPE/);
  });

  it("fails with a bad token", async () => {
    const wrong = new Redis({ url: ctx.stack.url, token: "not-the-token", ...options });
    await expect(wrong.get(key("any"))).rejects.toThrow(/Unauthorized/);
  });
});

describe("binary values through @upstash/redis", () => {
  // Upstash's client decodes base64 with TextDecoder, so it can only ever return text; bytes that
  // are not UTF-8 come back as U+FFFD, exactly as from Upstash. The bridge itself is byte-exact
  // (see protocol.test.ts); here we check that both encodings agree with that UTF-8 reading.
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const asText = new TextDecoder().decode(bytes);

  it.each([
    ["base64", {}],
    ["no base64", { responseEncoding: false as const }],
  ])("reads a value holding all 256 byte values (%s)", async (_name, options) => {
    const k = `${ctx.prefix}bytes:${_name}`;
    await ctx.direct.set(k, bytes);
    const redis = new Redis({
      url: ctx.stack.url,
      token: ctx.stack.token,
      automaticDeserialization: false,
      ...options,
    });
    expect(await redis.get(k)).toBe(asText);
  });
});
