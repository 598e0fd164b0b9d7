/**
 * GET /health's memo with the clock in hand (fake timers): the route is the real one, its
 * dependencies stand-ins whose Redis ping answers when told. routes.test.ts floods the route in
 * workerd; this pins the ages it answers from.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import type { EdgeDeps } from "../deps.js";
import type { AppEnv } from "../env.js";
import { registerHealthRoute } from "./health.js";

/** A health route whose Redis is up until `hang()`: then each ping waits until `fail()`. */
function healthApp() {
  let hanging = false;
  const waiting: (() => void)[] = [];
  const deps = {
    redis: {
      ping: () =>
        hanging
          ? new Promise<void>((_, reject) => waiting.push(() => reject(new Error("down"))))
          : Promise.resolve(),
    },
    backend: { health: async () => ({ state: "up" }) },
    coverage: { get: async () => ({ state: "ready" }) },
    config: {
      model: { name: "m", version: "1" },
      modelMinGsdM: 0.08,
      modelMaxGsdM: 0.35,
      redisDownPolicy: "fail-closed",
    },
  } as unknown as EdgeDeps; // only what the route reads
  const app = new OpenAPIHono<AppEnv>();
  registerHealthRoute(app, deps);
  let settled = 0;
  const redisOf = (res: Promise<Response>) =>
    res.then(async (r) => {
      settled++;
      return ((await r.json()) as { redis: string }).redis;
    });
  return {
    get: () => redisOf(Promise.resolve(app.request("/health"))),
    hang: () => {
      hanging = true;
    },
    fail: () => {
      for (const f of waiting.splice(0)) f();
    },
    settled: () => settled,
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

it("while a check runs, answers at once from one at most 30 s old", async () => {
  const h = healthApp();
  expect(await h.get()).toBe("up");
  h.hang();
  await vi.advanceTimersByTimeAsync(20_000);
  const checking = h.get(); // the memo is past its 2 s: this one checks, and waits on Redis
  await vi.advanceTimersByTimeAsync(1);
  const served = h.get();
  await vi.advanceTimersByTimeAsync(1);
  expect(h.settled()).toBe(2); // answered at once, while the check runs...
  expect(await served).toBe("up"); // ...from the 20 s old one
  h.fail();
  expect(await checking).toBe("down");
});

it("while a check runs, waits for it rather than answer from one older than 30 s", async () => {
  const h = healthApp();
  expect(await h.get()).toBe("up");
  h.hang();
  await vi.advanceTimersByTimeAsync(40_000);
  const checking = h.get();
  await vi.advanceTimersByTimeAsync(1);
  const waiting = h.get();
  await vi.advanceTimersByTimeAsync(500);
  expect(h.settled()).toBe(1); // only the first answer so far: both wait on the check
  h.fail();
  await vi.advanceTimersByTimeAsync(100);
  expect([await checking, await waiting]).toEqual(["down", "down"]);
});
