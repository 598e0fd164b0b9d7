/**
 * The Upstash REST protocol on the wire, with plain fetch: encodings, status codes, limits, Lua
 * shebang handling and the endpoints' semantics.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha1Hex } from "../../scripts/upstash-bridge/lua-scripts.js";
import { redisServerBinary, spawnRedisServer } from "../../scripts/upstash-bridge/redis-source.js";
import { type Bridge, startBridge } from "../../scripts/upstash-bridge/server.js";
import { useStack } from "../harness/vitest-stack.js";

/** Only the absence of a redis-server may skip the test that needs its own (.ci/run installs it). */
const hasRedisServer = (await redisServerBinary()) !== null;

const ctx = useStack("upstash-protocol");

interface Call {
  path?: string;
  base64?: boolean;
  token?: string;
  body: unknown;
}

async function call({
  path = "/",
  base64 = false,
  token,
  body,
}: Call): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${token ?? ctx.stack.token}`,
    "content-type": "application/json",
  };
  if (base64) headers["upstash-encoding"] = "base64";
  const response = await fetch(`${ctx.stack.url}${path}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

const b64 = (text: string | Buffer) => Buffer.from(text).toString("base64");
const SHEBANG = "#!lua flags=allow-key-locking\n";

describe("encodings", () => {
  const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

  it("returns the exact bytes of a binary value base64-encoded", async () => {
    const k = `${ctx.prefix}bin`;
    await ctx.direct.set(k, allBytes);
    const { status, json } = await call({ base64: true, body: ["GET", k] });
    expect(status).toBe(200);
    const result = (json as { result: string }).result;
    expect(Buffer.from(result, "base64").equals(allBytes)).toBe(true);
  });

  it("returns strings as UTF-8 text without the header", async () => {
    const k = `${ctx.prefix}bin`;
    await ctx.direct.set(k, allBytes);
    expect((await call({ body: ["GET", k] })).json).toEqual({ result: allBytes.toString("utf8") });
    await ctx.direct.set(k, "héllo 🚀");
    expect((await call({ body: ["GET", k] })).json).toEqual({ result: "héllo 🚀" });
  });

  it("encodes every string, nested ones too, but not a top-level OK, numbers or null", async () => {
    const k = `${ctx.prefix}enc`;
    expect((await call({ base64: true, body: ["SET", k, "v"] })).json).toEqual({ result: "OK" });
    expect((await call({ base64: true, body: ["TYPE", k] })).json).toEqual({ result: b64("string") });
    expect((await call({ base64: true, body: ["STRLEN", k] })).json).toEqual({ result: 1 });
    expect((await call({ base64: true, body: ["MGET", k, `${k}:none`] })).json).toEqual({
      result: [b64("v"), null],
    });
    const script = "return {redis.status_reply('OK'), 7, 'x', {'y', false}}";
    expect((await call({ base64: true, body: ["EVAL", script, 0] })).json).toEqual({
      result: [b64("OK"), 7, b64("x"), [b64("y"), null]],
    });
  });

  it("turns numbers and booleans in the command into strings", async () => {
    const k = `${ctx.prefix}num`;
    expect((await call({ body: ["SET", k, 12.5] })).json).toEqual({ result: "OK" });
    expect((await call({ body: ["SET", `${k}:b`, true] })).json).toEqual({ result: "OK" });
    expect(await ctx.direct.mGet([k, `${k}:b`])).toEqual(["12.5", "true"]);
  });
});

describe("status codes", () => {
  it("answers 401 for a wrong or missing token, and accepts ?_token=", async () => {
    expect((await call({ token: "wrong", body: ["PING"] })).status).toBe(401);
    const missing = await fetch(`${ctx.stack.url}/`, { method: "POST", body: '["PING"]' });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: "Unauthorized" });
    const query = await fetch(`${ctx.stack.url}/?_token=${encodeURIComponent(ctx.stack.token)}`, {
      method: "POST",
      body: '["PING"]',
    });
    expect(await query.json()).toEqual({ result: "PONG" });
  });

  it("answers 400 {error} for Redis errors and malformed bodies", async () => {
    const k = `${ctx.prefix}str`;
    await ctx.direct.set(k, "abc");
    expect(await call({ body: ["INCR", k] })).toEqual({
      status: 400,
      json: { error: "ERR value is not an integer or out of range" },
    });
    expect((await call({ body: "not json" })).status).toBe(400);
    expect((await call({ body: [] })).status).toBe(400);
    expect((await call({ body: ["SET", k, { nested: 1 }] })).status).toBe(400);
    expect((await call({ path: "/pipeline", body: [["PING"], "PING"] })).status).toBe(400);
  });

  it("refuses commands that would leak connection state between clients", async () => {
    for (const command of [["MULTI"], ["SELECT", "1"], ["WATCH", "k"], ["SUBSCRIBE", "c"]]) {
      const { status, json } = await call({ body: command });
      expect(status).toBe(400);
      expect((json as { error: string }).error).toMatch(/not available/);
    }
  });

  it("serves liveness on GET / and /health, 404 on unknown paths, 405 on other methods", async () => {
    expect((await fetch(`${ctx.stack.url}/health`)).status).toBe(200);
    expect(await (await fetch(`${ctx.stack.url}/`)).json()).toEqual({ result: "PONG" });
    expect((await call({ path: "/nope", body: ["PING"] })).status).toBe(404);
    expect((await fetch(`${ctx.stack.url}/`, { method: "DELETE" })).status).toBe(405);
  });

  it("serves its counters on GET /stats, with the token only", async () => {
    expect((await fetch(`${ctx.stack.url}/stats`)).status).toBe(401);
    await call({ body: ["PING"] });
    const response = await fetch(`${ctx.stack.url}/stats`, {
      headers: { authorization: `Bearer ${ctx.stack.token}` },
    });
    const stats = (await response.json()) as { requests: number; byCommand: Record<string, number> };
    expect(stats.requests).toBeGreaterThan(0);
    expect(stats.byCommand.PING).toBeGreaterThan(0);
  });
});

describe("request size limit", () => {
  let small: Bridge;
  beforeAll(async () => {
    small = await startBridge({ token: "t", redisUrl: ctx.stack.redisUrl, maxBodyBytes: 1024 });
  });
  afterAll(() => small.close());

  const post = (body: BodyInit, extra: RequestInit = {}) =>
    fetch(`${small.url}/`, { method: "POST", headers: { authorization: "Bearer t" }, body, ...extra });

  it("answers 413 for a body over the limit, declared or streamed, and keeps serving", async () => {
    const k = `${ctx.prefix}big`;
    const declared = await post(JSON.stringify(["SET", k, "x".repeat(2000)]));
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ error: "ERR max request size exceeded" });

    const chunk = new TextEncoder().encode(JSON.stringify(["SET", k, "y".repeat(600)]));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(chunk);
        controller.enqueue(chunk);
        controller.close();
      },
    });
    // Streamed with chunked encoding: no Content-Length to check up front.
    const streamed = await post(stream, { duplex: "half" } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await ctx.direct.exists(k)).toBe(0);

    const ok = await post(JSON.stringify(["SET", k, "small"]));
    expect(await ok.json()).toEqual({ result: "OK" });
  });
});

describe("pipeline and multi-exec", () => {
  it("runs a pipeline in order, each command succeeding or failing on its own", async () => {
    const k = `${ctx.prefix}pipe`;
    const { status, json } = await call({
      path: "/pipeline",
      base64: true,
      body: [
        ["SET", k, "1"],
        ["INCR", k],
        ["HGET", k, "f"],
        ["GET", k],
        ["SET", k],
      ],
    });
    expect(status).toBe(200);
    expect(json).toEqual([
      { result: "OK" },
      { result: 2 },
      { error: "WRONGTYPE Operation against a key holding the wrong kind of value" },
      { result: b64("2") },
      { error: "ERR wrong number of arguments for 'set' command" },
    ]);
  });

  it("runs multi-exec atomically; runtime errors come back per command", async () => {
    const k = `${ctx.prefix}tx`;
    const { status, json } = await call({
      path: "/multi-exec",
      body: [
        ["SET", k, "a"],
        ["INCR", k],
        ["APPEND", k, "b"],
        ["GET", k],
      ],
    });
    expect(status).toBe(200);
    expect(json).toEqual([
      { result: "OK" },
      { error: "ERR value is not an integer or out of range" },
      { result: 2 },
      { result: "ab" },
    ]);
  });

  it("aborts the whole transaction when Redis refuses a command while queueing", async () => {
    const k = `${ctx.prefix}tx-abort`;
    const { status, json } = await call({
      path: "/multi-exec",
      body: [
        ["SET", k, "a"],
        ["SET", k],
      ],
    });
    expect(status).toBe(400);
    expect((json as { error: string }).error).toMatch(/wrong number of arguments/);
    expect(await ctx.direct.exists(k)).toBe(0);
  });

  it("is not interleaved with concurrent commands", async () => {
    const k = `${ctx.prefix}tx-iso`;
    await ctx.direct.set(k, "0");
    const incrs = Array.from({ length: 20 }, () => ["INCR", k]);
    const [tx] = await Promise.all([
      call({ path: "/multi-exec", body: [...incrs, ["GET", k]] }),
      ...Array.from({ length: 20 }, () => call({ body: ["INCR", k] })),
    ]);
    const results = (tx.json as { result: unknown }[]).map((item) => item.result);
    const firstOfTx = results[0] as number;
    // Consecutive values: nothing ran between the transaction's commands.
    expect(results.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => firstOfTx + i));
    expect(results[20]).toBe(String(firstOfTx + 19));
  });
});

describe("Lua scripts with a #!lua shebang", () => {
  const body = "return {KEYS[1], ARGV[1]}";
  const script = `${SHEBANG}${body}`;
  const originalSha = sha1Hex(script);

  it("runs EVAL of a shebang script Redis 7.0 would reject", async () => {
    const { status, json } = await call({ body: ["EVAL", script, 1, "k1", "a1"] });
    expect(status).toBe(200);
    expect(json).toEqual({ result: ["k1", "a1"] });
  });

  it("answers SCRIPT LOAD with the client's SHA1 and runs EVALSHA of it", async () => {
    const fresh = `${SHEBANG}return 'loaded-${ctx.prefix}'`;
    const { json } = await call({ body: ["SCRIPT", "LOAD", fresh] });
    expect(json).toEqual({ result: sha1Hex(fresh) });
    expect((await call({ body: ["EVALSHA", sha1Hex(fresh), 0] })).json).toEqual({
      result: `loaded-${ctx.prefix}`,
    });
    expect((await call({ body: ["SCRIPT", "EXISTS", sha1Hex(fresh), "0".repeat(40)] })).json).toEqual({
      result: [1, 0],
    });
  });

  it("maps EVALSHA of the original hash after an EVAL, in pipelines and transactions too", async () => {
    await call({ body: ["EVAL", script, 1, "k", "a"] });
    expect((await call({ body: ["EVALSHA", originalSha, 1, "k2", "a2"] })).json).toEqual({
      result: ["k2", "a2"],
    });
    const batch = [["EVALSHA", originalSha, 1, "k3", "a3"]];
    expect((await call({ path: "/pipeline", body: batch })).json).toEqual([{ result: ["k3", "a3"] }]);
    expect((await call({ path: "/multi-exec", body: batch })).json).toEqual([{ result: ["k3", "a3"] }]);
  });

  it("passes NOSCRIPT through for hashes it does not know", async () => {
    const { status, json } = await call({ body: ["EVALSHA", "f".repeat(40), 0] });
    expect(status).toBe(400);
    expect((json as { error: string }).error).toMatch(/^NOSCRIPT/);
  });
});

describe("when Redis loses its scripts", () => {
  // SCRIPT FLUSH must not touch the shared Redis, so this needs a redis-server of its own.
  it.skipIf(!hasRedisServer)(
    "re-runs a known shebang script by EVAL instead of returning NOSCRIPT",
    async () => {
      const own = await spawnRedisServer(process.env.REDIS_SERVER_BIN ?? "redis-server");
      const bridge = await startBridge({ token: "t", redisUrl: own.url });
      try {
        const run = async (command: unknown[]) => {
          const response = await fetch(`${bridge.url}/`, {
            method: "POST",
            headers: { authorization: "Bearer t" },
            body: JSON.stringify(command),
          });
          return response.json();
        };
        const script = `${SHEBANG}return 'again'`;
        await run(["EVAL", script, 0]);
        await run(["SCRIPT", "FLUSH"]);
        expect(await run(["EVALSHA", sha1Hex(script), 0])).toEqual({ result: "again" });
        expect(bridge.stats.evalFallbacks).toBe(1);
        expect(bridge.stats.noscriptReplies).toBe(0);
      } finally {
        await bridge.close();
        await own.stop();
      }
    },
  );
});

describe("blocking commands", () => {
  it("run on their own connection and do not stall other requests", async () => {
    const list = `${ctx.prefix}list`;
    const started = Date.now();
    const blocked = call({ body: ["BLPOP", list, "2"] });
    await new Promise((r) => setTimeout(r, 50));
    const quick = await call({ body: ["PING"] });
    expect(quick.json).toEqual({ result: "PONG" });
    expect(Date.now() - started).toBeLessThan(1_000);
    await call({ body: ["RPUSH", list, "item"] });
    expect((await blocked).json).toEqual({ result: [list, "item"] });
  });
});

describe("startBridge failures", () => {
  it("rejects at once, saying which Redis, when Redis does not answer", async () => {
    const started = Date.now();
    await expect(startBridge({ token: "t", redisUrl: "redis://127.0.0.1:1" })).rejects.toThrow(
      /cannot connect to Redis at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/,
    );
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("rejects when the port is taken", async () => {
    const port = Number(new URL(ctx.stack.url).port);
    await expect(startBridge({ token: "t", redisUrl: ctx.stack.redisUrl, port })).rejects.toThrow(
      /EADDRINUSE/,
    );
  });
});
