/**
 * Faults of the inference path, with the edge Worker (workerd) in front of the REAL backend
 * process (gpu-backend/src/main.ts, shipped model, demo imagery store, a loopback XYZ tile server
 * standing in for Esri).
 *
 * Expected behaviour (edge/README.md "Backend protocol", gpu-backend routes/analyze.ts):
 * - An imagery provider that hangs: the backend's per-provider timeout (PROVIDER_TIMEOUT_MS) ends
 *   it and the chain falls back to the next provider (200, `providers_tried` says `timeout`); with
 *   no other provider the answer is 502 `/problems/no-imagery` with Retry-After, and the edge then
 *   skips the provider as `unhealthy` for PROVIDER_COOLDOWN_S.
 * - A backend slower than BACKEND_TIMEOUT_MS: 504 `/problems/backend-timeout`, never retried; the
 *   backend notices that the edge hung up, abandons that analysis (counted as `aborted`) and stays
 *   ready for the next one.
 * - The backend killed with analyses in flight: each of them, and every analysis after, is answered
 *   503 `/problems/backend-unavailable` with Retry-After: 30 (after one retry of the connection);
 *   cached results are still served (200 HIT); `/health` says `backend: "down"`; once the backend
 *   is back the same Worker serves new analyses again.
 * - In every case nothing is lost: one well-formed answer and one audit line per request, and no
 *   backend internals in any body.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis, deleteKeysWithPrefix, startStack, type TestStack } from "../harness/index.js";
import { Ledger, problemType } from "./support/answers.js";
import {
  type BackendProcess,
  demoStoreBbox,
  shippedModel,
  startBackendProcess,
  TileServer,
} from "./support/backend.js";
import { bboxBody, createApiKey, edgeEnv, jwtFor, postInit, SIGNING_SECRET } from "./support/stack.js";
import { startWorker, type Worker } from "./support/worker.js";

const PROVIDER_TIMEOUT_MS = 2_000;

let stack: TestStack;
let tiles: TileServer;
let backend: BackendProcess;
let jwt: string;
const workers: Worker[] = [];
const prefixes: string[] = [];

async function worker(overrides: Record<string, string> = {}): Promise<{ worker: Worker; prefix: string }> {
  const prefix = `t:faults-backend:${process.pid}:${randomBytes(3).toString("hex")}:`;
  prefixes.push(prefix);
  const w = await startWorker(
    edgeEnv(
      { restUrl: stack.url, restToken: stack.token, prefix, backendUrl: backend.url, model: shippedModel() },
      { PROVIDER_CHAIN: "esri,local", ...overrides },
    ),
  );
  workers.push(w);
  return { worker: w, prefix };
}

beforeAll(async () => {
  stack = await startStack();
  tiles = await TileServer.start();
  backend = await startBackendProcess({
    ENABLED_PROVIDERS: "esri,local",
    ESRI_TILE_URL: tiles.template,
    PROVIDER_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS),
    MAX_CONCURRENT_ANALYSES: "4",
  });
  jwt = await jwtFor("faults-backend-user");
}, 90_000);

afterAll(async () => {
  for (const w of workers) await w.dispose();
  tiles?.release();
  await backend?.kill();
  await tiles?.close();
  if (stack) {
    const direct = await connectRedis(stack.redisUrl);
    for (const p of prefixes) await deleteKeysWithPrefix(direct, p);
    await direct.quit();
    await stack.close();
  }
});

const secrets = () => [SIGNING_SECRET, stack.token];

function areaBody(bbox: readonly number[], providers: string[]): string {
  return JSON.stringify({ area: { type: "bbox", bbox }, providers });
}

interface Analysis {
  analysis: { imagery: { provider: string }; providers_tried: { provider: string; outcome: string }[] };
}

describe("an imagery provider that never answers", () => {
  it("times out and falls back to the next provider; alone, it is a 502 no-imagery and then skipped", async () => {
    const { worker: w, prefix } = await worker();
    const ledger = new Ledger(w, secrets());
    tiles.mode = "hang";
    try {
      const started = Date.now();
      const fallback = await ledger.send(
        "esri,local",
        "/v1/analyses",
        postInit(jwt, areaBody(demoStoreBbox(0), ["esri", "local"])),
      );
      expect(fallback.answer?.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(PROVIDER_TIMEOUT_MS + 6_000);
      const body = JSON.parse(fallback.answer!.body) as Analysis;
      expect(body.analysis.imagery.provider).toBe("local");
      expect(body.analysis.providers_tried).toEqual([
        expect.objectContaining({ provider: "esri", outcome: "timeout" }),
        expect.objectContaining({ provider: "local", outcome: "used" }),
      ]);

      const alone = await ledger.send(
        "esri",
        "/v1/analyses",
        postInit(jwt, areaBody(demoStoreBbox(1), ["esri"])),
      );
      expect(alone.answer?.status).toBe(502);
      expect(problemType(alone.answer)).toBe("/problems/no-imagery");
      expect(alone.answer?.headers.get("retry-after")).toMatch(/^\d+$/);

      // The edge records provider health after answering (waitUntil); wait until it has.
      const direct = await connectRedis(stack.redisUrl);
      try {
        const deadline = Date.now() + 5_000;
        while (!(await direct.exists(`${prefix}provider-failures:esri`))) {
          expect(Date.now()).toBeLessThan(deadline);
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        await direct.quit();
      }
      // The edge now knows esri is failing: the next request goes straight to the local store.
      const requests = tiles.requests;
      const skipped = await ledger.send(
        "skip",
        "/v1/analyses",
        postInit(jwt, areaBody(demoStoreBbox(2), ["esri", "local"])),
      );
      expect(skipped.answer?.status).toBe(200);
      expect((JSON.parse(skipped.answer!.body) as Analysis).analysis.providers_tried).toEqual([
        expect.objectContaining({ provider: "esri", outcome: "unhealthy" }),
        expect.objectContaining({ provider: "local", outcome: "used" }),
      ]);
      expect(tiles.requests).toBe(requests);
    } finally {
      tiles.mode = "ok";
    }
    expect(await ledger.violations()).toEqual([]);
    expect(
      await backend.metric('lanesegnet_backend_provider_calls_total{provider="esri",outcome="timeout"}'),
    ).toBe(2);
  });
});

describe("a backend slower than BACKEND_TIMEOUT_MS", () => {
  it("answers 504 without retrying; the backend abandons the analysis and stays ready", async () => {
    const { worker: w } = await worker({ BACKEND_TIMEOUT_MS: "1000" });
    const ledger = new Ledger(w, secrets());
    const aborted = await backend.metric('lanesegnet_backend_errors_total{kind="aborted"}');
    const requests = await backend.metric(
      'lanesegnet_backend_requests_total{route="/internal/v1/analyze",status="499"}',
    );
    tiles.mode = "held";
    try {
      const started = Date.now();
      const slow = await ledger.send(
        "slow",
        "/v1/analyses",
        postInit(jwt, areaBody(demoStoreBbox(3), ["esri"])),
      );
      expect(slow.answer?.status).toBe(504);
      expect(problemType(slow.answer)).toBe("/problems/backend-timeout");
      expect(Date.now() - started).toBeLessThan(PROVIDER_TIMEOUT_MS);
      // The backend sees the edge hang up and stops that analysis (before its provider timeout).
      const deadline = Date.now() + 5_000;
      while ((await backend.metric('lanesegnet_backend_errors_total{kind="aborted"}')) === aborted) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(
        await backend.metric('lanesegnet_backend_requests_total{route="/internal/v1/analyze",status="499"}'),
      ).toBe(requests + 1);
    } finally {
      tiles.release();
    }
    const next = await ledger.send(
      "next",
      "/v1/analyses",
      postInit(jwt, areaBody(demoStoreBbox(4), ["esri"])),
    );
    expect(next.answer?.status).toBe(200);
    expect(await ledger.violations()).toEqual([]);
  });
});

describe("the backend killed with analyses in flight", () => {
  it("answers 503 backend-unavailable to each, serves cached results, and recovers when it returns", async () => {
    const { worker: w, prefix } = await worker();
    const key = await createApiKey(stack, prefix, "killed-backend-user");
    const ledger = new Ledger(w, secrets());
    const cached = await ledger.send(
      "warm",
      "/v1/analyses",
      postInit(key, bboxBody(0, { providers: ["esri"] })),
    );
    expect(cached.answer?.status).toBe(200);

    tiles.mode = "held";
    const before = tiles.requests;
    const inFlight = Promise.all(
      [1, 2, 3].map((k) =>
        ledger.send("in-flight", "/v1/analyses", postInit(key, bboxBody(k, { providers: ["esri"] }))),
      ),
    );
    const deadline = Date.now() + 10_000;
    while (tiles.requests < before + 3) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 20));
    }
    await backend.kill("SIGKILL");
    tiles.release();

    for (const s of await inFlight) {
      expect(s.answer?.status).toBe(503);
      expect(problemType(s.answer)).toBe("/problems/backend-unavailable");
      expect(s.answer?.headers.get("retry-after")).toBe("30");
    }
    const lines = await w.auditWhere((l) => l.cause === "connect", 3);
    expect(lines.length).toBeGreaterThanOrEqual(3);

    const after = await ledger.send(
      "after",
      "/v1/analyses",
      postInit(key, bboxBody(10, { providers: ["esri"] })),
    );
    expect(after.answer?.status).toBe(503);
    const hit = await ledger.send(
      "cached",
      "/v1/analyses",
      postInit(key, bboxBody(0, { providers: ["esri"] })),
    );
    expect(hit.answer?.status).toBe(200);
    expect(hit.answer?.headers.get("x-cache")).toBe("HIT");
    const health = await ledger.send("health", "/health");
    expect(JSON.parse(health.answer!.body)).toMatchObject({ backend: "down", redis: "up" });

    // Back on the same address: the same Worker serves new analyses again.
    backend = await startBackendProcess(
      {
        ENABLED_PROVIDERS: "esri,local",
        ESRI_TILE_URL: tiles.template,
        PROVIDER_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS),
      },
      backend.port,
    );
    const back = await ledger.send(
      "back",
      "/v1/analyses",
      postInit(key, bboxBody(11, { providers: ["esri"] })),
    );
    expect(back.answer?.status).toBe(200);
    expect(await ledger.violations()).toEqual([]);
  }, 90_000);
});
