/**
 * The cache in workerd against real Redis: a repeat is a HIT without a backend call, results are
 * found by id, identical concurrent misses cause exactly one backend call (also across two
 * isolates), large results are stored compressed, equivalent requests share a result, a result the
 * isolate holds is confirmed by Redis before it is served again.
 */
import { createHash, createHmac } from "node:crypto";
import { CACHE_KEY_PREFIX, canonicalAnalysisRequest, canonicalJson } from "@lanesegnet/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis } from "../../test/harness/index.js";
import { BODY_PREFIX_HIT } from "../src/cache/entry.js";
import { createKey } from "./support/credentials.js";
import { type EdgeWorker, type Rig, SIGNING_SECRET, startEdge, startRig } from "./support/edge.js";
import { bboxBody, get, postAnalysis } from "./support/requests.js";

let rig: Rig;
let edge: EdgeWorker;
let key: string;

beforeAll(async () => {
  rig = await startRig("cache");
  edge = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "1000", CACHE_COMPRESS_MIN_BYTES: "20000" }));
  key = await createKey(rig, "cache-user");
});

afterAll(async () => {
  await edge?.dispose();
  await rig?.close();
});

describe("cache", () => {
  it("answers a repeat from the cache without calling the backend", async () => {
    const body = bboxBody(1);
    const first = await postAnalysis(edge, key, body);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-cache")).toBe("MISS");
    expect(first.headers.get("content-type")).toBe("application/geo+json");
    const firstJson = (await first.json()) as {
      analysis: { id: string; cache: string; providers_tried: unknown[] };
    };
    expect(firstJson.analysis.cache).toBe("MISS");
    expect(firstJson.analysis.id).toMatch(/^[0-9a-f]{64}$/);
    expect(rig.backend.calls.at(-1)?.analysis_id).toBe(firstJson.analysis.id);
    const calls = rig.backend.calls.length;

    const requestsBefore = rig.stack.bridge.stats.requests;
    const second = await postAnalysis(edge, key, body);
    // The hit path's Redis round trips: one pipeline with the API key's record (its user is known
    // from the first request), the rate-limit script and the result GET.
    expect(rig.stack.bridge.stats.requests - requestsBefore).toBe(1);
    expect(second.status).toBe(200);
    expect(second.headers.get("x-cache")).toBe("HIT");
    const text = await second.text();
    expect(text.startsWith(BODY_PREFIX_HIT)).toBe(true);
    const secondJson = JSON.parse(text) as typeof firstJson;
    expect(secondJson.analysis.cache).toBe("HIT");
    expect({ ...secondJson, analysis: { ...secondJson.analysis, cache: "MISS" } }).toEqual(firstJson);
    expect(second.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(rig.backend.calls.length).toBe(calls);
    expect(second.headers.get("server-timing")).toMatch(/analysis;dur=/);

    expect(await edge.auditOf(second)).toMatchObject({
      cache: "HIT",
      provider: "local",
      status: 200,
      route: "/v1/analyses",
    });
  });

  it("works a repeated body out once (no `key` stage the second time); a body written differently is worked out again, to the same analysis", async () => {
    const body = JSON.stringify(bboxBody(51));
    const first = await postAnalysis(edge, key, body);
    expect(first.status).toBe(200);
    expect(first.headers.get("server-timing")).toMatch(/(^|,\s*)key;dur=/);
    const { analysis } = (await first.json()) as { analysis: { id: string } };

    const repeat = await postAnalysis(edge, key, body);
    expect(repeat.headers.get("x-cache")).toBe("HIT");
    expect(repeat.headers.get("server-timing")).not.toMatch(/(^|,\s*)key;dur=/);
    expect(repeat.headers.get("content-location")).toBe(`/v1/analyses/${analysis.id}`);

    const spaced = await postAnalysis(edge, key, ` ${body.replace(/,/g, ", ")}\n`);
    expect(spaced.headers.get("x-cache")).toBe("HIT");
    expect(spaced.headers.get("server-timing")).toMatch(/(^|,\s*)key;dur=/);
    expect(spaced.headers.get("content-location")).toBe(`/v1/analyses/${analysis.id}`);

    // An invalid body is answered 400 every time (only what passed validation is remembered).
    for (let i = 0; i < 2; i++) {
      const bad = await postAnalysis(edge, key, JSON.stringify(bboxBody(51, { resolution_m: -1 })));
      expect(bad.status).toBe(400);
    }
  });

  it("returns a stored result by id, with ETag and 304, without counting against the quota", async () => {
    const res = await postAnalysis(edge, key, bboxBody(2));
    const json = (await res.json()) as { analysis: { id: string } };
    const rateBefore = res.headers.get("ratelimit");
    const byId = await get(edge, `/v1/analyses/${json.analysis.id}`, key);
    expect(byId.status).toBe(200);
    expect(byId.headers.get("x-cache")).toBe("HIT");
    expect(byId.headers.get("ratelimit")).toBeNull();
    expect(((await byId.json()) as { analysis: { id: string; cache: string } }).analysis).toMatchObject({
      id: json.analysis.id,
      cache: "HIT",
    });
    const etag = byId.headers.get("etag") ?? "";
    expect(etag).toMatch(/^W\/"[A-Za-z0-9_-]{22}"$/);
    const notModified = await get(edge, `/v1/analyses/${json.analysis.id}`, key, { "if-none-match": etag });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get("etag")).toBe(etag);
    expect(notModified.headers.get("content-location")).toBe(`/v1/analyses/${json.analysis.id}`);

    // The quota was not touched by the GETs: the next POST has exactly one fewer remaining.
    const next = await postAnalysis(edge, key, bboxBody(2));
    const remaining = (h: string | null) => Number(/r=(\d+)/.exec(h ?? "")?.[1]);
    expect(remaining(next.headers.get("ratelimit"))).toBe(remaining(rateBefore) - 1);

    const missing = await get(edge, `/v1/analyses/${"0".repeat(64)}`, key);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
    const malformed = await get(edge, "/v1/analyses/not-an-id", key);
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { errors: unknown[] }).errors).toEqual([
      {
        path: "/id",
        message: "an analysis id is 64 lowercase hex characters, as the end of Content-Location gives it",
      },
    ]);
    // The pictures' routes take the same id, with the same words.
    const picture = await get(edge, "/v1/analyses/NOT-AN-ID/overlay.png", key);
    expect(picture.status).toBe(400);
    expect(((await picture.json()) as { errors: { message: string }[] }).errors[0]?.message).toMatch(
      /^an analysis id is 64 lowercase hex characters/,
    );
  });

  it("makes ids an HMAC under the id secret (derived from the signing secret when unset), never a hash anyone can compute", async () => {
    const body = bboxBody(41);
    const first = (await (await postAnalysis(edge, key, body)).json()) as { analysis: { id: string } };
    const call = rig.backend.calls.at(-1);
    if (!call) throw new Error("the backend was not called");
    const canonical = canonicalJson(canonicalAnalysisRequest(call.request, rig.backend.model));
    const derived = createHmac("sha256", SIGNING_SECRET).update("lanesegnet analysis ids v2").digest("hex");
    expect(first.analysis.id).toBe(createHmac("sha256", derived).update(canonical).digest("hex"));
    expect(first.analysis.id).not.toBe(createHash("sha256").update(canonical).digest("hex"));

    const idSecret = `id-${"k".repeat(40)}`;
    const own = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "1000", RESULT_ID_SECRET: idSecret }));
    try {
      const res = await postAnalysis(own, key, body);
      const second = (await res.json()) as { analysis: { id: string } };
      expect(second.analysis.id).toBe(createHmac("sha256", idSecret).update(canonical).digest("hex"));
      expect(res.headers.get("x-cache")).toBe("MISS"); // another id, so another entry
      // An id stays a key to its result, whichever secret made it.
      expect((await get(own, `/v1/analyses/${first.analysis.id}`, key)).status).toBe(200);
    } finally {
      await own.dispose();
    }
  });

  it("makes exactly one backend call for 20 identical concurrent misses", async () => {
    rig.backend.delayMs = 300;
    try {
      const before = rig.backend.calls.length;
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => postAnalysis(edge, key, bboxBody(3))),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(rig.backend.calls.length - before).toBe(1);
      const caches = responses.map((r) => r.headers.get("x-cache"));
      expect(caches.filter((c) => c === "MISS")).toHaveLength(1);
      const ids = new Set(
        await Promise.all(
          responses.map(async (r) => ((await r.json()) as { analysis: { id: string } }).analysis.id),
        ),
      );
      expect(ids.size).toBe(1);
    } finally {
      rig.backend.delayMs = 0;
    }
  });

  it("makes exactly one backend call for identical misses arriving at two isolates", async () => {
    const other = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "1000" }));
    rig.backend.delayMs = 300;
    try {
      const before = rig.backend.calls.length;
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => postAnalysis(i % 2 === 0 ? edge : other, key, bboxBody(4))),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(rig.backend.calls.length - before).toBe(1);
    } finally {
      rig.backend.delayMs = 0;
      await other.dispose();
    }
  });

  it("keeps the lock while a leader on a cold isolate loads the coverage index, then calls the backend", async () => {
    // Index 6 s + backend 1.5 s: beyond the old lock (BACKEND_TIMEOUT_MS + 5 s = 7 s), which then
    // expired under the working leader, and the waiter called the backend a second time.
    rig.backend.coverageIndexDelayMs = 6_000;
    rig.backend.delayMs = 1_500;
    const cold = await startEdge(
      rig.env({
        RATE_LIMIT_PER_HOUR: "1000",
        BACKEND_TIMEOUT_MS: "2000",
        COVERAGE_INDEX_URL: `${rig.backend.url}/coverage-index.bin`,
      }),
    );
    try {
      const before = rig.backend.calls.length;
      const leader = postAnalysis(cold, key, bboxBody(43));
      await new Promise((r) => setTimeout(r, 500));
      const waiter = postAnalysis(cold, key, bboxBody(43));
      const answers = await Promise.all([leader, waiter]);
      expect(answers.map((r) => r.status)).toEqual([200, 200]);
      expect(answers.map((r) => r.headers.get("x-cache"))).toEqual(["MISS", "HIT"]);
      expect(rig.backend.calls.length - before).toBe(1);
    } finally {
      rig.backend.coverageIndexDelayMs = 0;
      rig.backend.delayMs = 0;
      await cold.dispose();
    }
  }, 30_000);

  it("shares one result between equivalent requests (polygon start vertex and orientation)", async () => {
    const ring = [
      [153.1, -27.47],
      [153.101, -27.47],
      [153.101, -27.469],
      [153.1, -27.469],
    ];
    const closed = (r: number[][]) => [...r, r[0]];
    const a = await postAnalysis(edge, key, { area: { type: "Polygon", coordinates: [closed(ring)] } });
    const rotatedReversed = [...ring.slice(2), ...ring.slice(0, 2)].reverse();
    const b = await postAnalysis(edge, key, {
      area: { type: "Polygon", coordinates: [closed(rotatedReversed)] },
    });
    expect(a.headers.get("x-cache")).toBe("MISS");
    expect(b.headers.get("x-cache")).toBe("HIT");
    const c = await postAnalysis(edge, key, {
      area: { type: "Polygon", coordinates: [closed(ring)] },
      resolution_m: 0.5,
    });
    expect(c.headers.get("x-cache")).toBe("MISS");
    // The backend analyses every resolution coarser than the model's (MODEL_MAX_GSD_M, 0.34984)
    // there: 0.5 was sent as 0.34984, and 1 and 2 m/px are the same analysis.
    expect(rig.backend.calls.at(-1)?.request.resolution_m).toBe(0.34984);
    for (const resolution_m of [1, 2]) {
      const d = await postAnalysis(edge, key, {
        area: { type: "Polygon", coordinates: [closed(ring)] },
        resolution_m,
      });
      expect(d.headers.get("x-cache")).toBe("HIT");
    }
    // The same on the fine side (MODEL_MIN_GSD_M, 0.08025): 0.05 and 0.08 are one analysis.
    const fine = await postAnalysis(edge, key, {
      area: { type: "Polygon", coordinates: [closed(ring)] },
      resolution_m: 0.05,
    });
    expect(fine.headers.get("x-cache")).toBe("MISS");
    expect(rig.backend.calls.at(-1)?.request.resolution_m).toBe(0.08025);
    const alsoFine = await postAnalysis(edge, key, {
      area: { type: "Polygon", coordinates: [closed(ring)] },
      resolution_m: 0.08,
    });
    expect(alsoFine.headers.get("x-cache")).toBe("HIT");
  });

  it("stores large results gzip-compressed and serves them intact", async () => {
    rig.backend.extraFeatures = 200;
    try {
      const first = await postAnalysis(edge, key, bboxBody(5));
      const firstText = await first.text();
      expect(firstText.length).toBeGreaterThan(20_000);
      const id = (JSON.parse(firstText) as { analysis: { id: string } }).analysis.id;
      const direct = await connectRedis(rig.stack.redisUrl);
      const stored = await direct.get(`${rig.prefix}${CACHE_KEY_PREFIX}${id}`);
      await direct.quit();
      expect(stored?.startsWith("E1 z ")).toBe(true);
      expect(stored?.length).toBeLessThan(firstText.length / 2);

      const second = await postAnalysis(edge, key, bboxBody(5));
      expect(second.headers.get("x-cache")).toBe("HIT");
      const secondText = await second.text();
      expect(secondText).toBe(firstText.replace('"cache":"MISS"', '"cache":"HIT"'));
    } finally {
      rig.backend.extraFeatures = 0;
    }
  });

  it("serves a result over CACHE_MAX_ENTRY_BYTES without storing it (one Upstash request could not carry it)", async () => {
    const small = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "1000", CACHE_MAX_ENTRY_BYTES: "1024" }));
    rig.backend.extraFeatures = 200;
    try {
      for (let i = 0; i < 2; i++) {
        const res = await postAnalysis(small, key, bboxBody(46));
        expect(res.status).toBe(200);
        expect(res.headers.get("x-cache")).toBe("MISS");
        expect(res.headers.get("content-location")).toBeNull();
        expect(await small.auditOf(res)).toMatchObject({ cache: "MISS", stored: false });
        expect((await res.text()).length).toBeGreaterThan(20_000);
      }
    } finally {
      rig.backend.extraFeatures = 0;
      await small.dispose();
    }
  });

  it("answers a conditional GET from the entry's header line alone, not the whole result", async () => {
    // No results held in the isolate: every read goes to Redis.
    const cold = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "1000", CACHE_HOT_MAX_BYTES: "0" }));
    const direct = await connectRedis(rig.stack.redisUrl);
    try {
      const posted = await postAnalysis(cold, key, bboxBody(44));
      const etag = posted.headers.get("etag") ?? "";
      const id = ((await posted.json()) as { analysis: { id: string } }).analysis.id;
      const resultKey = `${rig.prefix}${CACHE_KEY_PREFIX}${id}`;
      const stored = (await direct.get(resultKey)) ?? "";
      // The header line kept, the body damaged: only a read of the whole entry can tell.
      await direct.set(resultKey, `${stored.slice(0, stored.indexOf("\n") + 1)}damaged`, { KEEPTTL: true });
      const notModified = await get(cold, `/v1/analyses/${id}`, key, { "if-none-match": etag });
      // Before, the whole entry was read (and decompressed) for a 304: here it answered 404.
      expect(notModified.status).toBe(304);
      expect(notModified.headers.get("etag")).toBe(etag);
      expect(notModified.headers.get("content-location")).toBe(`/v1/analyses/${id}`);
      // Without the condition the body is needed, and it is unreadable.
      expect((await get(cold, `/v1/analyses/${id}`, key)).status).toBe(404);
      expect((await get(cold, `/v1/analyses/${id}`, key, { "if-none-match": 'W/"other"' })).status).toBe(404);
    } finally {
      await direct.quit();
      await cold.dispose();
    }
  });

  it("treats an unreadable entry as absent and replaces it", async () => {
    const first = await postAnalysis(edge, key, bboxBody(6));
    const id = ((await first.json()) as { analysis: { id: string } }).analysis.id;
    const direct = await connectRedis(rig.stack.redisUrl);
    try {
      const resultKey = `${rig.prefix}${CACHE_KEY_PREFIX}${id}`;
      await direct.set(resultKey, "E9 format from the future\n{}");
      expect((await get(edge, `/v1/analyses/${id}`, key)).status).toBe(404);
      const calls = rig.backend.calls.length;
      const again = await postAnalysis(edge, key, bboxBody(6));
      expect(again.status).toBe(200);
      expect(again.headers.get("x-cache")).toBe("MISS");
      expect(rig.backend.calls.length).toBe(calls + 1);
      expect((await direct.get(resultKey))?.startsWith("E1 ")).toBe(true);
      expect((await postAnalysis(edge, key, bboxBody(6))).headers.get("x-cache")).toBe("HIT");
    } finally {
      await direct.quit();
    }
  });

  it("serves but never caches a result made by another model than the configured one", async () => {
    const configured = rig.backend.model;
    rig.backend.model = { name: configured.name, version: "2-unexpected" };
    try {
      const first = await postAnalysis(edge, key, bboxBody(7));
      expect(first.status).toBe(200);
      const second = await postAnalysis(edge, key, bboxBody(7));
      expect(second.headers.get("x-cache")).toBe("MISS");
      expect(await edge.auditOf(second)).toMatchObject({ cache: "MISS", stored: false });
      // Not stored, so no Content-Location: GET /v1/analyses/{id} would not find it.
      expect(second.headers.get("content-location")).toBeNull();
      const { analysis } = (await second.json()) as { analysis: { id: string } };
      expect((await get(edge, `/v1/analyses/${analysis.id}`, key)).status).toBe(404);
    } finally {
      rig.backend.model = configured;
    }
  });
  it("lets identical waiters compute side by side when the leader's result cannot be stored", async () => {
    // Once they took the lock one after another: each waited out the one before (the last ones
    // could wait past the bound and get 503 analysis-pending).
    const configured = rig.backend.model;
    rig.backend.model = { name: configured.name, version: "2-unexpected" };
    rig.backend.delayMs = 800;
    rig.backend.maxInFlight = 0;
    try {
      const before = rig.backend.calls.length;
      const responses = await Promise.all(
        Array.from({ length: 4 }, () => postAnalysis(edge, key, bboxBody(45))),
      );
      expect(responses.map((r) => [r.status, r.headers.get("x-cache")])).toEqual(
        Array(4).fill([200, "MISS"]),
      );
      for (const r of responses) await r.arrayBuffer();
      expect(rig.backend.calls.length - before).toBe(4);
      // The leader alone first, then the three waiters at once.
      expect(rig.backend.maxInFlight).toBe(3);
    } finally {
      rig.backend.model = configured;
      rig.backend.delayMs = 0;
    }
  });

  it("confirms a result it holds by the entry's header line and never serves one Redis no longer has", async () => {
    const body = bboxBody(8);
    const count = (command: string) => rig.stack.bridge.stats.byCommand.get(command) ?? 0;
    const sent = async () => {
      const [gets, ranges] = [count("GET"), count("GETRANGE")];
      const res = await postAnalysis(edge, key, body);
      return { res, text: await res.text(), gets: count("GET") - gets, ranges: count("GETRANGE") - ranges };
    };
    const miss = await sent();
    expect(miss.res.headers.get("x-cache")).toBe("MISS");
    const id = (JSON.parse(miss.text) as { analysis: { id: string } }).analysis.id;

    // The first hit reads the whole entry (and the API key's record: one GET each); the isolate
    // then holds it, and the next hit reads only the entry's header line.
    const first = await sent();
    expect(first).toMatchObject({ gets: 2, ranges: 0 });
    const held = await sent();
    expect(held).toMatchObject({ gets: 1, ranges: 1 });
    expect(held.res.headers.get("x-cache")).toBe("HIT");
    expect(held.text).toBe(first.text);
    expect(held.res.headers.get("etag")).toBe(first.res.headers.get("etag"));

    const direct = await connectRedis(rig.stack.redisUrl);
    try {
      const resultKey = `${rig.prefix}${CACHE_KEY_PREFIX}${id}`;
      // Replaced by another entry (another ETag in its header): that one is read and served.
      const stored = (await direct.get(resultKey)) as string;
      const replacement = stored.replace(/^E1 j \S+ /, 'E1 j W/"replaced" ');
      expect(replacement).not.toBe(stored);
      await direct.set(resultKey, replacement);
      const replaced = await sent();
      expect(replaced.res.headers.get("etag")).toBe('W/"replaced"');
      expect(replaced).toMatchObject({ gets: 2, ranges: 1 });

      // Gone from Redis (expired or deleted): computed again, not served from the isolate.
      await direct.del(resultKey);
      const calls = rig.backend.calls.length;
      const gone = await sent();
      expect(gone.res.headers.get("x-cache")).toBe("MISS");
      expect(rig.backend.calls.length).toBe(calls + 1);
    } finally {
      await direct.quit();
    }

    // GET /v1/analyses/{id} uses what the isolate holds too.
    await sent();
    const ranges = count("GETRANGE");
    const byId = await get(edge, `/v1/analyses/${id}`, key);
    expect(byId.status).toBe(200);
    expect(count("GETRANGE") - ranges).toBe(1);
    expect((await byId.text()).startsWith(BODY_PREFIX_HIT)).toBe(true);
  });

  it("holds nothing with CACHE_HOT_MAX_BYTES=0: every hit reads the whole entry", async () => {
    const cold = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "1000", CACHE_HOT_MAX_BYTES: "0" }));
    try {
      const body = bboxBody(9);
      expect((await postAnalysis(cold, key, body)).headers.get("x-cache")).toBe("MISS");
      const ranges = rig.stack.bridge.stats.byCommand.get("GETRANGE") ?? 0;
      for (let i = 0; i < 3; i++) {
        const res = await postAnalysis(cold, key, body);
        expect(res.headers.get("x-cache")).toBe("HIT");
        await res.text();
      }
      expect(rig.stack.bridge.stats.byCommand.get("GETRANGE") ?? 0).toBe(ranges);
    } finally {
      await cold.dispose();
    }
  });
});
