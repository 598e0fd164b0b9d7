import type { ServerResponse } from "node:http";
import {
  gridBoundsLonLat,
  groundResolutionAtZoom,
  type LonLatBbox,
  mercatorToPixel,
  tileCover,
} from "@lanesegnet/shared";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { targetGrid } from "../raster/target-grid.js";
import { fetchFromChain } from "./chain.js";
import {
  NoCoverageError,
  ProviderBadDataError,
  ProviderHttpError,
  type ProviderNetworkError,
  ProviderTimeoutError,
  TooCoarseError,
} from "./errors.js";
import { createEsriProvider } from "./esri.js";
import { createMapboxProvider } from "./mapbox.js";
import {
  cutTiles,
  type Handler,
  type Loopback,
  makeWorld,
  markerCentroid,
  patternError,
  startLoopback,
  type World,
  worldBbox,
} from "./test-support.js";
import type { ImageryRequest } from "./types.js";

const TOKEN = "pk.SECRET-mapbox-token-1234567890abcdef";
const FAST_RETRY = { retries: 2, baseDelayMs: 5, maxDelayMs: 20 };

let world: World;
let tiles256: Map<string, Buffer>;
let tiles512: Map<string, Buffer>;
let server: Loopback;

/** The Mapbox token the tile server accepts. */
let acceptedToken = TOKEN;
/** How the tile server says a tile does not exist: 404, or 204 No Content as some servers do. */
let missingStatus: 404 | 204 = 404;

function sendTile(res: ServerResponse, tile: Buffer | undefined): void {
  if (!tile) {
    if (missingStatus === 204) res.writeHead(204).end();
    else res.writeHead(404, { "content-type": "text/plain" }).end("no tile");
    return;
  }
  res.writeHead(200, { "content-type": "image/jpeg", "content-length": tile.length }).end(tile);
}

/** Serves /esri/tile/{z}/{y}/{x} (256 px) and /mapbox/{z}/{x}/{y}@2x.jpg90?access_token= (512 px). */
const serveTiles: Handler = (req, res) => {
  const url = new URL(req.url ?? "", "http://x");
  const esri = /^\/esri\/tile\/(\d+)\/(\d+)\/(\d+)$/.exec(url.pathname);
  if (esri) return sendTile(res, tiles256.get(`${esri[1]}/${esri[3]}/${esri[2]}`));
  const mapbox = /^\/mapbox\/(\d+)\/(\d+)\/(\d+)@2x\.jpg90$/.exec(url.pathname);
  if (mapbox) {
    if (url.searchParams.get("access_token") !== acceptedToken) {
      res
        .writeHead(401, { "content-type": "application/json" })
        .end('{"message":"Not Authorized - Invalid Token"}');
      return;
    }
    return sendTile(res, tiles512.get(`${mapbox[1]}/${mapbox[2]}/${mapbox[3]}`));
  }
  res.writeHead(404).end();
};

const esri = (opts: Parameters<typeof createEsriProvider>[0] = {}) =>
  createEsriProvider({
    urlTemplate: `${server.url}/esri/tile/{z}/{y}/{x}`,
    retry: FAST_RETRY,
    timeoutMs: 5_000,
    ...opts,
  });
const mapbox = (opts: Parameters<typeof createMapboxProvider>[0] = {}) =>
  createMapboxProvider({
    urlTemplate: `${server.url}/mapbox/{z}/{x}/{y}@2x.jpg90?access_token={key}`,
    accessToken: TOKEN,
    retry: FAST_RETRY,
    timeoutMs: 5_000,
    ...opts,
  });

/** A request for an area inside the world at 1.3x the zoom-18 ground resolution (so zoom 18 is chosen). */
function request(bbox: LonLatBbox, extra: Partial<ImageryRequest> = {}): ImageryRequest {
  const lat = (bbox[1] + bbox[3]) / 2;
  return { grid: targetGrid(bbox, 1.3 * groundResolutionAtZoom(18, lat)), bboxLonLat: bbox, ...extra };
}

beforeAll(async () => {
  world = makeWorld();
  [tiles256, tiles512] = await Promise.all([cutTiles(world, 256), cutTiles(world, 512)]);
  server = await startLoopback(serveTiles);
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.handler = serveTiles;
  server.requests.length = 0;
});

describe("XYZ providers against a loopback tile server", () => {
  const area = () => worldBbox(world, 120.3, 101.2, 455.9, 480.7);

  it("esri: assembles zoom-18 tiles exactly onto the target grid", async () => {
    const req = request(area());
    const result = await esri().fetch(req);
    const lat = (req.bboxLonLat[1] + req.bboxLonLat[3]) / 2;
    expect(result).toMatchObject({ provider: "esri", coverage: 1 });
    expect(result.attribution).toBe("Esri, Maxar, Earthstar Geographics, and the GIS User Community");
    expect(result.groundResolutionM).toBeCloseTo(groundResolutionAtZoom(18, lat), 12);
    expect(result.raster.grid).toEqual(req.grid);
    // Exactly the tiles that cover the grid, each once.
    const expected = tileCover(gridBoundsLonLat(req.grid), 18).map((t) => `/esri/tile/18/${t.y}/${t.x}`);
    expect([...server.requests].sort()).toEqual(expected.sort());
    // The raster is the known image resampled: small error (JPEG + bilinear), and the marker
    // lands where the geotransform says.
    expect(patternError(req.grid, result.raster.rgb, world.marker)).toBeLessThan(3);
    const [cx, cy] = markerCentroid(result.raster.rgb, req.grid, world.marker);
    const [ex, ey] = mercatorToPixel(req.grid, world.marker[0], world.marker[1]);
    expect(Math.abs(cx - ex)).toBeLessThan(0.1);
    expect(Math.abs(cy - ey)).toBeLessThan(0.1);
  });

  it("mapbox: assembles 512-px @2x zoom-17 tiles with the key in the URL only", async () => {
    const req = request(area());
    const result = await mapbox().fetch(req);
    expect(result).toMatchObject({
      provider: "mapbox",
      coverage: 1,
      attribution: "© Mapbox © OpenStreetMap © Maxar",
    });
    expect(server.requests.every((r) => /^\/mapbox\/17\/\d+\/\d+@2x\.jpg90\?access_token=/.test(r))).toBe(
      true,
    );
    expect(patternError(req.grid, result.raster.rgb, world.marker)).toBeLessThan(3);
    const [cx, cy] = markerCentroid(result.raster.rgb, req.grid, world.marker);
    const [ex, ey] = mercatorToPixel(req.grid, world.marker[0], world.marker[1]);
    expect(Math.abs(cx - ex)).toBeLessThan(0.1);
    expect(Math.abs(cy - ey)).toBeLessThan(0.1);
    const { raster: _, ...meta } = result;
    expect(JSON.stringify(meta)).not.toContain(TOKEN);
  });

  it("mapbox: sends a key with URL-special characters as the key, not as more parameters", async () => {
    acceptedToken = "pk.odd&token=x+y/z#w";
    try {
      const result = await mapbox({ accessToken: acceptedToken }).fetch(request(area()));
      expect(result.coverage).toBe(1);
    } finally {
      acceptedToken = TOKEN;
    }
  });

  it("retries 503 and 429 (idempotent GETs), then succeeds", async () => {
    const seen = new Map<string, number>();
    server.handler = (req, res, body) => {
      const n = (seen.get(req.url ?? "") ?? 0) + 1;
      seen.set(req.url ?? "", n);
      if (n === 1) return void res.writeHead(503).end("busy");
      if (n === 2) return void res.writeHead(429, { "retry-after": "0" }).end("slow down");
      return serveTiles(req, res, body);
    };
    const req = request(worldBbox(world, 10, 10, 60, 60));
    const result = await esri().fetch(req);
    expect(result.coverage).toBe(1);
    expect([...seen.values()].every((n) => n === 3)).toBe(true);
  });

  it("does not retry a 4xx and reports the status", async () => {
    server.handler = (_req, res) => void res.writeHead(400).end("bad");
    const err = await esri()
      .fetch(request(worldBbox(world, 10, 10, 60, 60)))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect((err as ProviderHttpError).status).toBe(400);
    expect(new Set(server.requests).size).toBe(server.requests.length);
  });

  it("gives up on persistent 5xx after the bounded retries", async () => {
    server.handler = (_req, res) => void res.writeHead(500).end("oops");
    const err = await esri()
      .fetch(request(worldBbox(world, 10, 10, 60, 60)))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect((err as ProviderHttpError).status).toBe(500);
    expect((err as Error).message).toMatch(/^esri: HTTP 500 for tile 18\/\d+\/\d+$/);
    expect(server.requests.length).toBe(3); // one tile, 1 + 2 retries
  });

  it("times out on a server that never answers, at its deadline, without retrying the hung read", async () => {
    server.handler = () => undefined; // hold the request open
    const started = performance.now();
    const err = await esri({ timeoutMs: 300 })
      .fetch(request(worldBbox(world, 10, 10, 60, 60)))
      .catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(err).toBeInstanceOf(ProviderTimeoutError);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    // The deadline covers the whole fetch: the hung read is not retried (one tile, one request).
    expect(server.requests.length).toBe(1);
    // A bound in seconds, not at the deadline's own scale: a loaded 2-core machine delays timers.
    expect(elapsed).toBeLessThan(3_000);
  });

  it("a caller abort is rethrown as is, not turned into a provider failure", async () => {
    server.handler = () => undefined;
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("client went away")), 50);
    const err = await esri({ timeoutMs: 5_000 })
      .fetch(request(worldBbox(world, 10, 10, 60, 60), { signal: controller.signal }))
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe("client went away");
  });

  it("rejects garbage: undecodable bytes, non-image content, wrong tile size", async () => {
    const req = request(worldBbox(world, 10, 10, 60, 60));
    server.handler = (_req, res) =>
      void res
        .writeHead(200, { "content-type": "image/jpeg" })
        .end(Buffer.from("\xff\xd8\xffgarbage".repeat(50)));
    await expect(esri().fetch(req)).rejects.toThrow(ProviderBadDataError);
    server.handler = (_req, res) =>
      void res.writeHead(200, { "content-type": "text/html" }).end("<html>login</html>");
    await expect(esri().fetch(req)).rejects.toThrow(/expected an image, got content-type "text\/html"/);
    const small = await sharp({ create: { width: 100, height: 100, channels: 3, background: "#808080" } })
      .png()
      .toBuffer();
    server.handler = (_req, res) => void res.writeHead(200, { "content-type": "image/png" }).end(small);
    await expect(esri().fetch(req)).rejects.toThrow(/tile is 100 x 100 px, expected 256 x 256/);
  });

  it("reports missing tiles as no coverage with the covered fraction", async () => {
    // A request across the world's east edge: the tiles beyond it do not exist (404).
    const req = request(worldBbox(world, 500, 100, 700, 200));
    const err = await esri()
      .fetch(req)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoCoverageError);
    const coverage = (err as NoCoverageError).coverage;
    expect(coverage).toBeGreaterThan((611.5 - 500) / 200 - 0.02);
    expect(coverage).toBeLessThan((611.5 - 500) / 200 + 0.02);
  });

  it("takes a 204 No Content for a missing tile as well", async () => {
    missingStatus = 204;
    try {
      const err = await esri()
        .fetch(request(worldBbox(world, 500, 100, 700, 200)))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NoCoverageError);
      expect((err as NoCoverageError).coverage).toBeCloseTo((611.5 - 500) / 200, 1);
    } finally {
      missingStatus = 404;
    }
  });

  it("refuses before fetching when the deepest zoom is coarser than the limit", async () => {
    const err = await esri({ maxZoom: 15 })
      .fetch(request(area(), { maxGroundResolutionM: 1 }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TooCoarseError);
    expect(server.requests).toEqual([]);
  });
});

describe("the Mapbox key never leaks", () => {
  const leaks = (e: unknown): boolean =>
    [String(e), (e as Error).message, (e as Error).stack ?? "", JSON.stringify(e)].some((s) =>
      s.includes(TOKEN),
    ) || (e as Error).message.includes(TOKEN.slice(3, 20));

  it("in errors for a rejected key, server errors, garbage, timeouts and refused connections", async () => {
    const req = () => request(worldBbox(world, 10, 10, 60, 60));
    const errors: unknown[] = [];
    errors.push(
      await mapbox({ accessToken: `${TOKEN}-wrong` })
        .fetch(req())
        .catch((e: unknown) => e),
    );
    server.handler = (_req, res) => void res.writeHead(500).end(`upstream said ${TOKEN}`);
    errors.push(
      await mapbox()
        .fetch(req())
        .catch((e: unknown) => e),
    );
    server.handler = (_req, res) => void res.writeHead(200, { "content-type": "image/jpeg" }).end(`${TOKEN}`);
    errors.push(
      await mapbox()
        .fetch(req())
        .catch((e: unknown) => e),
    );
    server.handler = () => undefined;
    errors.push(
      await mapbox({ timeoutMs: 100 })
        .fetch(req())
        .catch((e: unknown) => e),
    );
    const closed = await startLoopback(() => undefined);
    const closedUrl = closed.url;
    await closed.close();
    const refused = mapbox({ urlTemplate: `${closedUrl}/{z}/{x}/{y}?access_token={key}` });
    errors.push(await refused.fetch(req()).catch((e: unknown) => e));

    expect(errors.map((e) => (e as Error).constructor.name)).toEqual([
      "ProviderHttpError",
      "ProviderHttpError",
      "ProviderBadDataError",
      "ProviderTimeoutError",
      "ProviderNetworkError",
    ]);
    expect((errors[4] as ProviderNetworkError).errno).toBe("ECONNREFUSED");
    for (const e of errors) expect(leaks(e)).toBe(false);

    // And in the chain's failure list.
    server.handler = (_req, res) => void res.writeHead(500).end(TOKEN);
    const chain = await fetchFromChain([mapbox(), refused], req()).catch((e: unknown) => e);
    expect(JSON.stringify(chain)).not.toContain(TOKEN);
    expect((chain as { failures: unknown[] }).failures).toHaveLength(2);
  });

  it("refuses to build without a key", () => {
    const saved = process.env.MAPBOX_ACCESS_TOKEN;
    delete process.env.MAPBOX_ACCESS_TOKEN;
    try {
      expect(() => createMapboxProvider()).toThrow(/no access token/);
    } finally {
      if (saved !== undefined) process.env.MAPBOX_ACCESS_TOKEN = saved;
    }
  });
});
