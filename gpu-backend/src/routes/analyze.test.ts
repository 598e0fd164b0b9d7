/**
 * POST /internal/v1/analyze when inference itself cannot run: the real app, a real inference pool
 * with the shipped model and the demo store. A run that outlives the pool's watchdog is a hung one
 * (the test's watchdog is 300 ms; one 2048² tile on one thread runs for seconds): the analysis is
 * a 503 with Retry-After, like any other passing shortage, not a 500, and says nothing internal.
 */
import { fileURLToPath } from "node:url";
import { signRequest } from "@lanesegnet/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app.js";
import { loadConfig } from "../config.js";
import { createLogger } from "../observability/logger.js";
import { createMetrics, type Metrics } from "../observability/metrics.js";
import { providersFromConfig } from "../providers/from-config.js";
import { Admission } from "../runtime/admission.js";
import { loadModelManifest } from "../runtime/model-manifest.js";
import { InferencePool } from "../runtime/pool.js";

const SECRET = "analyze-route-test-secret-0123456789abcdef";
const MODEL_PATH = fileURLToPath(new URL("../../../models/lanesegnet-lite.onnx", import.meta.url));
const ROUTE = "/internal/v1/analyze";
/** The demo store's area (README): 0.15 m/px puts it on one tile of about 1750 × 1780 px. */
const BBOX = [-121.496, 38.58, -121.493, 38.5824];

let app: ReturnType<typeof createApp>;
let pool: InferencePool;
let metrics: Metrics;
let health: Parameters<typeof createApp>[0]["health"];

beforeAll(async () => {
  const config = loadConfig({ BACKEND_SIGNING_SECRET: SECRET, MODEL_PATH, ENABLED_PROVIDERS: "local" });
  const model = await loadModelManifest(config.model.path, config.model.manifestPath);
  metrics = createMetrics();
  pool = await InferencePool.start({
    modelPath: config.model.path,
    executionProviders: ["cpu"],
    workers: 1,
    threadsPerWorker: 1,
    runTimeoutMs: 300,
  });
  const { providers } = await providersFromConfig(config.providers);
  health = {
    ready: true,
    draining: false,
    executionProvider: pool.provider,
    model: { name: model.manifest.name, version: model.manifest.version },
    liveWorkers: () => pool.live,
  };
  app = createApp({
    analysis: { pool, model, providers, tile: { size: 2048, overlap: 64, batch: 1 } },
    admission: new Admission(1, 0),
    signingSecret: SECRET,
    metrics,
    logger: createLogger("silent"),
    health,
  });
}, 60_000);

afterAll(async () => {
  await pool?.close();
}, 90_000);

async function analyse(): Promise<Response> {
  const body = JSON.stringify({
    request: { area: { type: "bbox", bbox: BBOX }, resolution_m: 0.15 },
    providers: ["local"],
    request_id: "hung-run",
  });
  const headers = await signRequest(SECRET, { method: "POST", path: ROUTE, body });
  return app.request(ROUTE, {
    method: "POST",
    body,
    headers: { ...headers, "content-type": "application/json" },
  });
}

async function errorCount(kind: string): Promise<number> {
  const { values } = await metrics.errors.get();
  return values.find((v) => v.labels.kind === kind)?.value ?? 0;
}

describe("POST /internal/v1/analyze when an inference run hangs", () => {
  it("answers 503 with Retry-After and a plain problem, counts it, and the instance stays ready", async () => {
    const res = await analyse();
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ status: 503 });
    // The watchdog's own words (milliseconds, workers) are for the log, not the caller.
    expect(text).not.toMatch(/worker|300 ms|retired|onnx/i);
    expect(await errorCount("inference_unavailable")).toBe(1);
    expect(await errorCount("internal")).toBe(0);
    expect(pool.hung).toBe(1);
    // A replacement is loading (or loaded): /readyz does not send the instance away for one hang.
    const deadline = Date.now() + 30_000;
    while (pool.live === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect((await app.request("/readyz")).status).toBe(200);
  }, 60_000);
});

describe("POST /internal/v1/analyze while the instance drains", () => {
  it("turns the request away before any work: 503, Retry-After 1, Connection: close", async () => {
    health.draining = true;
    try {
      const before = await errorCount("draining");
      const res = await analyse();
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(res.headers.get("connection")).toBe("close");
      expect(((await res.json()) as { detail: string }).detail).toMatch(/shutting down/);
      expect(await errorCount("draining")).toBe(before + 1);
    } finally {
      health.draining = false;
    }
  });
});
