/**
 * GET /health — liveness (200 while the Worker runs configured; a misconfigured Worker answers 500 before any route, index.ts) plus the state of Redis, the backend
 * and the coverage index. Checks are memoised for a few seconds per isolate, and while one check
 * runs the others answer from the last one (or wait for it), so a busy health checker (or a flood
 * of them: the route is public) cannot turn into load on Redis or the backend.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { EdgeDeps } from "../deps.js";
import type { AppEnv } from "../env.js";

const MEMO_MS = 2_000;
/** A check still "running" after this is taken to be lost with its request (workerd may drop it). */
const CHECK_GIVE_UP_MS = 10_000;
/** While a check runs, the last one answers if it is at most this old; else the request waits for it. */
const STALE_MAX_MS = 30_000;
/** Waiting for a running check is polled this often (ms). */
const WAIT_POLL_MS = 50;

export const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]).describe("ok: Redis and the backend both answer."),
    redis: z.enum(["up", "down"]),
    backend: z.enum(["up", "down"]),
    coverage_index: z.enum(["ready", "not_configured", "unavailable", "loading"]),
    model: z.object({
      name: z.string(),
      version: z.string(),
      analysed_resolution_m: z
        .object({ min: z.number().positive(), max: z.number().positive() })
        .describe(
          "The ground resolutions (m/px) the model analyses: a request's resolution_m is kept inside them, and an area's limits apply at the one analysed.",
        ),
    }),
    redis_down_policy: z.enum(["fail-closed", "fail-open"]),
  })
  .meta({ id: "Health" });
type Health = z.infer<typeof HealthSchema>;

export function registerHealthRoute(app: OpenAPIHono<AppEnv>, deps: EdgeDeps): void {
  // The settled value, never a shared promise: in workerd a promise settled by another request's
  // I/O may hang or warn ("resolved from a different request context").
  let memo: { at: number; value: Health } | undefined;
  let checking: { readonly since: number } | undefined;

  const check = async (): Promise<Health> => {
    const [redis, backend, coverage] = await Promise.all([
      deps.redis.ping().then(
        () => "up" as const,
        () => "down" as const,
      ),
      deps.backend.health().then((r) => r.state),
      deps.coverage.get(),
    ]);
    return {
      status: redis === "up" && backend === "up" ? "ok" : "degraded",
      redis,
      backend,
      coverage_index: coverage.state,
      model: {
        ...deps.config.model,
        analysed_resolution_m: { min: deps.config.modelMinGsdM, max: deps.config.modelMaxGsdM },
      },
      redis_down_policy: deps.config.redisDownPolicy,
    };
  };

  const route = createRoute({
    method: "get",
    path: "/health",
    tags: ["operations"],
    summary: "Liveness and the state of dependencies",
    responses: {
      200: {
        description: "The Worker runs; see the fields for its dependencies.",
        content: { "application/json": { schema: HealthSchema } },
      },
    },
  });

  app.openapi(route, async (c) => {
    const now = Date.now();
    let health = memo && now - memo.at <= MEMO_MS ? memo.value : undefined;
    const running = checking !== undefined && now - checking.since < CHECK_GIVE_UP_MS;
    if (!health && running && memo && now - memo.at <= STALE_MAX_MS) health = memo.value;
    if (!health && running) {
      // No recent check to answer from (a fresh isolate, or a quiet minute): wait for the running
      // one's result, polled (a promise of another request's I/O cannot be awaited in workerd),
      // for as long as it runs: a cold coverage index or a hung Redis can take it past 2 s.
      const awaited = checking!;
      while (!health && checking === awaited && Date.now() - awaited.since < CHECK_GIVE_UP_MS) {
        await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
        if (memo && memo.at >= awaited.since) health = memo.value;
      }
    }
    if (!health) {
      const mine = { since: now };
      checking = mine;
      try {
        health = await check();
      } finally {
        // An older check that ends late must not clear a newer one's mark.
        if (checking === mine) checking = undefined;
      }
      memo = { at: Date.now(), value: health };
    }
    c.header("cache-control", "no-store");
    return c.json(health, 200);
  });
}
