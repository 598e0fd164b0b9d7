/**
 * The real backend (startBackend: the shipped model, the worker pool, the Hono app, a real HTTP
 * server) against a loopback XYZ tile server: request signing, validation, health/readiness,
 * metrics, load shedding and graceful shutdown. Model quality is not asserted here (the shipped
 * model may be an interim one); only the shape of the answers.
 *
 * The tile server can hold its answers behind a gate, which keeps one analysis deterministically
 * in flight for the overload and shutdown tests.
 */
import { randomBytes } from "node:crypto";
import { Agent, request as httpRequest } from "node:http";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import {
  AnalysisResponseSchema,
  type ImageryProviderName,
  MARKING_CLASS_NAMES,
  type ProblemSchema,
  RESPONSE_SIGNATURE_HEADER,
  signRequest,
  verifyResponse,
} from "@lanesegnet/shared";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { DEFAULT_MIN_CONFIDENCE } from "./analysis/internal-request.js";
import { loadConfig } from "./config.js";
import { createLogger } from "./observability/logger.js";
import { createEsriProvider } from "./providers/esri.js";
import { createMapboxProvider } from "./providers/mapbox.js";
import { type Loopback, startLoopback } from "./providers/test-support.js";
import type { ImageryProvider } from "./providers/types.js";
import { type RunningBackend, startBackend } from "./server.js";

const SECRET = randomBytes(24).toString("hex");
const MODEL_PATH = fileURLToPath(new URL("../../models/lanesegnet-lite.onnx", import.meta.url));
const ROUTE = "/internal/v1/analyze";
/** About 45 m x 45 m in Sacramento: a few zoom-19 tiles, a 180 x 180 px raster at 0.25 m. */
const BBOX = [-121.4946, 38.5814, -121.4941, 38.5818] as const;

type Problem = z.infer<typeof ProblemSchema>;

/** A one-shot latch: tiles are answered once it is open. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

let tiles: Loopback;
let tileGate = gate();
let backend: RunningBackend;

/** A grey 256-px JPEG tile with one white stripe, served for every z/x/y. */
async function tileJpeg(): Promise<Buffer> {
  const rgb = Buffer.alloc(256 * 256 * 3, 95);
  for (let y = 0; y < 256; y++)
    for (let x = 120; x < 124; x++) rgb.fill(235, (y * 256 + x) * 3, (y * 256 + x + 1) * 3);
  return sharp(rgb, { raw: { width: 256, height: 256, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

beforeAll(async () => {
  const jpeg = await tileJpeg();
  tileGate.open();
  tiles = await startLoopback(async (_req, res) => {
    await tileGate.opened;
    res.writeHead(200, { "content-type": "image/jpeg" });
    res.end(jpeg);
  });
  const config = loadConfig({
    BACKEND_SIGNING_SECRET: SECRET,
    MODEL_PATH,
    BACKEND_PORT: "0",
    EXECUTION_PROVIDERS: "cpu",
    INFERENCE_WORKERS: "2",
    INFERENCE_THREADS: "1",
    MAX_CONCURRENT_ANALYSES: "1",
    MAX_QUEUED_ANALYSES: "0",
    SHUTDOWN_GRACE_MS: "10000",
    ENABLED_PROVIDERS: "esri",
  });
  const providers = new Map([
    ["esri" as const, createEsriProvider({ urlTemplate: `${tiles.url}/{z}/{y}/{x}`, timeoutMs: 10_000 })],
  ]);
  backend = await startBackend(config, { providers, logger: createLogger("silent") });
});

afterAll(async () => {
  tileGate.open();
  await backend?.close();
  await tiles?.close();
});

function analysisBody(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    request: { area: { type: "bbox", bbox: BBOX } },
    providers: ["esri"],
    request_id: `req-${randomBytes(4).toString("hex")}`,
    ...extra,
  });
}

interface SignedInit {
  readonly secret?: string;
  readonly now?: number;
  readonly nonce?: string;
  /** Sign this body but send `body`. */
  readonly signedBody?: string;
}

async function signedHeaders(body: string, init: SignedInit = {}): Promise<Record<string, string>> {
  const headers = await signRequest(
    init.secret ?? SECRET,
    { method: "POST", path: ROUTE, body: init.signedBody ?? body },
    { ...(init.now !== undefined ? { now: init.now } : {}), ...(init.nonce ? { nonce: init.nonce } : {}) },
  );
  return { ...headers, "content-type": "application/json" };
}

async function post(body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${backend.url}${ROUTE}`, { method: "POST", headers, body });
}

async function signedPost(body: string, init: SignedInit = {}): Promise<Response> {
  return post(body, await signedHeaders(body, init));
}

/**
 * A POST on a connection of its own from a client that keeps connections alive (as the edge's
 * fetch does), with the answer's `Connection` header: only the answer can tell such a client that
 * the connection is not reusable.
 */
async function postKeepingAlive(body: string, headers: Record<string, string>) {
  const keepAlive = new Agent({ keepAlive: true });
  try {
    return await new Promise<{ res: Response; connection: string | undefined }>((resolve, reject) => {
      const req = httpRequest(
        `${backend.url}${ROUTE}`,
        { method: "POST", headers, agent: keepAlive },
        (r) => {
          const chunks: Buffer[] = [];
          r.on("data", (c: Buffer) => chunks.push(c));
          r.on("end", () =>
            resolve({
              res: new Response(Buffer.concat(chunks), {
                status: r.statusCode ?? 0,
                headers: { "content-type": String(r.headers["content-type"]) },
              }),
              connection: r.headers.connection,
            }),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  } finally {
    keepAlive.destroy();
  }
}

/** A problem+json answer of this status, without internals; returns the parsed problem. */
async function expectProblem(res: Response, status: number): Promise<Problem & Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const text = await res.text();
  expect(text).not.toMatch(/\bat .+:\d+:\d+|\.onnx|models\//);
  expect(text).not.toContain(SECRET);
  const body = JSON.parse(text) as Problem & Record<string, unknown>;
  expect(body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
  return body;
}

async function metricsText(): Promise<string> {
  const res = await fetch(`${backend.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one sample line (`name{labels} value`) in Prometheus text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Another backend over its own loopback tile server, for the tests that shut one down or tune its
 * admission (the shared one above stays as it is).
 */
async function ownBackend(
  tileHandler: Parameters<typeof startLoopback>[0],
  env: Record<string, string>,
  logger = createLogger("silent"),
  /** The providers over the tile server at `url` (default: Esri there). */
  providersAt = (url: string): Map<ImageryProviderName, ImageryProvider> =>
    new Map([["esri", createEsriProvider({ urlTemplate: `${url}/{z}/{y}/{x}`, timeoutMs: 20_000 })]]),
): Promise<{ backend: RunningBackend; tiles: Loopback; close(): Promise<void> }> {
  const tiles = await startLoopback(tileHandler);
  const config = loadConfig({
    BACKEND_SIGNING_SECRET: SECRET,
    MODEL_PATH,
    BACKEND_PORT: "0",
    EXECUTION_PROVIDERS: "cpu",
    INFERENCE_WORKERS: "1",
    INFERENCE_THREADS: "1",
    ENABLED_PROVIDERS: "esri",
    ...env,
  });
  const backend = await startBackend(config, { providers: providersAt(tiles.url), logger });
  return {
    backend,
    tiles,
    close: async () => {
      await backend.close();
      await tiles.close();
    },
  };
}

describe("health and readiness", () => {
  it("is alive, and ready once the model is loaded and warm, naming the model and execution provider", async () => {
    const live = await fetch(`${backend.url}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "ok" });

    const ready = await fetch(`${backend.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: "ready",
      model: { name: "lanesegnet-lite", version: expect.any(String) },
      execution_provider: "cpu",
      // ENABLED_PROVIDERS is esri alone here.
      imagery_providers: ["esri"],
    });
    // Warm means every worker ran once (this file's first test: nothing else has run yet).
    expect(backend.pool.size).toBe(2);
    expect(backend.pool.completed).toBe(2);
  });
});

describe("request signing", () => {
  it("refuses an unsigned request with 401 problem+json, before reading imagery", async () => {
    const before = tiles.requests.length;
    await expectProblem(await post(analysisBody(), { "content-type": "application/json" }), 401);
    expect(tiles.requests.length).toBe(before);
    // Refused on its headers, its body unread: the connection is not offered for reuse.
    const unread = await postKeepingAlive(analysisBody(), { "content-type": "application/json" });
    await expectProblem(unread.res, 401);
    expect(unread.connection).toBe("close");
  });

  it("refuses a wrong secret, a signature over another body, and malformed signature headers", async () => {
    const body = analysisBody();
    await expectProblem(await signedPost(body, { secret: "x".repeat(40) }), 401);
    await expectProblem(await signedPost(body, { signedBody: analysisBody() }), 401);
    const headers = await signedHeaders(body);
    await expectProblem(await post(body, { ...headers, "X-LSN-Signature": "zz" }), 401);
    await expectProblem(await post(body, { ...headers, "X-LSN-Timestamp": "yesterday" }), 401);
  });

  it("refuses timestamps more than 60 s away, either side, and accepts one within the window", async () => {
    const stale = await signedPost("{}", { now: Date.now() - 61_500 });
    expect((await expectProblem(stale, 401)).detail).toMatch(/signature/);
    await expectProblem(await signedPost("{}", { now: Date.now() + 61_500 }), 401);
    // Within the window the signature passes and the body is judged (400 for `{}`).
    await expectProblem(await signedPost("{}", { now: Date.now() - 50_000 }), 400);
  });

  it("signs every answer to an accepted request, bound to its nonce; an unsigned refusal carries no signature", async () => {
    const nonce = randomBytes(16).toString("hex");
    const ok = await signedPost(analysisBody(), { nonce });
    const okBytes = new Uint8Array(await ok.arrayBuffer());
    expect(ok.status).toBe(200);
    expect(await verifyResponse(SECRET, nonce, 200, ok.headers, okBytes)).toBe(true);
    // Not for another request, another status or another body.
    expect(await verifyResponse(SECRET, randomBytes(16).toString("hex"), 200, ok.headers, okBytes)).toBe(
      false,
    );
    expect(await verifyResponse(SECRET, nonce, 400, ok.headers, okBytes)).toBe(false);
    expect(await verifyResponse(SECRET, nonce, 200, ok.headers, okBytes.subarray(1))).toBe(false);
    // An error answer to an accepted request is signed too.
    const badNonce = randomBytes(16).toString("hex");
    const bad = await signedPost("{}", { nonce: badNonce });
    expect(bad.status).toBe(400);
    expect(await verifyResponse(SECRET, badNonce, 400, bad.headers, await bad.text())).toBe(true);
    const unsigned = await post(analysisBody(), { "content-type": "application/json" });
    expect(unsigned.status).toBe(401);
    expect(unsigned.headers.get(RESPONSE_SIGNATURE_HEADER)).toBeNull();
  });

  it("refuses a replayed nonce, even with a fresh valid signature", async () => {
    const nonce = randomBytes(16).toString("hex");
    await expectProblem(await signedPost("{}", { nonce }), 400);
    const replay = await expectProblem(await signedPost("{}", { nonce }), 401);
    expect(replay.detail).toMatch(/replayed/);
  });
});

describe("validation", () => {
  it("answers 422 area-too-large, before fetching imagery, for a coarse resolution the model raises over the pixel limit", async () => {
    // 1.3 x 1.4 km at 1 m/px is 1.8 M pixels (valid); the model analyses at 0.35 m/px at the
    // coarsest, where the same area is ~15 M pixels, over the 8.4 M limit. Before: a 500.
    const before = tiles.requests.length;
    const res = await signedPost(
      analysisBody({
        request: { area: { type: "bbox", bbox: [-121.5, 38.58, -121.485, 38.5925] }, resolution_m: 1 },
      }),
    );
    const body = await expectProblem(res, 422);
    expect(body.type).toBe("/problems/area-too-large");
    expect(body.detail).toMatch(/smaller area/);
    expect(body.errors).toEqual([{ path: "/area", message: body.detail }]);
    expect(tiles.requests.length).toBe(before);
  });

  it("answers 422 area-too-large, before fetching imagery, for a strip the model's resolution makes too long", async () => {
    // 12 m x 30 km at 2 m/px is 6 x 15,000 px (valid); at the model's 0.35 m/px its long side is
    // ~85,000 px, over the 16,384-px side limit. Before that limit, Esri's tile cover threw (over
    // 1,024 tiles), the chain called it an unexpected provider failure, and the edge then skipped
    // a healthy Esri for everyone.
    const before = tiles.requests.length;
    const res = await signedPost(
      analysisBody({
        request: { area: { type: "bbox", bbox: [-121.5, 38.5, -121.49986, 38.77] }, resolution_m: 2 },
      }),
    );
    const body = await expectProblem(res, 422);
    expect(body.type).toBe("/problems/area-too-large");
    expect(body.detail).toMatch(/no side may be longer than 16,384 px/);
    expect(body.detail).not.toMatch(/coarser resolution_m/);
    expect(tiles.requests.length).toBe(before);
  });

  it("answers 400 problem+json for a body that is not JSON", async () => {
    for (const body of ["", "{", "not json", "\u0000\u0001"]) {
      const p = await expectProblem(await signedPost(body), 400);
      expect(p.detail).toMatch(/JSON/);
    }
  });

  it("answers 400 with the offending field for unknown fields, anywhere", async () => {
    const top = await expectProblem(await signedPost(analysisBody({ debug: true })), 400);
    expect(top.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: "/debug" })]));
    const nested = JSON.stringify({
      request: { area: { type: "bbox", bbox: BBOX }, model_path: "/tmp/x.onnx" },
      providers: ["esri"],
      request_id: "r",
    });
    const p = await expectProblem(await signedPost(nested), 400);
    expect(p.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: "/request/model_path" })]),
    );
  });

  it("answers 400 for a provider named twice: each is tried once, in the edge's order", async () => {
    const p = await expectProblem(
      await signedPost(analysisBody({ providers: ["esri", "local", "esri"] })),
      400,
    );
    expect(p.errors).toEqual([expect.objectContaining({ path: "/providers" })]);
  });

  it.each([
    ["west > east", { type: "bbox", bbox: [BBOX[2], BBOX[1], BBOX[0], BBOX[3]] }],
    ["latitude beyond 90", { type: "bbox", bbox: [10, 89.9999, 10.001, 91] }],
    ["an area over the limit", { type: "bbox", bbox: [10, 10, 11, 11] }],
    ["a degenerate box", { type: "bbox", bbox: [10, 10, 10, 10] }],
    [
      "a self-crossing polygon",
      {
        type: "Polygon",
        coordinates: [
          [
            [0, 0],
            [0.001, 0.001],
            [0.001, 0],
            [0, 0.001],
            [0, 0],
          ],
        ],
      },
    ],
    ["NaN-like strings", { type: "bbox", bbox: ["NaN", 0, 1, 1] }],
  ])("answers 400 for a bad area: %s", async (_name, area) => {
    const body = JSON.stringify({ request: { area }, providers: ["esri"], request_id: "bad-area" });
    const p = await expectProblem(await signedPost(body), 400);
    expect(p.errors?.length).toBeGreaterThan(0);
    expect(p.errors?.every((e) => e.path.startsWith("/request/area"))).toBe(true);
  });

  it("answers 413 for a body over the limit, before checking anything else", async () => {
    const big = JSON.stringify({ pad: "x".repeat(300 * 1024) });
    // The server answers before reading the body and then drops the socket.
    const { res, connection } = await postKeepingAlive(big, await signedHeaders(big));
    await expectProblem(res, 413);
    // So the caller does not send its next request down a connection about to close.
    expect(connection).toBe("close");
  });

  it("answers 415 for a signed body that does not say it is JSON, before running anything", async () => {
    const body = analysisBody();
    const before = tiles.requests.length;
    for (const type of ["text/plain", "application/xml", "application/json; charset=latin1"]) {
      const res = await post(body, { ...(await signedHeaders(body)), "content-type": type });
      const p = await expectProblem(res, 415);
      expect(p.detail, type).toMatch(/JSON/);
    }
    expect(tiles.requests.length).toBe(before);
    // Checked after the signature: a caller without the secret learns nothing but 401.
    const forged = {
      ...(await signedHeaders(body, { secret: "x".repeat(40) })),
      "content-type": "text/plain",
    };
    await expectProblem(await post(body, forged), 401);
  });

  it("answers 404 problem+json for unknown routes, 405 with Allow for a route's wrong method", async () => {
    await expectProblem(await fetch(`${backend.url}/internal/v1/nothing`), 404);
    const get = await fetch(`${backend.url}/internal/v1/analyze`);
    const p = await expectProblem(get, 405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(p.detail).toBe("GET is not served here; this route answers POST.");
    const post = await fetch(`${backend.url}/metrics`, { method: "POST" });
    await expectProblem(post, 405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("analysis and metrics", () => {
  it("runs a signed analysis to a GeoJSON FeatureCollection naming model, provider and attempts", async () => {
    const res = await signedPost(analysisBody({ analysis_id: "an-test-1" }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown> & {
      features: unknown[];
      analysis: Record<string, unknown>;
    };
    expect(body.type).toBe("FeatureCollection");
    expect(Array.isArray(body.features)).toBe(true);
    expect(body.analysis).toMatchObject({
      id: "an-test-1",
      model: { name: "lanesegnet-lite" },
      imagery: { provider: "esri" },
      providers_tried: [{ provider: "esri", outcome: "used" }],
      cache: "MISS",
      // The request it answers, every default filled in.
      request: {
        area: { type: "bbox", bbox: BBOX },
        resolution_m: 0.25,
        classes: [...MARKING_CLASS_NAMES],
        providers: ["esri"],
        min_confidence: DEFAULT_MIN_CONFIDENCE,
      },
    });
    expect(() => AnalysisResponseSchema.parse(body)).not.toThrow();
    expect(JSON.stringify(body)).not.toMatch(/\.onnx|models\//);
  });

  it("answers with the area it analysed, in the key's terms: no bbox member or altitudes, 1e-7° (shared results)", async () => {
    const [w, s, e, n] = BBOX;
    const ring = [
      [w, s, 12],
      [e, s, 1e308],
      [e, n, 0],
      [w, n],
      [w, s, 12],
    ];
    // Digits below 1e-7° (the key's unit) are the first asker's own: they are not echoed.
    const noisy = ring.map(([lon, lat, ...rest]) => [lon! + 3e-9, lat! - 4e-9, ...rest]);
    const res = await signedPost(
      analysisBody({ request: { area: { type: "Polygon", coordinates: [noisy], bbox: [0, 0, 0, 0] } } }),
    );
    expect(res.status).toBe(200);
    const { analysis, bbox } = (await res.json()) as {
      analysis: { request: { area: unknown } };
      bbox: number[];
    };
    expect(analysis.request.area).toEqual({
      type: "Polygon",
      coordinates: [ring.map((p) => [p[0], p[1]])],
    });
    // The collection's extent too.
    expect(bbox).toEqual([w, s, e, n]);

    // The same ring sent clockwise from another vertex shares that result, so it is answered as
    // the key holds it: counter-clockwise (RFC 7946 §3.1.6) from the westernmost vertex.
    const clockwise = [
      [e, n],
      [e, s],
      [w, s],
      [w, n],
      [e, n],
    ];
    const again = await signedPost(
      analysisBody({ request: { area: { type: "Polygon", coordinates: [clockwise] } } }),
    );
    expect(
      ((await again.json()) as { analysis: { request: { area: unknown } } }).analysis.request.area,
    ).toEqual({
      type: "Polygon",
      coordinates: [ring.map((p) => [p[0], p[1]])],
    });
  });

  it("never reports the imagery finer than the grid it analysed", async () => {
    const res = await signedPost(
      analysisBody({ request: { area: { type: "bbox", bbox: BBOX }, resolution_m: 0.5 } }),
    );
    expect(res.status).toBe(200);
    const { analysis } = (await res.json()) as {
      analysis: { request: { resolution_m: number }; imagery: { resolution_m: number } };
    };
    // Analysed at the model's coarsest, 0.34984 m/px; reported to 0.1 mm, rounded up.
    expect(analysis.request.resolution_m).toBe(0.34984);
    expect(analysis.imagery.resolution_m).toBe(0.3499);
  });

  it("reports the providers in the order they were to be tried, up to the one that served", async () => {
    const res = await signedPost(analysisBody({ providers: ["mapbox", "esri", "gee"] }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      analysis: { providers_tried: { provider: string; outcome: string }[] };
    };
    // gee comes after esri, which served: never reached, so not "tried".
    expect(body.analysis.providers_tried.map((a) => [a.provider, a.outcome])).toEqual([
      ["mapbox", "not_configured"],
      ["esri", "used"],
    ]);
  });

  it("exposes Prometheus metrics: stage latency histogram, errors, queue depth, execution provider", async () => {
    const text = await metricsText();
    for (const stage of ["imagery", "inference", "vectorise", "total"]) {
      expect(sample(text, `lanesegnet_backend_stage_seconds_count{stage="${stage}"}`)).toBeGreaterThanOrEqual(
        1,
      );
      expect(text).toContain(`lanesegnet_backend_stage_seconds_bucket{le="+Inf",stage="${stage}"}`);
    }
    expect(text).toContain("# TYPE lanesegnet_backend_stage_seconds histogram");
    expect(text).toContain("# TYPE lanesegnet_backend_errors_total counter");
    expect(sample(text, "lanesegnet_backend_queue_depth")).toBe(0);
    expect(sample(text, "lanesegnet_backend_analyses_in_flight")).toBe(0);
    expect(sample(text, 'lanesegnet_backend_execution_provider{provider="cpu"}')).toBe(1);
    // The process's own: memory for DEPLOY.md's sizing, event-loop lag for a starved main thread.
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(10 * 1024 * 1024);
    expect(text).toContain("# TYPE nodejs_eventloop_lag_seconds gauge");
    expect(
      sample(text, 'lanesegnet_backend_provider_calls_total{provider="esri",outcome="used"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'lanesegnet_backend_requests_total{route="/internal/v1/analyze",status="401"}'),
    ).toBeGreaterThanOrEqual(1);
    // Model runs are counted (the counter was declared but never moved): one analysis adds its batches.
    const runs = sample(text, "lanesegnet_backend_inferences_total") ?? 0;
    expect(runs).toBe(backend.pool.completed);
    expect((await signedPost(analysisBody())).status).toBe(200);
    expect(sample(await metricsText(), "lanesegnet_backend_inferences_total")).toBeGreaterThan(runs);
  });
});

describe("load shedding", () => {
  it("with 1 concurrent and 0 queued, answers further analyses 503 + Retry-After while one runs", async () => {
    tileGate = gate();
    const seen = tiles.requests.length;
    const first = signedPost(analysisBody());
    // The first analysis is admitted and waiting for imagery.
    await waitFor(() => tiles.requests.length > seen, "the first tile request");
    const others = await Promise.all([signedPost(analysisBody()), signedPost(analysisBody())]);
    for (const res of others) {
      const retryAfter = res.headers.get("retry-after");
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      await expectProblem(res, 503);
    }
    tileGate.open();
    const res = await first;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { type: string }).type).toBe("FeatureCollection");
    expect(sample(await metricsText(), 'lanesegnet_backend_errors_total{kind="overloaded"}')).toBe(2);
  });
});

describe("a caller that hangs up while its analysis waits in the queue", () => {
  it("leaves the queue at once, never fetches imagery, and its place goes to the next caller", async () => {
    const held = gate();
    const own = await ownBackend(
      async (_req, res) => {
        await held.opened;
        res.writeHead(200, { "content-type": "image/jpeg" });
        res.end(await tileJpeg());
      },
      { MAX_CONCURRENT_ANALYSES: "1", MAX_QUEUED_ANALYSES: "1" },
    );
    const { backend: queued, tiles: heldTiles } = own;
    const send = async (signal?: AbortSignal) => {
      const body = analysisBody();
      return fetch(`${queued.url}${ROUTE}`, {
        method: "POST",
        headers: await signedHeaders(body),
        body,
        ...(signal ? { signal } : {}),
      });
    };
    const metric = async (series: string) => {
      const text = await (await fetch(`${queued.url}/metrics`)).text();
      return sample(text, series) ?? 0;
    };
    try {
      const first = send();
      await waitFor(() => heldTiles.requests.length > 0, "the first analysis to ask for imagery");
      const hangUp = new AbortController();
      const second = send(hangUp.signal);
      const deadline = Date.now() + 10_000;
      while ((await metric("lanesegnet_backend_queue_depth")) < 1) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 10));
      }
      hangUp.abort();
      await expect(second).rejects.toThrow();
      while ((await metric('lanesegnet_backend_errors_total{kind="aborted"}')) < 1) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(await metric("lanesegnet_backend_queue_depth")).toBe(0);
      // Its place is free: a third analysis waits instead of being shed with a 503.
      const third = send();
      while ((await metric("lanesegnet_backend_queue_depth")) < 1) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 10));
      }
      held.open();
      expect((await first).status).toBe(200);
      expect((await third).status).toBe(200);
      // Two analyses fetched the same tiles, each once; the one whose caller left fetched none.
      expect(heldTiles.requests.length).toBe(2 * new Set(heldTiles.requests).size);
      expect(await metric('lanesegnet_backend_provider_calls_total{provider="esri",outcome="used"}')).toBe(2);
      expect(await metric('lanesegnet_backend_errors_total{kind="overloaded"}')).toBe(0);
    } finally {
      held.open();
      await own.close();
    }
  });
});

describe("graceful shutdown", () => {
  it("finishes an in-flight analysis with 200 while close() runs, and refuses new connections", async () => {
    tileGate = gate();
    const seen = tiles.requests.length;
    const inFlight = signedPost(analysisBody());
    await waitFor(() => tiles.requests.length > seen, "the in-flight analysis to fetch imagery");

    let closed = false;
    const closing = backend.close().then(() => {
      closed = true;
    });
    await waitFor(() => backend.health.draining, "draining");

    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port: backend.port });
      socket.once("connect", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
    await expect(fetch(`${backend.url}/readyz`)).rejects.toThrow();
    expect(closed).toBe(false);

    tileGate.open();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { type: string }).type).toBe("FeatureCollection");
    await closing;
    expect(closed).toBe(true);
    // The pool is stopped: no more inference after close().
    await expect(backend.pool.run(new Float32Array(3 * 16 * 16), [1, 3, 16, 16])).rejects.toThrow(
      /shutting down/,
    );
  });

  it("closes a kept-alive connection with its answer while draining, so the next request goes elsewhere", async () => {
    // Two gates by tile column: a far-east area (x > 85,240 at zoom 19) is held by `eastGate`, the
    // usual BBOX by `nearGate`. The far-east analysis keeps the drain waiting throughout, so the second
    // request for the kept-alive connection surely comes while the backend drains.
    const nearGate = gate();
    const eastGate = gate();
    const own = await ownBackend(
      async (req, res) => {
        const x = Number((req.url ?? "").split("/").pop());
        await (x > 85_240 ? eastGate : nearGate).opened;
        res.writeHead(200, { "content-type": "image/jpeg" });
        res.end(await tileJpeg());
      },
      { MAX_CONCURRENT_ANALYSES: "2", SHUTDOWN_GRACE_MS: "10000" },
    );
    const { backend: draining, tiles: heldTiles } = own;
    const send = async (agent: Agent, bbox: readonly number[]) => {
      const body = analysisBody({ request: { area: { type: "bbox", bbox } } });
      const headers = await signedHeaders(body);
      return new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
        const req = httpRequest(`${draining.url}${ROUTE}`, { method: "POST", agent, headers }, (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        });
        req.on("error", reject);
        req.end(body);
      });
    };
    // One kept-alive connection: the second request waits for the first's socket and reuses it.
    const keptAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    const separate = new Agent({ keepAlive: false });
    try {
      const far = send(separate, [-121.45, 38.5814, -121.4495, 38.5818]);
      const first = send(keptAlive, BBOX);
      const column = (url: string) => Number(url.split("/").pop());
      await waitFor(
        () =>
          heldTiles.requests.some((u) => column(u) > 85_240) &&
          heldTiles.requests.some((u) => column(u) <= 85_240),
        "both analyses to ask for imagery",
      );
      const second = send(keptAlive, BBOX);
      const closing = draining.close();
      await waitFor(() => draining.health.draining, "draining");
      nearGate.open();
      // The answer closes its connection (before, the process then waited out the keep-alive
      // timeout, and a request sent down that connection was admitted as new work) ...
      const answered = await first;
      expect([answered.status, answered.headers.connection]).toEqual([200, "close"]);
      // ... so the next request needs a new connection, which a draining instance no longer accepts:
      // the client learns at once to go to another instance.
      await expect(second).rejects.toMatchObject({ code: "ECONNREFUSED" });
      eastGate.open();
      expect((await far).status).toBe(200);
      await closing;
    } finally {
      nearGate.open();
      eastGate.open();
      keptAlive.destroy();
      separate.destroy();
      await own.close();
    }
  });

  it("ends within the grace period when an analysis runs longer, cutting that one off", async () => {
    const stuck = gate();
    const cutOffLog = capturedLogger();
    const own = await ownBackend(
      async (_req, res) => {
        await stuck.opened;
        res.writeHead(503);
        res.end();
      },
      { TILE_SIZE: "256", SHUTDOWN_GRACE_MS: "300" },
      cutOffLog.logger,
    );
    const { backend: short, tiles: slowTiles } = own;
    try {
      const body = analysisBody();
      const inFlight = fetch(`${short.url}${ROUTE}`, {
        method: "POST",
        headers: await signedHeaders(body),
        body,
      }).then(
        (r) => r.status,
        () => "cut off",
      );
      await waitFor(() => slowTiles.requests.length > 0, "the slow analysis to ask for imagery");
      const started = Date.now();
      await short.close();
      // Before, close() waited for the analysis itself (20 s of provider timeout here).
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(await inFlight).toBe("cut off");
      // The log says the server cut it off (an error), not that its caller hung up.
      expect(
        cutOffLog.lines.find(
          (l) => l.msg === "shutdown grace period over: cutting off the work still running",
        ),
      ).toMatchObject({ analyses: 1, level: 50 });
      await waitFor(() => cutOffLog.lines.some((l) => l.msg === "request"), "the cut-off request's line");
      expect(cutOffLog.lines.find((l) => l.msg === "request")).toMatchObject({
        reason: "cut_off_at_shutdown",
        level: 50,
      });
    } finally {
      stuck.open();
      await own.close();
    }
  });
});

/** A logger whose lines the test reads (pino's JSON, one object per line). */
function capturedLogger(level = "info") {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(level, {
    write(chunk: string) {
      for (const l of chunk.split("\n")) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
    },
  });
  return { logger, lines, text: () => JSON.stringify(lines) };
}

describe("shutdown with analyses waiting", () => {
  it("refuses the queued ones at once (503, Retry-After), finishes the running one, and closes kept-alive connections", async () => {
    const held = gate();
    const log = capturedLogger();
    const own = await ownBackend(
      async (_req, res) => {
        await held.opened;
        res.writeHead(200, { "content-type": "image/jpeg" });
        res.end(await tileJpeg());
      },
      { MAX_CONCURRENT_ANALYSES: "1", MAX_QUEUED_ANALYSES: "2", SHUTDOWN_GRACE_MS: "20000" },
      log.logger,
    );
    const keptAlive = new Agent({ keepAlive: true });
    const send = async () => {
      const body = analysisBody();
      const headers = await signedHeaders(body);
      return new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
        const req = httpRequest(
          `${own.backend.url}${ROUTE}`,
          { method: "POST", agent: keptAlive, headers },
          (res) => {
            res.resume();
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    };
    try {
      const running = send();
      await waitFor(() => own.tiles.requests.length > 0, "the first analysis to ask for imagery");
      const queued = [send(), send()];
      // Both wait in the queue (its depth gauge says so) before the shutdown begins.
      for (let depth = 0, tries = 0; depth < 2; tries++) {
        if (tries > 200) throw new Error("the two analyses never queued");
        const text = await (await fetch(`${own.backend.url}/metrics`)).text();
        depth = sample(text, "lanesegnet_backend_queue_depth") ?? 0;
        if (depth < 2) await new Promise((r) => setTimeout(r, 25));
      }
      const closing = own.backend.close();
      // The queued two never started: refused before the running one ends (its imagery is held).
      for (const q of await Promise.all(queued)) {
        expect(q.status).toBe(503);
        expect(q.headers["retry-after"]).toBe("1");
        expect(q.headers.connection).toBe("close");
      }
      held.open();
      const done = await running;
      expect(done.status).toBe(200);
      // The answer closes its kept-alive connection: the process need not wait out the keep-alive timeout.
      expect(done.headers.connection).toBe("close");
      await closing;
      const drain = log.lines.find((l) => l.msg === "draining: finishing running work, refusing new work");
      expect(drain).toMatchObject({ analyses: 1, renders: 0, refused_from_queue: 2 });
      // Draining refusals are the deploy working as designed: warnings, not errors.
      const refusals = log.lines.filter((l) => l.msg === "request" && l.reason === "draining");
      expect(refusals.map((l) => l.level)).toEqual([40, 40]);
      expect(log.lines.at(-1)?.msg).toBe("backend stopped");
    } finally {
      held.open();
      keptAlive.destroy();
      await own.close();
    }
  });
});

describe("request log", () => {
  it("writes one line per internal request: the reason of a refusal, the providers of a fallback, never the secret", async () => {
    const log = capturedLogger();
    const tile512 = await sharp(await tileJpeg())
      .resize(512, 512)
      .jpeg()
      .toBuffer();
    const own = await ownBackend(
      async (req, res) => {
        if ((req.url ?? "").startsWith("/esri/")) {
          res.writeHead(500);
          res.end();
          return;
        }
        res.writeHead(200, { "content-type": "image/jpeg" });
        res.end(tile512);
      },
      { ENABLED_PROVIDERS: "esri,mapbox" },
      log.logger,
      (url) =>
        new Map<ImageryProviderName, ImageryProvider>([
          [
            "esri",
            createEsriProvider({
              urlTemplate: `${url}/esri/{z}/{y}/{x}`,
              timeoutMs: 5_000,
              retry: { retries: 0, baseDelayMs: 0, maxDelayMs: 0 },
            }),
          ],
          [
            "mapbox",
            createMapboxProvider({
              urlTemplate: `${url}/mapbox/{z}/{x}/{y}?access_token={key}`,
              accessToken: "test-mapbox-token",
              timeoutMs: 5_000,
            }),
          ],
        ]),
    );
    const logged = own.backend;
    const at = (id: string) => log.lines.find((l) => l.msg === "request" && l.request_id === id);
    const send = async (id: string, body: string, headers: Record<string, string>) =>
      fetch(`${logged.url}${ROUTE}`, { method: "POST", headers: { ...headers, "x-request-id": id }, body });
    try {
      const body = analysisBody({ providers: ["esri", "mapbox"] });
      expect(
        (await send("stale", body, await signedHeaders(body, { now: Date.now() - 120_000 }))).status,
      ).toBe(401);
      expect((await send("wrong", body, await signedHeaders(body, { secret: "x".repeat(40) }))).status).toBe(
        401,
      );
      const plain = { ...(await signedHeaders(body)), "content-type": "text/plain" };
      expect((await send("plain", body, plain)).status).toBe(415);
      const served = await send("served", body, await signedHeaders(body));
      expect(served.status).toBe(200);
      await fetch(`${logged.url}/healthz`);

      expect(at("stale")).toMatchObject({ level: 40, status: 401, reason: "timestamp_skew", route: ROUTE });
      expect(at("wrong")).toMatchObject({ level: 40, status: 401, reason: "bad_signature" });
      expect(at("plain")).toMatchObject({ level: 40, status: 415, reason: "unsupported_media_type" });
      const fallback = at("served");
      expect(fallback).toMatchObject({ level: 40, status: 200, provider: "mapbox", fallback: true });
      expect(fallback?.providers_tried).toEqual([
        expect.objectContaining({ provider: "esri", outcome: "failed" }),
        expect.objectContaining({ provider: "mapbox", outcome: "used" }),
      ]);
      expect(typeof fallback?.latency_ms).toBe("number");
      expect(log.lines.filter((l) => l.msg === "request")).toHaveLength(4);
      expect(log.text()).not.toContain(SECRET);
      expect(log.text()).not.toContain("test-mapbox-token");
    } finally {
      await own.close();
    }
  });
});
