import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { targetGrid } from "../raster/target-grid.js";
import { AllProvidersFailedError, fetchFromChain } from "./chain.js";
import { createEsriProvider } from "./esri.js";
import { type Loopback, startLoopback } from "./test-support.js";
import type { ImageryProvider, ImageryRequest } from "./types.js";
import { createXyzProvider } from "./xyz.js";

const AREA = [-0.3771, 39.4692, -0.3752, 39.4706] as const;
const FAST_RETRY = { retries: 2, baseDelayMs: 5, maxDelayMs: 20 };

let hanging: Loopback;
let failing: Loopback;
let serving: Loopback;

beforeAll(async () => {
  const grey = await sharp({ create: { width: 256, height: 256, channels: 3, background: "#5a6b7c" } })
    .jpeg()
    .toBuffer();
  [hanging, failing, serving] = await Promise.all([
    startLoopback(() => undefined),
    startLoopback((_req, res) => void res.writeHead(500).end("internal error")),
    startLoopback((_req, res) => void res.writeHead(200, { "content-type": "image/jpeg" }).end(grey)),
  ]);
});
afterAll(async () => {
  await Promise.all([hanging.close(), failing.close(), serving.close()]);
});

function xyz(
  name: string,
  server: Loopback,
  extra: { timeoutMs?: number; maxZoom?: number } = {},
): ImageryProvider {
  return createXyzProvider({
    name,
    attribution: `${name} imagery`,
    urlTemplate: `${server.url}/{z}/{x}/{y}`,
    tileSize: 256,
    maxZoom: extra.maxZoom ?? 19,
    timeoutMs: extra.timeoutMs ?? 2_000,
    retry: FAST_RETRY,
  });
}

const request = (extra: Partial<ImageryRequest> = {}): ImageryRequest => ({
  grid: targetGrid(AREA, 0.5),
  bboxLonLat: AREA,
  ...extra,
});

describe("fetchFromChain", () => {
  it("falls back past a timeout and a 500 to the provider that serves, listing why", async () => {
    const started = performance.now();
    const { result, failures } = await fetchFromChain(
      [xyz("slow", hanging, { timeoutMs: 200 }), xyz("broken", failing), xyz("good", serving)],
      request(),
    );
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(result.provider).toBe("good");
    expect(result.attribution).toBe("good imagery");
    expect(result.raster.rgb[0]).toBeGreaterThan(80);
    expect(failures).toEqual([
      { provider: "slow", reason: "timeout", message: "slow: no answer within 200 ms" },
      {
        provider: "broken",
        reason: "http_status",
        status: 500,
        message: expect.stringMatching(/^broken: HTTP 500 for tile 18\//),
      },
    ]);
    expect(failing.requests.length).toBeGreaterThanOrEqual(3); // retried before giving up
  });

  it("skips providers coarser than the limit without contacting them", async () => {
    const before = serving.requests.length;
    const { result, failures } = await fetchFromChain(
      [
        xyz("coarse", serving, { maxZoom: 14 }),
        createEsriProvider({ urlTemplate: `${serving.url}/{z}/{y}/{x}` }),
      ],
      request(),
      { maxGroundResolutionM: 0.6 },
    );
    expect(result.provider).toBe("esri");
    expect(failures).toEqual([
      {
        provider: "coarse",
        reason: "too_coarse",
        message: expect.stringContaining("coarser than the limit 0.6"),
      },
    ]);
    // Only esri's zoom-18 tiles (0.46 m/px here) were fetched.
    expect(serving.requests.slice(before).every((r) => r.startsWith("/18/"))).toBe(true);
  });

  it("refuses imagery delivered coarser than the limit by a provider that does not hold to it", async () => {
    // A real tile provider serving zoom-14 tiles (7 m/px here) that neither says its resolution
    // before looking nor honours the request's limit (a provider's bug the chain must not pass on).
    const inner = xyz("careless", serving, { maxZoom: 14 });
    const careless: ImageryProvider = {
      ...inner,
      nativeGroundResolution: () => Number.NaN,
      fetch: ({ maxGroundResolutionM: _limit, ...unbounded }) => inner.fetch(unbounded),
    };
    const { result, failures } = await fetchFromChain(
      [careless, createEsriProvider({ urlTemplate: `${serving.url}/{z}/{y}/{x}` })],
      request(),
      { maxGroundResolutionM: 0.6 },
    );
    expect(result.provider).toBe("esri");
    expect(failures).toEqual([
      {
        provider: "careless",
        reason: "too_coarse",
        message: expect.stringMatching(/^careless: delivered .* coarser than the limit 0\.6/),
      },
    ]);
  });

  it("throws AllProvidersFailedError with every reason when nothing serves", async () => {
    const err = await fetchFromChain(
      [xyz("broken", failing), xyz("slow", hanging, { timeoutMs: 100 })],
      request(),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllProvidersFailedError);
    expect((err as AllProvidersFailedError).failures.map((f) => [f.provider, f.reason])).toEqual([
      ["broken", "http_status"],
      ["slow", "timeout"],
    ]);
    expect((err as Error).message).toBe(
      "no imagery provider could serve the area: broken http_status, slow timeout",
    );
  });

  it("stops at once when the caller aborts, trying no further provider", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("client gone")), 50);
    const before = serving.requests.length;
    const err = await fetchFromChain(
      [xyz("slow", hanging, { timeoutMs: 5_000 }), xyz("good", serving)],
      request({ signal: controller.signal }),
    ).catch((e: unknown) => e);
    expect((err as Error).message).toBe("client gone");
    expect(serving.requests.length).toBe(before);
  });

  it("reports non-provider errors by type only, and hands the error itself to the operator's hook", async () => {
    const bug = new TypeError("secret-ish details https://example.test/?key=abc");
    const buggy: ImageryProvider = {
      name: "buggy",
      attribution: "",
      nativeGroundResolution: () => 0.3,
      fetch: async () => {
        throw bug;
      },
    };
    const seen: [string, unknown][] = [];
    const { failures } = await fetchFromChain([buggy, xyz("good", serving)], request(), {
      onUnexpected: (provider, error) => seen.push([provider, error]),
    });
    expect(failures).toEqual([
      { provider: "buggy", reason: "unexpected", message: "buggy: unexpected TypeError" },
    ]);
    // Before, a bug showed only as a silent fallback: nothing logged it.
    expect(seen).toEqual([["buggy", bug]]);
  });
});
