/**
 * The render route against a real imagery provider: the Esri XYZ provider fetching flat grey PNG
 * tiles from a loopback tile server, which records what it was asked for and can be slow, answer
 * 404 (no imagery there) or fail.
 */
import {
  gridForBbox,
  type ImageryProviderName,
  LANE_CLASSES,
  type LonLatBbox,
  lonLatToTile,
  pixelToLonLat,
  signRequest,
} from "@lanesegnet/shared";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEsriProvider } from "../providers/esri.js";
import { type Loopback, startLoopback } from "../providers/test-support.js";
import type { ImageryProvider } from "../providers/types.js";
import { outputSize } from "../render/compose.js";
import { RENDER_PATH, renderRoute } from "./render.js";

const SECRET = "r".repeat(40);
const bbox: LonLatBbox = [-121.496, 38.58, -121.493, 38.5824];
const GREY = 90;
/** What the tile server says in a failure; it must never reach the render route's caller. */
const TILE_SERVER_SECRET = "disk on fire at /srv/tiles";

let tiles: Loopback;
/** How the tile server answers: grey tiles, 404 (no imagery there) or 500. */
let tileMode: "grey" | "missing" | "broken" = "grey";
let tileDelayMs = 0;

beforeAll(async () => {
  // PNG, not JPEG: a flat grey tile decodes to exactly GREY, so pixels can be compared exactly.
  const tile = await sharp({
    create: { width: 256, height: 256, channels: 3, background: { r: GREY, g: GREY, b: GREY } },
  })
    .png()
    .toBuffer();
  tiles = await startLoopback(async (_req, res) => {
    if (tileDelayMs) await new Promise((r) => setTimeout(r, tileDelayMs));
    if (tileMode === "missing") return void res.writeHead(404).end();
    if (tileMode === "broken") return void res.writeHead(500).end(TILE_SERVER_SECRET);
    res.writeHead(200, { "content-type": "image/png" }).end(tile);
  });
});

afterEach(() => {
  tileMode = "grey";
  tileDelayMs = 0;
});

afterAll(async () => {
  await tiles?.close();
});

/** The real Esri provider, its tiles from the loopback server (no retries: a failure is final). */
function esri(): ImageryProvider {
  return createEsriProvider({
    urlTemplate: `${tiles.url}/{z}/{y}/{x}`,
    retry: { retries: 0, baseDelayMs: 0, maxDelayMs: 0 },
    timeoutMs: 5_000,
  });
}

function appWith(
  provider: ImageryProvider,
  extra: { concurrent?: number; queue?: number; fetchTimeoutMs?: number } = {},
) {
  return renderRoute({
    providers: new Map<ImageryProviderName, ImageryProvider>([["esri", provider]]),
    signingSecret: SECRET,
    ...extra,
  });
}

/** The tiles asked for since `from`, as "z/x/y" (the server's paths are /z/y/x, as Esri's). */
function tilesAskedSince(from: number): Set<string> {
  return new Set(
    tiles.requests.slice(from).map((path) => {
      const [z, y, x] = path.split("/").filter(Boolean).map(Number);
      return `${z}/${x}/${y}`;
    }),
  );
}

async function post(app: ReturnType<typeof renderRoute>, body: unknown, signed = true) {
  const text = JSON.stringify(body);
  const headers = signed ? await signRequest(SECRET, { method: "POST", path: RENDER_PATH, body: text }) : {};
  return app.request(RENDER_PATH, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: text,
  });
}

async function pixels(res: Response) {
  const { data, info } = await sharp(Buffer.from(await res.arrayBuffer()))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    info,
    at: (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)],
  };
}

describe("POST /internal/v1/render", () => {
  it("renders the provider's imagery on the analysis grid of the bbox", async () => {
    const before = tiles.requests.length;
    const res = await post(appWith(esri()), {
      kind: "imagery",
      bbox,
      resolution_m: 0.5,
      provider: "esri",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    const grid = gridForBbox(bbox, 0.5);
    // The provider was asked for exactly the tiles that cover the bbox, at one zoom.
    const asked = tilesAskedSince(before);
    const zooms = new Set([...asked].map((t) => Number(t.split("/")[0])));
    expect(zooms.size).toBe(1);
    const [z] = [...zooms] as [number];
    const nw = lonLatToTile(bbox[0], bbox[3], z);
    const se = lonLatToTile(bbox[2], bbox[1], z);
    const covering = new Set<string>();
    for (let x = nw.x; x <= se.x; x++) for (let y = nw.y; y <= se.y; y++) covering.add(`${z}/${x}/${y}`);
    expect(asked).toEqual(covering);
    const { info, at } = await pixels(res);
    expect([info.width, info.height]).toEqual([grid.width, grid.height]);
    expect(res.headers.get("x-grid-width")).toBe(String(grid.width));
    expect(at(10, 10)).toEqual([GREY, GREY, GREY]);
  });

  it("draws markings where their coordinates fall, in the class colour, and scales to the size limit", async () => {
    const grid = gridForBbox(bbox, 0.25);
    // A horizontal yellow line across the middle of the grid.
    const y = Math.round(grid.height / 2) + 0.5;
    const line = {
      class_id: 3,
      coordinates: [pixelToLonLat(grid, 100, y), pixelToLonLat(grid, grid.width - 100, y)],
    };
    const res = await post(appWith(esri()), {
      kind: "overlay",
      bbox,
      resolution_m: 0.25,
      provider: "esri",
      max_size_px: 512,
      lines: [line],
      totals: { single_yellow_solid: { count: 1, length_m: 200 } },
    });
    expect(res.status).toBe(200);
    const { info, at } = await pixels(res);
    expect([info.width, info.height]).toEqual(Object.values(outputSize(grid.width, grid.height, 512)));
    expect(Math.max(info.width, info.height)).toBe(512);
    const s = info.width / grid.width;
    const cx = Math.round((grid.width / 2) * s);
    const cy = Math.floor(y * s);
    const yellow = [0xff, 0xd6, 0x00];
    const onLine = at(cx, cy);
    for (let k = 0; k < 3; k++) expect(Math.abs(onLine[k]! - yellow[k]!)).toBeLessThan(40);
    // Well away from the line, the legend and the attribution strip: the imagery itself.
    const off = at(cx, Math.round(info.height * 0.75));
    for (const v of off) expect(Math.abs(v - GREY)).toBeLessThan(12);
    expect(LANE_CLASSES[3]!.display).toBe("#ffd600");
  });

  it("dims the picture outside a polygon area and leaves the inside as it is", async () => {
    const grid = gridForBbox(bbox, 0.5);
    // The left half of the bbox.
    const half = grid.width / 2;
    const area = [
      [0, 0],
      [half, 0],
      [half, grid.height],
      [0, grid.height],
      [0, 0],
    ].map(([x, yy]) => pixelToLonLat(grid, x!, yy!));
    const res = await post(appWith(esri()), {
      kind: "overlay",
      bbox,
      resolution_m: 0.5,
      provider: "esri",
      lines: [],
      area,
    });
    expect(res.status).toBe(200);
    const { at } = await pixels(res);
    const row = Math.round(grid.height / 3);
    for (const v of at(Math.round(half / 2), row)) expect(Math.abs(v - GREY)).toBeLessThan(12);
    for (const v of at(Math.round(half * 1.5), row)) expect(v).toBeLessThan(GREY * 0.7);
  });

  it("refuses unsigned, invalid and oversized requests before fetching imagery", async () => {
    const before = tiles.requests.length;
    const app = appWith(esri());
    const ok = { kind: "imagery", bbox, resolution_m: 0.25, provider: "esri" };
    expect((await post(app, ok, false)).status).toBe(401);
    expect((await post(app, { ...ok, kind: "mask" })).status).toBe(400);
    expect((await post(app, { ...ok, bbox: [bbox[2], bbox[1], bbox[0], bbox[3]] })).status).toBe(400);
    // 10 km² at 0.05 m/px is far beyond the pixel limit.
    const huge = await post(app, { ...ok, bbox: [-121.5, 38.55, -121.46, 38.58], resolution_m: 0.05 });
    expect(huge.status).toBe(400);
    expect(tiles.requests.length).toBe(before);
  });

  it("answers 422 for a provider that is not enabled or has no imagery, 502 when it fails", async () => {
    const ok = { kind: "imagery", bbox, resolution_m: 0.25 };
    const app = appWith(esri());
    expect((await post(app, { ...ok, provider: "local" })).status).toBe(422);
    tileMode = "missing";
    expect((await post(app, { ...ok, provider: "esri" })).status).toBe(422);
    tileMode = "broken";
    const res = await post(app, { ...ok, provider: "esri" });
    expect(res.status).toBe(502);
    expect(await res.text()).not.toContain("disk on fire");
  });

  it("sheds load beyond its concurrency and queue with 503 + Retry-After", async () => {
    tileDelayMs = 300;
    const app = appWith(esri(), { concurrent: 1, queue: 1 });
    const body = { kind: "imagery", bbox, resolution_m: 1, provider: "esri" };
    const results = await Promise.all([post(app, body), post(app, body), post(app, body)]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 503]);
    expect(results.find((r) => r.status === 503)!.headers.get("retry-after")).toMatch(/^\d+$/);
  });

  it("times a render from when it is admitted: waiting in the queue is no slow provider", async () => {
    // Each render takes ~300 ms of tiles against an 800 ms limit; the fourth waits ~900 ms first.
    // Timed from arrival it was "the imagery could not be fetched" (502), its provider blamed.
    tileDelayMs = 300;
    const app = appWith(esri(), { concurrent: 1, queue: 3, fetchTimeoutMs: 800 });
    const body = { kind: "imagery", bbox, resolution_m: 1, provider: "esri" };
    const results = await Promise.all([1, 2, 3, 4].map(() => post(app, body)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });
});
