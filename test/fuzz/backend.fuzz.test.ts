/**
 * Fuzzing the backend's HTTP app in-process (Hono `app.request`, no sockets): the real app with the
 * shipped model's card, a real inference pool, the demo store as its local provider, and the real
 * signature check.
 *
 * - Signed garbage: random, near-valid and broken bodies, correctly signed, to
 *   POST /internal/v1/analyze: never a 5xx, never 401 (the signature is right), a problem+json for
 *   every error.
 * - Unsigned garbage: random methods, paths, signature headers and bodies: never a 5xx, and the
 *   analysis route never gets past the signature check (401 or 413 only).
 * - In every body: no stack trace, model path, `.onnx` or signing secret.
 *
 * 5,000 cases per run by default (FUZZ_RUNS=n for more); FUZZ_SEED=<seed> reproduces a failure.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { signRequest } from "@lanesegnet/shared";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../gpu-backend/src/app.js";
import { loadConfig } from "../../gpu-backend/src/config.js";
import { createLogger } from "../../gpu-backend/src/observability/logger.js";
import { createMetrics } from "../../gpu-backend/src/observability/metrics.js";
import { providersFromConfig } from "../../gpu-backend/src/providers/from-config.js";
import { Admission } from "../../gpu-backend/src/runtime/admission.js";
import { loadModelManifest } from "../../gpu-backend/src/runtime/model-manifest.js";
import { InferencePool } from "../../gpu-backend/src/runtime/pool.js";
import { answerFaults } from "../faults/support/answers.js";
import { analysisRequest, body, fuzzRuns, printable, validRequest } from "./arbitraries.js";

const TOTAL = fuzzRuns(5_000);
const BATCH = 25;
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const SECRET = randomBytes(24).toString("hex");
const MODEL_PATH = fileURLToPath(new URL("../../models/lanesegnet-lite.onnx", import.meta.url));
const ROUTE = "/internal/v1/analyze";

let app: ReturnType<typeof createApp>;
let pool: InferencePool;

beforeAll(async () => {
  const config = loadConfig({
    BACKEND_SIGNING_SECRET: SECRET,
    MODEL_PATH,
    ENABLED_PROVIDERS: "local",
    INFERENCE_THREADS: "1",
  });
  const model = await loadModelManifest(config.model.path, config.model.manifestPath);
  pool = await InferencePool.start({
    modelPath: config.model.path,
    executionProviders: ["cpu"],
    workers: 1,
    threadsPerWorker: 1,
  });
  const { providers } = await providersFromConfig(config.providers);
  app = createApp({
    analysis: {
      pool,
      model,
      providers,
      tile: { size: config.inference.tileSize, overlap: config.inference.tileOverlap, batch: 1 },
    },
    admission: new Admission(4, 64),
    signingSecret: SECRET,
    metrics: createMetrics(),
    logger: createLogger("silent"),
    health: {
      ready: true,
      draining: false,
      executionProvider: pool.provider,
      model: { name: model.manifest.name, version: model.manifest.version },
    },
  });
});

afterAll(async () => {
  await pool?.close();
});

interface Case {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Uint8Array<ArrayBuffer>;
}

async function send(c: Case): Promise<{ status: number; faults: string[] }> {
  let res: Response;
  try {
    res = await app.request(c.path, {
      method: c.method,
      headers: c.headers,
      ...(c.body !== undefined ? { body: c.body } : {}),
    });
  } catch (error) {
    return { status: 0, faults: [`threw: ${String(error)}`] };
  }
  const text = await res.text();
  // A HEAD answer has no body to judge; /metrics is for operators (it names onnxruntime).
  const operator = c.path.split("?")[0] === "/metrics";
  const faults =
    c.method === "HEAD"
      ? []
      : answerFaults({ status: res.status, headers: res.headers, body: text }, [SECRET], { operator });
  if (res.status >= 500) faults.push(`status ${res.status}: ${text.slice(0, 200)}`);
  return { status: res.status, faults };
}

async function fuzz(
  arb: fc.Arbitrary<Case>,
  cases: number,
  allowed: (c: Case, status: number) => boolean,
  prepare: (c: Case) => Promise<Case> = async (c) => c,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(arb, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
      const results = await Promise.all(batch.map(async (c) => send(await prepare(c))));
      const failed = results.flatMap(({ status, faults }, i) => {
        const c = batch[i]!;
        const all = allowed(c, status) ? faults : [...faults, `status ${status} not allowed`];
        return all.map((f) => `${c.method} ${c.path.slice(0, 80)}: ${f}`);
      });
      expect(failed).toEqual([]);
    }),
    { numRuns: Math.ceil(cases / BATCH), ...(seed !== undefined ? { seed } : {}), endOnFailure: true },
  );
}

/** Bodies shaped like the edge's call, mostly wrong somewhere, or any body at all. */
const internalBody: fc.Arbitrary<string | Uint8Array<ArrayBuffer>> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record(
        {
          request: fc.oneof(validRequest, analysisRequest, fc.jsonValue({ maxDepth: 2 })),
          providers: fc.oneof(
            fc.uniqueArray(fc.constantFrom("local", "esri", "mapbox", "gee"), { minLength: 1, maxLength: 4 }),
            fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 6 }),
          ),
          request_id: fc.oneof(
            fc.string({ minLength: 1, maxLength: 40 }),
            fc.string({ maxLength: 200 }),
            fc.jsonValue({ maxDepth: 1 }),
          ),
          analysis_id: fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.jsonValue({ maxDepth: 1 })),
          extra: fc.jsonValue({ maxDepth: 1 }),
        },
        { requiredKeys: [] },
      )
      .map((o) => JSON.stringify(o)),
  },
  { weight: 2, arbitrary: body },
  {
    weight: 1,
    arbitrary: validRequest.map((request) =>
      JSON.stringify({ request, providers: ["local"], request_id: "r" }),
    ),
  },
);

const query = fc.option(
  fc
    .dictionary(printable(6), printable(6), { minKeys: 1, maxKeys: 2 })
    .map((d) => `?${new URLSearchParams(d)}`),
  { freq: 8 },
);

/** Signed at send time (signatures expire, and fast-check may replay a case while shrinking). */
const signedCase: fc.Arbitrary<Case> = fc
  .tuple(internalBody, query, fc.constantFrom("application/json", "text/plain", ""))
  .map(([b, q, type]) => ({
    method: "POST",
    path: `${ROUTE}${q ?? ""}`,
    headers: type ? { "content-type": type } : {},
    body: b,
  }));

async function signed(c: Case): Promise<Case> {
  const headers = await signRequest(SECRET, { method: c.method, path: c.path, body: c.body ?? "" });
  return { ...c, headers: { ...c.headers, ...headers } };
}

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const signatureHeaders = fc.record(
  {
    "X-LSN-Timestamp": fc.oneof(
      fc.constant(String(Math.floor(Date.now() / 1000))),
      fc.nat().map(String),
      printable(14),
    ),
    "X-LSN-Nonce": fc.oneof(hex(32), printable(40)),
    "X-LSN-Signature": fc.oneof(hex(64), printable(70)),
  },
  { requiredKeys: [] },
);

const unsignedCase: fc.Arbitrary<Case> = fc
  .tuple(
    fc.oneof(
      { weight: 6, arbitrary: fc.constant("POST") },
      fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"),
    ),
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(ROUTE) },
      fc.constantFrom(
        "/healthz",
        "/readyz",
        "/metrics",
        "/internal/v1/analyze/",
        "/internal/v1/ANALYZE",
        "//internal/v1/analyze",
      ),
      fc.webPath().map((p) => (p.startsWith("/") ? p : `/${p}`)),
    ),
    query,
    signatureHeaders,
    internalBody,
  )
  .map(([method, path, q, sig, b]) => ({
    method,
    path: `${path}${q ?? ""}`,
    headers: { ...sig, "content-type": "application/json" },
    ...(method === "GET" || method === "HEAD" ? {} : { body: b }),
  }));

describe(`backend fuzzing (${TOTAL} cases, in-process)`, () => {
  it("signed garbage to POST /internal/v1/analyze: 4xx problem+json (or an analysis), never 5xx or 401", async () => {
    const statuses = new Map<number, number>();
    await fuzz(
      signedCase,
      Math.round(TOTAL * 0.6),
      (_c, status) => {
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        return status !== 401 && status < 500;
      },
      signed,
    );
    // Both ends of the route were reached: refused bodies, and bodies that passed validation.
    expect(statuses.get(400)).toBeGreaterThan(0);
    expect(statuses.get(422)).toBeGreaterThan(0);
  }, 600_000);

  it("unsigned garbage anywhere: never past the signature check, never 5xx", async () => {
    await fuzz(unsignedCase, Math.round(TOTAL * 0.4), (c, status) => {
      const analyze = c.method === "POST" && c.path.split("?")[0] === ROUTE;
      return analyze ? status === 401 || status === 413 : status < 500;
    });
  }, 600_000);
});
