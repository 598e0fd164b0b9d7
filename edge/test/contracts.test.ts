/**
 * HTTP contracts of the edge that no other suite pins (each found unguarded by a mutation audit):
 * how long a result made on fallback imagery is kept, the model's identity in what is stored,
 * caching headers and conditional requests, /v1/coverage's truncation flag, how a backend's (or
 * its proxy's) 429, 504 and draining /readyz are reported, and the /v1/providers memo.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "./support/credentials.js";
import { type EdgeWorker, type Rig, startEdge, startRig } from "./support/edge.js";
import { storedTtlS, twoImageIndex } from "./support/local-store.js";
import { bboxBody, get, postAnalysis } from "./support/requests.js";

let rig: Rig;
let edge: EdgeWorker;
let key: string;

/** A loopback "backend" answering every request with `status` (and Retry-After when given). */
async function fixedServer(status: number, retryAfter?: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(status, {
        "content-type": "application/problem+json",
        ...(retryAfter ? { "retry-after": retryAfter } : {}),
      });
      res.end(JSON.stringify({ title: "x", status }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

beforeAll(async () => {
  rig = await startRig("contracts");
  rig.backend.coverageIndex = twoImageIndex();
  edge = await startEdge(
    rig.env({ RATE_LIMIT_PER_HOUR: "1000", COVERAGE_INDEX_URL: `${rig.backend.url}/coverage-index.bin` }),
  );
  key = await createKey(rig, "contracts-user");
});

afterAll(async () => {
  await edge?.dispose();
  await rig?.close();
});

describe("edge HTTP contracts", () => {
  it("keeps a result made while a preferred provider was skipped as unhealthy for DEGRADED_CACHE_TTL_S only", async () => {
    rig.backend.failing.add("local");
    try {
      expect((await postAnalysis(edge, key, bboxBody(1))).status).toBe(200); // local fails: unhealthy now
    } finally {
      rig.backend.failing.clear();
    }
    // Wait for the health record (waitUntil) to land.
    for (let i = 0; i < 100; i++) {
      const p = (await (await get(edge, "/v1/providers", key)).json()) as {
        providers: { name: string; healthy: boolean | null }[];
      };
      if (p.providers.find((x) => x.name === "local")?.healthy === false) break;
      await new Promise((r) => setTimeout(r, 30));
    }
    const res = await postAnalysis(edge, key, bboxBody(2));
    const body = (await res.json()) as { analysis: { id: string; providers_tried: { outcome: string }[] } };
    expect(body.analysis.providers_tried.map((a) => a.outcome)).toContain("unhealthy");
    expect(await storedTtlS(rig, body.analysis.id)).toBeLessThanOrEqual(3_600);
  });

  it("never caches a result of a model with the configured version but another name", async () => {
    const configured = rig.backend.model;
    rig.backend.model = { name: "another-model", version: configured.version };
    try {
      await postAnalysis(edge, key, bboxBody(3));
      const second = await postAnalysis(edge, key, bboxBody(3));
      expect(second.headers.get("x-cache")).toBe("MISS");
      expect(second.headers.get("content-location")).toBeNull();
    } finally {
      rig.backend.model = configured;
    }
  });

  it("marks results private (per credential) and to be revalidated", async () => {
    const res = await postAnalysis(edge, key, bboxBody(4));
    expect(res.headers.get("cache-control")).toBe("private, no-cache");
    const id = ((await res.json()) as { analysis: { id: string } }).analysis.id;
    const byId = await get(edge, `/v1/analyses/${id}`, key);
    expect(byId.headers.get("cache-control")).toBe("private, no-cache");
  });

  it("answers If-None-Match: * with 304", async () => {
    const res = await postAnalysis(edge, key, bboxBody(5));
    const id = ((await res.json()) as { analysis: { id: string } }).analysis.id;
    expect((await get(edge, `/v1/analyses/${id}`, key, { "if-none-match": "*" })).status).toBe(304);
  });

  it("/v1/coverage: exactly `limit` footprints is not truncated", async () => {
    const fc = (await (
      await get(edge, "/v1/coverage?bbox=153.024,-27.47,153.026,-27.469&limit=2", key)
    ).json()) as { features: unknown[]; truncated: boolean };
    expect(fc.features).toHaveLength(2);
    expect(fc.truncated).toBe(false);
  });

  it.each([
    [429, "12", 503, "/problems/overloaded", "12"],
    [504, undefined, 504, "/problems/backend-timeout", null],
  ] as const)("maps a backend (or its proxy) answering %i", async (status, ra, want, type, wantRa) => {
    const { url, server } = await fixedServer(status, ra);
    const other = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "1000", BACKEND_URL: url }));
    try {
      const res = await postAnalysis(other, key, bboxBody(6 + status));
      expect(res.status).toBe(want);
      expect(((await res.json()) as { type: string }).type).toBe(type);
      expect(res.headers.get("retry-after")).toBe(wantRa);
    } finally {
      await other.dispose();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("/health reports a backend whose /readyz answers 503 (draining, model not loaded) as down", async () => {
    const { url, server } = await fixedServer(503);
    const other = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "1000", BACKEND_URL: url }));
    try {
      const health = (await (await get(other, "/health")).json()) as { backend: string };
      expect(health.backend).toBe("down");
    } finally {
      await other.dispose();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("marks pictures private to the credential that fetched them", async () => {
    const res = await postAnalysis(edge, key, bboxBody(9));
    const id = ((await res.json()) as { analysis: { id: string } }).analysis.id;
    rig.backend.renderMode = "png";
    try {
      const pic = await get(edge, `/v1/analyses/${id}/overlay.png`, key);
      expect(pic.status).toBe(200);
      expect(pic.headers.get("cache-control")).toBe("private, max-age=3600");
    } finally {
      rig.backend.renderMode = undefined;
    }
  });

  it("GET /v1/providers asks the backend's /readyz at most once per 2 s per isolate, and again after", async () => {
    await get(edge, "/v1/providers", key);
    const before = rig.backend.readyzCalls;
    for (let i = 0; i < 5; i++) expect((await get(edge, "/v1/providers", key)).status).toBe(200);
    expect(rig.backend.readyzCalls - before).toBeLessThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 2_100));
    const later = rig.backend.readyzCalls;
    await get(edge, "/v1/providers", key);
    expect(rig.backend.readyzCalls - later).toBe(1);
  });
});
