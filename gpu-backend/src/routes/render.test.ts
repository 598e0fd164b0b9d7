import {
  gridForBbox,
  type ImageryProviderName,
  LANE_CLASSES,
  type LonLatBbox,
  pixelToLonLat,
  signRequest,
} from "@lanesegnet/shared";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { createLogger } from "../observability/logger.js";
import { NoCoverageError } from "../providers/errors.js";
import type { ImageryProvider, ImageryRequest } from "../providers/types.js";
import { outputSize } from "../render/compose.js";
import { RENDER_PATH, renderRoute } from "./render.js";

const SECRET = "r".repeat(40);
const bbox: LonLatBbox = [-121.496, 38.58, -121.493, 38.5824];
const GREY = 90;

/** A provider of flat grey imagery that records the grids it was asked for. */
function greyProvider(opts: { delayMs?: number; fail?: Error } = {}) {
  const grids: ImageryRequest["grid"][] = [];
  const provider: ImageryProvider = {
    name: "local",
    attribution: "Test imagery",
    nativeGroundResolution: () => Number.NaN,
    async fetch(req) {
      grids.push(req.grid);
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (opts.fail) throw opts.fail;
      const rgb = new Uint8Array(req.grid.width * req.grid.height * 3).fill(GREY);
      return {
        raster: { grid: req.grid, rgb },
        provider: "local",
        attribution: "Test imagery",
        groundResolutionM: 0.2,
        coverage: 1,
      };
    },
  };
  return { provider, grids };
}

function appWith(provider: ImageryProvider, extra: { concurrent?: number; queue?: number } = {}) {
  return renderRoute({
    providers: new Map<ImageryProviderName, ImageryProvider>([["local", provider]]),
    signingSecret: SECRET,
    logger: createLogger("silent"),
    ...extra,
  });
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
    const { provider, grids } = greyProvider();
    const res = await post(appWith(provider), {
      kind: "imagery",
      bbox,
      resolution_m: 0.5,
      provider: "local",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    const grid = gridForBbox(bbox, 0.5);
    expect(grids[0]).toEqual(grid);
    const { info, at } = await pixels(res);
    expect([info.width, info.height]).toEqual([grid.width, grid.height]);
    expect(res.headers.get("x-grid-width")).toBe(String(grid.width));
    expect(at(10, 10)).toEqual([GREY, GREY, GREY]);
  });

  it("draws markings where their coordinates fall, in the class colour, and scales to the size limit", async () => {
    const { provider } = greyProvider();
    const grid = gridForBbox(bbox, 0.25);
    // A horizontal yellow line across the middle of the grid.
    const y = Math.round(grid.height / 2) + 0.5;
    const line = {
      class_id: 3,
      coordinates: [pixelToLonLat(grid, 100, y), pixelToLonLat(grid, grid.width - 100, y)],
    };
    const res = await post(appWith(provider), {
      kind: "overlay",
      bbox,
      resolution_m: 0.25,
      provider: "local",
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
    const { provider } = greyProvider();
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
    const res = await post(appWith(provider), {
      kind: "overlay",
      bbox,
      resolution_m: 0.5,
      provider: "local",
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
    const { provider, grids } = greyProvider();
    const app = appWith(provider);
    const ok = { kind: "imagery", bbox, resolution_m: 0.25, provider: "local" };
    expect((await post(app, ok, false)).status).toBe(401);
    expect((await post(app, { ...ok, kind: "mask" })).status).toBe(400);
    expect((await post(app, { ...ok, bbox: [bbox[2], bbox[1], bbox[0], bbox[3]] })).status).toBe(400);
    // 10 km² at 0.05 m/px is far beyond the pixel limit.
    const huge = await post(app, { ...ok, bbox: [-121.5, 38.55, -121.46, 38.58], resolution_m: 0.05 });
    expect(huge.status).toBe(400);
    expect(grids).toHaveLength(0);
  });

  it("answers 422 for a provider that is not enabled or has no imagery, 502 when it fails", async () => {
    const ok = { kind: "imagery", bbox, resolution_m: 0.25 };
    const { provider } = greyProvider();
    expect((await post(appWith(provider), { ...ok, provider: "esri" })).status).toBe(422);
    const none = greyProvider({ fail: new NoCoverageError("local", 0) });
    expect((await post(appWith(none.provider), { ...ok, provider: "local" })).status).toBe(422);
    const broken = greyProvider({ fail: new Error("disk on fire") });
    const res = await post(appWith(broken.provider), { ...ok, provider: "local" });
    expect(res.status).toBe(502);
    expect(await res.text()).not.toContain("disk on fire");
  });

  it("sheds load beyond its concurrency and queue with 503 + Retry-After", async () => {
    const { provider } = greyProvider({ delayMs: 300 });
    const app = appWith(provider, { concurrent: 1, queue: 1 });
    const body = { kind: "imagery", bbox, resolution_m: 1, provider: "local" };
    const results = await Promise.all([post(app, body), post(app, body), post(app, body)]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 503]);
    expect(results.find((r) => r.status === 503)!.headers.get("retry-after")).toMatch(/^\d+$/);
  });
});
