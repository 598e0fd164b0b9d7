/**
 * The public surface around the analyses: OpenAPI document and docs page, CORS, security
 * headers, request ids, Server-Timing, the audit line, health and a misconfigured Worker.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EDGE_PROBLEM_TYPES } from "../src/problems.js";
import { createKey } from "./support/credentials.js";
import { type EdgeWorker, type Rig, startEdge, startRig } from "./support/edge.js";
import { bboxBody, get, postAnalysis } from "./support/requests.js";

let rig: Rig;
let edge: EdgeWorker;
let key: string;

beforeAll(async () => {
  rig = await startRig("routes");
  edge = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "1000" }));
  key = await createKey(rig, "routes-user");
});

afterAll(async () => {
  await edge?.dispose();
  await rig?.close();
});

describe("OpenAPI and docs", () => {
  it("serves an OpenAPI 3.1 document generated from the shared schemas", async () => {
    const res = await get(edge, "/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/health",
        "/v1/analyses",
        "/v1/analyses/{id}",
        "/v1/analyses/{id}/imagery.png",
        "/v1/analyses/{id}/overlay.png",
        "/v1/coverage",
        "/v1/providers",
        "/analyze_road_infrastructure",
      ].sort(),
    );
    const post = doc.paths["/v1/analyses"]?.post;
    expect(Object.keys(post?.responses ?? {})).toEqual(
      expect.arrayContaining(["200", "400", "401", "413", "415", "422", "429", "502", "503", "504"]),
    );
    expect(post?.security).toEqual([{ bearerAuth: [] }]);
    // What the answers carry: the quota on errors after the rate limit, Retry-After on a 502
    // no-imagery; 413 on the compatibility route too (the body limit answers it there as well).
    const headersOfOp = (op: { responses: Record<string, unknown> } | undefined, status: string) =>
      Object.keys(
        (op?.responses[status] as { headers?: Record<string, unknown> } | undefined)?.headers ?? {},
      );
    const headersOf = (status: string) => headersOfOp(post, status);
    expect(headersOf("400")).toEqual(expect.arrayContaining(["RateLimit", "RateLimit-Policy"]));
    expect(headersOf("502")).toEqual(expect.arrayContaining(["RateLimit", "Retry-After"]));
    const compat = doc.paths["/analyze_road_infrastructure"]?.post;
    expect(Object.keys(compat?.responses ?? {})).toContain("413");
    // What its 200 really carries, the picture's headers too; every 401 its challenge.
    expect(headersOfOp(compat, "200")).toEqual(
      expect.arrayContaining(["Deprecation", "Link", "X-Cache", "Cache-Control", "ETag", "X-Image-Bounds"]),
    );
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (op.responses["401"])
          expect(headersOfOp(op, "401"), `${method} ${path}`).toContain("WWW-Authenticate");
      }
    }
    for (const name of [
      "AnalysisRequest",
      "AnalysisResponse",
      "Problem",
      "BboxArea",
      "PolygonArea",
      "CoverageCollection",
    ]) {
      expect(doc.components.schemas).toHaveProperty(name);
    }
    expect(doc.components.securitySchemes).toHaveProperty("bearerAuth");
    expect(JSON.stringify(doc.components.schemas.AnalysisRequest)).toContain('"additionalProperties":false');
    // What the server refuses is in the document too, so a client can check a body before it
    // spends quota on a 400: the bbox's length and ranges, a ring's minimum, no repeated items.
    type Json = Record<string, unknown>;
    const props = (name: string) =>
      (doc.components.schemas[name] as { properties: Record<string, Json> }).properties;
    expect(props("BboxArea").bbox).toMatchObject({
      minItems: 4,
      maxItems: 4,
      prefixItems: [
        { minimum: -180, maximum: 180 },
        { minimum: -85.0511287798066, maximum: 85.0511287798066 },
        { minimum: -180, maximum: 180 },
        { minimum: -85.0511287798066, maximum: 85.0511287798066 },
      ],
    });
    const ring = (props("PolygonArea").coordinates as { items: Json }).items;
    expect(ring).toMatchObject({
      minItems: 4,
      items: { prefixItems: [{ minimum: -180 }, { maximum: 85.0511287798066 }, { type: "number" }] },
    });
    expect(props("AnalysisRequest").classes).toMatchObject({ uniqueItems: true });
    expect(props("AnalysisRequest").providers).toMatchObject({ uniqueItems: true });
    // Answers too: a fixed-length tuple says its length (prefixItems alone allows any).
    expect(props("AnalysisResponse").bbox).toMatchObject({ minItems: 4, maxItems: 4 });
    const schemas = JSON.stringify(doc.components.schemas);
    expect(schemas).toContain('"minItems":2,"maxItems":2,"description":"[lon, lat] in WGS84 degrees."');
    for (const path of ["/v1/analyses", "/analyze_road_infrastructure"]) {
      expect(headersOfOp(doc.paths[path]?.post, "415")).toEqual(
        expect.arrayContaining(["Accept-Encoding", "RateLimit"]),
      );
      expect(headersOfOp(doc.paths[path]?.post, "503")).toEqual(
        expect.arrayContaining(["Retry-After", "RateLimit-Policy"]),
      );
    }
    // Conditional GETs: the request header is declared, and a 304 documents what it carries.
    type Op = {
      parameters?: { in: string; name: string }[];
      responses: Record<string, { headers?: object }>;
    };
    const byId = doc.paths["/v1/analyses/{id}"]?.get as unknown as Op;
    const overlay = doc.paths["/v1/analyses/{id}/overlay.png"]?.get as unknown as Op;
    for (const op of [byId, overlay]) {
      expect(op.parameters).toEqual(
        expect.arrayContaining([expect.objectContaining({ in: "header", name: "if-none-match" })]),
      );
      expect(Object.keys(op.responses["304"]?.headers ?? {})).toContain("ETag");
    }
    expect(Object.keys(byId.responses["304"]?.headers ?? {})).toContain("Content-Location");
  });

  it("serves interactive docs: Swagger UI pinned with SRI, under a CSP that allows only its CDN folder", async () => {
    const res = await get(edge, "/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    const cdn = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0/";
    // Every element that loads something names the exact version, an sha384 digest and CORS mode.
    const loads = html.match(/<(script|link)\b[^>]*>/g) ?? [];
    const remote = loads.filter((tag) => tag.includes("cdn.jsdelivr.net"));
    expect(remote.map((tag) => /(?:src|href)="([^"]+)"/.exec(tag)?.[1]).sort()).toEqual([
      `${cdn}swagger-ui-bundle.js`,
      `${cdn}swagger-ui.css`,
    ]);
    for (const tag of remote) {
      expect(tag).toMatch(/ integrity="sha384-[A-Za-z0-9+/]{64}"/);
      expect(tag).toContain(' crossorigin="anonymous"');
    }
    expect(html).not.toMatch(/<script>/); // no inline script: the CSP allows none
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp.split(/;\s*/)).toEqual(
      expect.arrayContaining([
        "default-src 'none'",
        `script-src 'self' ${cdn}`,
        `style-src ${cdn}`,
        "connect-src 'self'",
        "frame-ancestors 'none'",
      ]),
    );
    expect(csp).not.toContain("unsafe-");

    const init = await get(edge, "/docs/init.js");
    expect(init.status).toBe(200);
    expect(init.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(await init.text()).toContain('url: "/openapi.json"');
  });
});

describe("problem types", () => {
  it("documents every problem type at its own URI (RFC 9457 §3.1.1), without credentials", async () => {
    const types = Object.values(EDGE_PROBLEM_TYPES);
    expect(types.length).toBeGreaterThan(15);
    for (const type of types) {
      const res = await get(edge, type);
      expect(res.status, type).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
      const html = await res.text();
      expect(html).toContain(`<code>${type}</code>`);
      expect(html).toMatch(/<h2>What to do<\/h2>\s*<p>\S/);
    }
    const unknown = await get(edge, "/problems/no-such-type");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toBe("application/problem+json");
    // What an error names resolves: a 401's type, followed as a client would.
    const denied = await get(edge, "/v1/providers");
    const { type } = (await denied.json()) as { type: string };
    expect((await get(edge, new URL(type, "http://api.test/").pathname)).status).toBe(200);
  });
});

describe("headers", () => {
  it("allows the configured origin, exposing the rate-limit and cache headers", async () => {
    const preflight = await edge.fetch("/v1/analyses", {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    expect(preflight.headers.get("access-control-allow-methods")).toBe("POST,OPTIONS");
    // Per path, from the routes: never a method that would then be a 405, nothing where no route is.
    const methodsAt = async (path: string) =>
      (
        await edge.fetch(path, {
          method: "OPTIONS",
          headers: { origin: "https://app.example.com", "access-control-request-method": "GET" },
        })
      ).headers.get("access-control-allow-methods");
    expect(await methodsAt("/health")).toBe("GET,HEAD,OPTIONS");
    expect(await methodsAt(`/v1/analyses/${"a".repeat(64)}`)).toBe("GET,HEAD,OPTIONS");
    expect(await methodsAt("/v2/nothing")).toBeNull();

    const res = await postAnalysis(edge, key, bboxBody(0), { origin: "https://app.example.com" });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const exposed = (res.headers.get("access-control-expose-headers") ?? "").split(",").map((h) => h.trim());
    expect(exposed).toEqual(
      expect.arrayContaining(["RateLimit", "RateLimit-Policy", "Retry-After", "X-Request-Id"]),
    );
  });

  it("does not allow other origins", async () => {
    const res = await postAnalysis(edge, key, bboxBody(0), { origin: "https://evil.example.com" });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await edge.fetch("/v1/analyses", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example.com", "access-control-request-method": "POST" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers a request without Origin (not a browser's cross-origin call) with Vary: Origin and no CORS headers", async () => {
    const res = await postAnalysis(edge, key, bboxBody(0));
    expect(res.status).toBe(200);
    expect(res.headers.get("vary")).toBe("Origin");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("access-control-expose-headers")).toBeNull();
    const withOrigin = await postAnalysis(edge, key, bboxBody(0), { origin: "https://app.example.com" });
    expect(withOrigin.headers.get("vary")).toBe("Origin");
  });

  it("sets security headers and a request id on every response, and Server-Timing on every answer served", async () => {
    for (const res of [
      await get(edge, "/health"),
      await get(edge, "/v1/providers"),
      await postAnalysis(edge, key, bboxBody(0)),
    ]) {
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
      expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
      expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      if (res.status < 400) expect(res.headers.get("server-timing")).toMatch(/total;dur=/);
    }
    // Not on a refusal or another error: its stages would tell what others asked.
    const refused = await postAnalysis(edge, "lsn_not-a-key-at-all-xxxxxxxxxxxx", bboxBody(0));
    expect(refused.status).toBe(401);
    expect(refused.headers.get("server-timing")).toBeNull();
    const traced = await get(edge, "/health", undefined, { "x-request-id": "trace-abc-123" });
    expect(traced.headers.get("x-request-id")).toBe("trace-abc-123");
  });

  it("logs its own request id for every request, the caller's beside it, and sends its own to the backend", async () => {
    // Two callers choosing the same X-Request-Id must not share one id in the logs.
    const before = rig.backend.calls.length;
    const first = await postAnalysis(edge, key, bboxBody(31), { "x-request-id": "shared-id-1" });
    const second = await postAnalysis(edge, key, bboxBody(32), { "x-request-id": "shared-id-1" });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(first.headers.get("x-request-id")).toBe("shared-id-1");
    const lines = await edge.auditWhere((l) => l.client_request_id === "shared-id-1", 2);
    expect(lines).toHaveLength(2);
    const own = lines.map((l) => l.request_id);
    expect(own[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(own[1]).toMatch(/^[0-9a-f-]{36}$/);
    expect(own[0]).not.toBe(own[1]);
    const sent = rig.backend.calls.slice(before).map((call) => call.request_id);
    expect(sent.sort()).toEqual([...own].sort());
    // A caller's id that is not short and plain is neither echoed nor logged.
    const odd = await get(edge, "/health", undefined, { "x-request-id": "has space" });
    expect(odd.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const oddLine = await edge.auditOf(odd);
    expect(oddLine.client_request_id).toBeUndefined();
  });
});

describe("audit log", () => {
  it("writes one JSON line per request with the agreed fields", async () => {
    const res = await postAnalysis(edge, key, bboxBody(1));
    const id = res.headers.get("x-request-id");
    const line = await edge.auditOf(res);
    const unauthorized = await edge.auditOf(await get(edge, "/v1/providers"));
    expect(edge.audit.filter((l) => l.request_id === id)).toHaveLength(1);
    expect(line).toMatchObject({
      level: "info",
      msg: "request",
      method: "POST",
      route: "/v1/analyses",
      status: 200,
      user: "routes-user",
      auth: "api_key",
      cache: "MISS",
      provider: "local",
      stored: true,
      ratelimit_source: "redis",
    });
    expect(line.area_hash).toMatch(/^[0-9a-f]{16}$/);
    expect(line.key_id).toMatch(/^[0-9a-f]{12}$/);
    expect(typeof line.latency_ms).toBe("number");
    expect(typeof line.ratelimit_remaining).toBe("number");
    // No coordinates, no key.
    const raw = edge.lines.find((l) => l.includes(id ?? "-"));
    expect(raw).not.toContain("153.02");
    expect(raw).not.toContain(key);

    expect(unauthorized).toMatchObject({ route: "/v1/providers", status: 401 });
    expect(unauthorized.user).toBeUndefined();
  });
});

describe("health and configuration", () => {
  it("reports liveness and the state of Redis and the backend", async () => {
    const res = await get(edge, "/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: "ok",
      redis: "up",
      backend: "up",
      coverage_index: "not_configured",
      // The analysed range from MODEL_MIN_GSD_M / MODEL_MAX_GSD_M (the page checks areas there).
      model: { ...rig.backend.model, analysed_resolution_m: { min: 0.08025, max: 0.34984 } },
    });
  });

  /** 12 concurrent GET /health at `worker` while /readyz takes 500 ms: the answers, and /readyz calls. */
  async function healthBurst(worker: EdgeWorker): Promise<{ answers: unknown[]; readyzCalls: number }> {
    rig.backend.readyzDelayMs = 500;
    const before = rig.backend.readyzCalls;
    try {
      const answers = await Promise.all(
        Array.from({ length: 12 }, async () => {
          const res = await get(worker, "/health");
          return [res.status, ((await res.json()) as { backend: string }).backend];
        }),
      );
      return { answers, readyzCalls: rig.backend.readyzCalls - before };
    } finally {
      rig.backend.readyzDelayMs = 0;
    }
  }

  it("runs one health check at a time: a burst while one runs is answered from the last (the route is public)", async () => {
    await (await get(edge, "/health")).json();
    await new Promise((r) => setTimeout(r, 2_100)); // past the memo
    const burst = await healthBurst(edge);
    expect(burst.answers).toEqual(Array(12).fill([200, "up"]));
    expect(burst.readyzCalls).toBe(1);
  });

  it("sends one check for a burst at a fresh isolate too: the others wait for its result", async () => {
    const fresh = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "1000" }));
    try {
      const burst = await healthBurst(fresh);
      expect(burst.answers).toEqual(Array(12).fill([200, "up"]));
      expect(burst.readyzCalls).toBe(1);
    } finally {
      await fresh.dispose();
    }
  });

  it("answers 500 problem+json without details when misconfigured, and logs which variable", async () => {
    const broken = await startEdge(rig.env({ BACKEND_SIGNING_SECRET: "short" }));
    try {
      const res = await get(broken, "/health", undefined, { "X-Request-Id": "ops-check-1" });
      expect(res.status).toBe(500);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      // Every response carries a request id, this one too.
      expect(res.headers.get("x-request-id")).toBe("ops-check-1");
      const text = await res.text();
      expect(text).not.toContain("BACKEND_SIGNING_SECRET");
      expect(JSON.parse(text)).toMatchObject({ status: 500, instance: "/health" });
      const deadline = Date.now() + 5_000;
      while (!broken.lines.some((l) => l.includes("configuration error")) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const log = broken.lines.find((l) => l.includes("configuration error"));
      expect(log).toContain("BACKEND_SIGNING_SECRET");
      expect(log).not.toContain("short");
    } finally {
      await broken.dispose();
    }
  });
});

describe("methods", () => {
  it("answers 405 with Allow for a method a route does not serve, 404 for a path no route has", async () => {
    const auth = { authorization: `Bearer ${key}` };
    const id = "a".repeat(64);
    const cases: [string, string, string][] = [
      ["GET", "/v1/analyses", "POST, OPTIONS"],
      ["PUT", "/v1/analyses", "POST, OPTIONS"],
      ["DELETE", `/v1/analyses/${id}`, "GET, HEAD, OPTIONS"],
      ["POST", `/v1/analyses/${id}/overlay.png`, "GET, HEAD, OPTIONS"],
      ["POST", "/health", "GET, HEAD, OPTIONS"],
      ["GET", "/analyze_road_infrastructure", "POST, OPTIONS"],
    ];
    for (const [method, path, allow] of cases) {
      const res = await edge.fetch(path, { method, headers: auth });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get("allow")).toBe(allow);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(await res.json()).toMatchObject({
        status: 405,
        type: "/problems/method-not-allowed",
        instance: path,
      });
    }
    const missing = await edge.fetch("/v1/nothing-here", { headers: auth });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("allow")).toBeNull();
  });

  it("answers OPTIONS with Allow where a route is (no credentials needed), and 404 where none is", async () => {
    const cases: [string, string][] = [
      ["/v1/analyses", "POST, OPTIONS"],
      [`/v1/analyses/${"a".repeat(64)}`, "GET, HEAD, OPTIONS"],
      ["/health", "GET, HEAD, OPTIONS"],
    ];
    for (const [path, allow] of cases) {
      const res = await edge.fetch(path, { method: "OPTIONS" });
      expect(res.status, path).toBe(204);
      expect(res.headers.get("allow")).toBe(allow);
    }
    for (const path of ["/nothing-here", "/v1/nothing-here"]) {
      const missing = await edge.fetch(path, { method: "OPTIONS" });
      expect(missing.status, path).toBe(404);
      expect(missing.headers.get("content-type")).toBe("application/problem+json");
      expect(missing.headers.get("allow")).toBeNull();
    }
  });
});
