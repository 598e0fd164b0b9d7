/**
 * The floor of the cached path, for benchmarks only (never deployed): a Hono app in workerd that
 * answers with a body of the same size as a cached result, with nothing else (`/bare`), plus one
 * cost at a time of what the real hit path does, to see where a hit's time goes:
 *   /bare/log     + one audit-sized console.info line (workerd writes it to its stdout pipe)
 *   /bare/redis   + one Redis GET through @upstash/redis (the edge's client settings) and the bridge
 *   /bare/fetch   + one plain fetch of the bridge's /health (no Redis client code)
 * The body is the real cached value, read from Redis once per isolate (key BARE_KEY), so bytes and
 * size match the hit that is compared with it.
 */
import { Hono } from "hono";
import { createRedisClient } from "../../edge/src/redis/client.js";

type Env = { UPSTASH_REDIS_REST_URL: string; UPSTASH_REDIS_REST_TOKEN: string; BARE_KEY: string };

let body: string | undefined;
const app = new Hono<{ Bindings: Env }>();
const redisOf = (env: Env) =>
  createRedisClient({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    timeoutMs: 2_000,
  });
let redis: ReturnType<typeof createRedisClient> | undefined;

app.use(async (c, next) => {
  redis ??= redisOf(c.env);
  if (body === undefined) {
    const stored = await redis.get<string>(c.env.BARE_KEY);
    // The stored entry is "E1 j <etag> <provider>\n<json>": serve the JSON part.
    body = stored ? stored.slice(stored.indexOf("\n") + 1) : "{}";
  }
  await next();
});

const respond = () =>
  new Response(body as string, { status: 200, headers: { "content-type": "application/geo+json" } });

app.get("/bare", () => respond());
app.get("/bare/log", (c) => {
  console.info(
    JSON.stringify({
      ts: new Date().toISOString(),
      level: "info",
      msg: "request",
      request_id: c.req.header("x-request-id") ?? "",
      method: "POST",
      route: "/v1/analyses",
      status: 200,
      latency_ms: 1,
      user: "load-user",
      auth: "api_key",
      key_id: "0123456789ab",
      area_hash: "0123456789abcdef",
      analysis_id: "0".repeat(64),
      cache: "HIT",
      provider: "local",
      ratelimit_remaining: 999,
      ratelimit_source: "redis",
    }),
  );
  return respond();
});
app.get("/bare/redis", async (c) => {
  await (redis as NonNullable<typeof redis>).get<string>(`${c.env.BARE_KEY}:absent`);
  return respond();
});
app.get("/bare/fetch", async (c) => {
  const res = await fetch(`${c.env.UPSTASH_REDIS_REST_URL}/health`);
  await res.arrayBuffer();
  return respond();
});

export default app;
