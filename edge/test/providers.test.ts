import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis } from "../../test/harness/index.js";
import { createKey } from "./support/credentials.js";
import { type EdgeWorker, type Rig, startEdge, startRig } from "./support/edge.js";
import { storedTtlS, twoImageIndex } from "./support/local-store.js";
import { bboxBody, get, postAnalysis } from "./support/requests.js";

let rig: Rig;
let edge: EdgeWorker;
let key: string;

interface Body {
  analysis: {
    id: string;
    imagery: { provider: string };
    providers_tried: { provider: string; outcome: string }[];
  };
}

beforeAll(async () => {
  rig = await startRig("providers");
  rig.backend.coverageIndex = twoImageIndex();
  edge = await startEdge(
    rig.env({ RATE_LIMIT_PER_HOUR: "1000", COVERAGE_INDEX_URL: `${rig.backend.url}/coverage-index.bin` }),
  );
  key = await createKey(rig, "provider-user");
});

afterAll(async () => {
  await edge?.dispose();
  await rig?.close();
});

describe("provider choice", () => {
  it("offers local first where the index covers the area, and skips it where not", async () => {
    const covered = await postAnalysis(edge, key, bboxBody(0));
    expect(covered.status).toBe(200);
    expect(rig.backend.calls.at(-1)?.providers).toEqual(["local", "esri", "mapbox", "gee"]);
    const coveredBody = (await covered.json()) as Body;
    expect(coveredBody.analysis.imagery.provider).toBe("local");
    expect(await storedTtlS(rig, coveredBody.analysis.id)).toBeGreaterThan(29 * 86_400);

    const outside = await postAnalysis(edge, key, bboxBody(10));
    expect(rig.backend.calls.at(-1)?.providers).toEqual(["esri", "mapbox", "gee"]);
    const body = (await outside.json()) as Body;
    expect(body.analysis.imagery.provider).toBe("esri");
    // Local has no imagery there, a lasting fact: the result is kept as long as any.
    expect(await storedTtlS(rig, body.analysis.id)).toBeGreaterThan(29 * 86_400);
    expect(body.analysis.providers_tried).toEqual([
      { provider: "local", outcome: "no_coverage", reason: "no local imagery intersects the area" },
      { provider: "esri", outcome: "used" },
    ]);

    // Straddling the east edge of the index: only partly covered.
    await postAnalysis(edge, key, { area: { type: "bbox", bbox: [153.0295, -27.47, 153.0305, -27.469] } });
    expect(rig.backend.calls.at(-1)?.providers).toEqual(["esri", "mapbox", "gee"]);
  });

  it("tries a failing provider last on the next requests, never drops it, and reports it", async () => {
    rig.backend.failing.add("local");
    try {
      const first = await postAnalysis(edge, key, bboxBody(1));
      expect(rig.backend.calls.at(-1)?.providers).toEqual(["local", "esri", "mapbox", "gee"]);
      const firstBody = (await first.json()) as Body;
      expect(firstBody.analysis.providers_tried.map((a) => [a.provider, a.outcome])).toEqual([
        ["local", "failed"],
        ["esri", "used"],
      ]);
      // Made after a transient failure: kept for DEGRADED_CACHE_TTL_S (1 h), not the 30 days of
      // CACHE_TTL_S, so the preferred imagery serves this area again once its provider is back.
      const degradedTtl = await storedTtlS(rig, firstBody.analysis.id);
      expect(degradedTtl).toBeGreaterThan(3_500);
      expect(degradedTtl).toBeLessThanOrEqual(3_600);
      // Health is recorded after the response (waitUntil); give it a moment.
      await waitFor(async () => {
        const res = await get(edge, "/v1/providers", key);
        const p = (await res.json()) as { providers: { name: string; healthy: boolean | null }[] };
        return p.providers.find((x) => x.name === "local")?.healthy === false;
      });

      const second = await postAnalysis(edge, key, bboxBody(2));
      expect(rig.backend.calls.at(-1)?.providers).toEqual(["esri", "mapbox", "gee", "local"]);
      const secondBody = (await second.json()) as Body;
      expect(secondBody.analysis.providers_tried.map((a) => [a.provider, a.outcome])).toEqual([
        ["local", "unhealthy"],
        ["esri", "used"],
      ]);

      const providersRes = await get(edge, "/v1/providers", key);
      expect(providersRes.headers.get("cache-control")).toBe("no-store");
      const providers = (await providersRes.json()) as {
        providers: { name: string; healthy: boolean; recent_failures: number; retry_in_s: number }[];
        coverage_index: string;
      };
      expect(providers.coverage_index).toBe("ready");
      expect(providers.providers.map((p) => p.name)).toEqual(["local", "esri", "mapbox", "gee"]);
      expect(providers.providers[0]).toMatchObject({ name: "local", healthy: false, recent_failures: 1 });
      expect(providers.providers[0]?.retry_in_s).toBeGreaterThan(0);
      expect(providers.providers[1]).toMatchObject({ name: "esri", healthy: true, recent_failures: 0 });

      // One user's failure marked local unhealthy for everyone. Where the providers left cannot
      // serve an area, local is still reached (dropping it answered 502 no-imagery to all).
      rig.backend.failing.clear();
      for (const p of ["esri", "mapbox", "gee"] as const) rig.backend.failing.add(p);
      const others = await postAnalysis(edge, key, {
        area: { type: "bbox", bbox: [153.021, -27.468, 153.022, -27.467] },
      });
      expect(others.status).toBe(200);
      expect(rig.backend.calls.at(-1)?.providers).toEqual(["esri", "mapbox", "gee", "local"]);
      const othersBody = (await others.json()) as Body;
      expect(othersBody.analysis.imagery.provider).toBe("local");
      // In the order they were tried: local, unhealthy, last.
      expect(othersBody.analysis.providers_tried.map((a) => [a.provider, a.outcome])).toEqual([
        ["esri", "failed"],
        ["mapbox", "failed"],
        ["gee", "failed"],
        ["local", "used"],
      ]);
      // Their failures are recorded after the response (waitUntil): wait for them, so the clean-up
      // below cannot run first and leave esri unhealthy for the next test.
      await waitFor(async () => {
        const p = (await (await get(edge, "/v1/providers", key)).json()) as {
          providers: { name: string; healthy: boolean | null }[];
        };
        return p.providers.filter((x) => x.name !== "local").every((x) => x.healthy === false);
      });
    } finally {
      rig.backend.failing.clear();
      const direct = await connectRedis(rig.stack.redisUrl);
      await direct.del(["esri", "mapbox", "gee"].map((p) => `${rig.prefix}provider-failures:${p}`));
      await direct.quit();
    }

    // Asked for local only, the unhealthy provider is still tried (never a refusal for a stale
    // failure); it works again, and its success clears its record.
    const onlyLocal = await postAnalysis(edge, key, bboxBody(3, { providers: ["local"] }));
    expect(onlyLocal.status).toBe(200);
    expect(rig.backend.calls.at(-1)?.providers).toEqual(["local"]);
    await waitFor(async () => {
      const p = (await (await get(edge, "/v1/providers", key)).json()) as {
        providers: { healthy: boolean }[];
      };
      return p.providers[0]?.healthy === true;
    });
  });

  it("records failures the backend reports when no provider delivered (502 no-imagery)", async () => {
    rig.backend.failing.add("gee");
    try {
      const res = await postAnalysis(edge, key, bboxBody(12, { providers: ["gee"] }));
      expect(res.status).toBe(502);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("retry-after")).toBe("30");
      const problem = (await res.json()) as {
        type: string;
        title: string;
        providers_tried?: { provider: string; outcome: string }[];
      };
      expect(problem.type).toBe("/problems/no-imagery");
      // Why, in a result's terms, and titled as the edge's own no-imagery answers are.
      expect(problem.title).toBe("No imagery for this area");
      expect(problem.providers_tried?.map((a) => [a.provider, a.outcome])).toEqual([["gee", "failed"]]);
      await waitFor(async () => {
        const p = (await (await get(edge, "/v1/providers", key)).json()) as {
          providers: { name: string; healthy: boolean }[];
        };
        return p.providers.find((x) => x.name === "gee")?.healthy === false;
      });
      // The next request tries the failing provider only after the others.
      await postAnalysis(edge, key, bboxBody(13, { providers: ["gee", "esri"] }));
      expect(rig.backend.calls.at(-1)?.providers).toEqual(["esri", "gee"]);
    } finally {
      rig.backend.failing.clear();
      const direct = await connectRedis(rig.stack.redisUrl);
      await direct.del(`${rig.prefix}provider-failures:gee`);
      await direct.quit();
    }
  });

  it("says which providers the backend can use, from its readiness answer", async () => {
    type Listed = { providers: { name: string; configured: boolean | null; healthy: boolean | null }[] };
    const listed = async () => ((await (await get(edge, "/v1/providers", key)).json()) as Listed).providers;
    const configured = async () => (await listed()).map((p) => [p.name, p.configured]);
    // A backend that does not say: unknown, never a guess.
    expect(await configured()).toEqual([
      ["local", null],
      ["esri", null],
      ["mapbox", null],
      ["gee", null],
    ]);
    rig.backend.imageryProviders = ["local", "esri"];
    try {
      // The answer is memoised for 2 s per isolate.
      await waitFor(async () => (await configured())[2]?.[1] === false, 5_000);
      expect(await configured()).toEqual([
        ["local", true],
        ["esri", true],
        ["mapbox", false],
        ["gee", false],
      ]);
      // Health is known only of what the backend can try: never "healthy" beside "configured: false".
      expect((await listed()).map((p) => [p.name, p.healthy])).toEqual([
        ["local", true],
        ["esri", true],
        ["mapbox", null],
        ["gee", null],
      ]);
    } finally {
      rig.backend.imageryProviders = undefined;
    }
  });

  it("follows the user's preference within the configured chain", async () => {
    await postAnalysis(edge, key, bboxBody(4, { providers: ["mapbox", "esri"] }));
    expect(rig.backend.calls.at(-1)?.providers).toEqual(["mapbox", "esri"]);

    const narrow = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "1000", PROVIDER_CHAIN: "esri" }));
    try {
      const calls = rig.backend.calls.length;
      const refused = await postAnalysis(narrow, key, bboxBody(5, { providers: ["mapbox", "gee"] }));
      expect(refused.status).toBe(422);
      expect(refused.headers.get("content-type")).toBe("application/problem+json");
      const refusal = (await refused.json()) as {
        type: string;
        title: string;
        providers_tried?: { provider: string; outcome: string }[];
      };
      expect(refusal.type).toBe("/problems/no-imagery");
      expect(refusal.title).toBe("No imagery for this area");
      expect(refusal.providers_tried?.map((a) => [a.provider, a.outcome])).toEqual([
        ["mapbox", "not_configured"],
        ["gee", "not_configured"],
      ]);
      expect(rig.backend.calls.length).toBe(calls);

      const mixed = await postAnalysis(narrow, key, bboxBody(5, { providers: ["mapbox", "esri"] }));
      expect(rig.backend.calls.at(-1)?.providers).toEqual(["esri"]);
      expect(((await mixed.json()) as Body).analysis.providers_tried).toEqual([
        { provider: "mapbox", outcome: "not_configured", reason: "not enabled on this server" },
        { provider: "esri", outcome: "used" },
      ]);
    } finally {
      await narrow.dispose();
    }
  });
});

describe("GET /v1/coverage", () => {
  it("returns the local footprints intersecting an area as GeoJSON, best first", async () => {
    const res = await get(edge, "/v1/coverage?bbox=153.024,-27.47,153.026,-27.469", key);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/geo+json");
    const fc = (await res.json()) as {
      type: string;
      truncated: boolean;
      features: {
        id: string;
        geometry: { type: string; coordinates: number[][][] };
        properties: { coverage: number };
      }[];
    };
    expect(fc.type).toBe("FeatureCollection");
    expect(fc.truncated).toBe(false);
    expect(fc.features.map((f) => f.id).sort()).toEqual(["east", "west"]);
    expect(fc.features[0]?.geometry.type).toBe("Polygon");
    const west = fc.features.find((f) => f.id === "west");
    expect(west?.geometry.coordinates[0]?.[0]?.[0]).toBeCloseTo(153.02, 9);
    expect(west?.properties.coverage).toBeCloseTo(0.5, 6);
    // snake_case with units, as the rest of the API; no file names of the operator's store.
    expect(Object.keys(west?.properties ?? {}).sort()).toEqual([
      "coverage",
      "ground_resolution_m",
      "height_px",
      "id",
      "mercator_resolution_m",
      "width_px",
    ]);

    const one = (await (
      await get(edge, "/v1/coverage?bbox=153.024,-27.47,153.026,-27.469&limit=1", key)
    ).json()) as {
      features: unknown[];
      truncated: boolean;
    };
    expect(one.features).toHaveLength(1);
    expect(one.truncated).toBe(true);

    const none = (await (await get(edge, "/v1/coverage?bbox=10,10,10.1,10.1", key)).json()) as {
      features: unknown[];
    };
    expect(none.features).toEqual([]);
  });

  it.each([
    ["missing bbox", ""],
    ["three numbers", "?bbox=1,2,3"],
    ["not numbers", "?bbox=a,b,c,d"],
    ["inverted", "?bbox=153.03,-27.47,153.02,-27.46"],
    ["out of range", "?bbox=179,80,181,89"],
    ["too wide", "?bbox=150,-30,152,-28"],
    ["bad limit", "?bbox=153.02,-27.47,153.03,-27.46&limit=0"],
  ])("refuses %s with 400 problem+json", async (_name, query) => {
    const res = await get(edge, `/v1/coverage${query}`, key);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    // It names the part of the request at fault (the query string, not "the request body").
    expect(((await res.json()) as { detail: string }).detail).toMatch(/^The request query string /);
  });

  it("answers 503 without an index (no Retry-After: retrying will not help), and then leaves local coverage to the backend", async () => {
    const noIndex = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "1000" }));
    try {
      const res = await get(noIndex, "/v1/coverage?bbox=153.02,-27.47,153.03,-27.46", key);
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("retry-after")).toBeNull();
      const body = (await res.json()) as { type: string; detail: string; instance?: string };
      expect(body.type).toMatch(/storage-unavailable$/);
      expect(body.instance).toBe("/v1/coverage");
      expect(body.detail).toMatch(/no local imagery index configured; retrying will not change that/);
      await postAnalysis(noIndex, key, bboxBody(11));
      expect(rig.backend.calls.at(-1)?.providers).toEqual(["local", "esri", "mapbox", "gee"]);
    } finally {
      await noIndex.dispose();
    }
  });

  it("answers 503 with Retry-After: 30 when the configured index cannot be loaded", async () => {
    const broken = await startEdge(
      rig.env({ RATE_LIMIT_PER_HOUR: "1000", COVERAGE_INDEX_URL: `${rig.backend.url}/no-such-index.bin` }),
    );
    try {
      const res = await get(broken, "/v1/coverage?bbox=153.02,-27.47,153.03,-27.46", key);
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("retry-after")).toBe("30");
      expect(await res.json()).toMatchObject({
        detail: expect.stringMatching(/try again shortly/),
        instance: "/v1/coverage",
      });
    } finally {
      await broken.dispose();
    }
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}
