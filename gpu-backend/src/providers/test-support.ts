/**
 * Test fixtures shared by the provider tests (not a test file itself): loopback HTTP servers and
 * a known georeferenced "world" image with tiles cut from it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  lonLatToTile,
  type MercatorGrid,
  mercatorResolutionAtZoom,
  mercatorToLonLat,
  pixelToMercator,
  tileBoundsMercator,
} from "@lanesegnet/shared";
import sharp from "sharp";

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

export interface Loopback {
  readonly url: string;
  /** Requests received so far, by path (query string included). */
  readonly requests: string[];
  handler: Handler;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 (random port) whose handler a test can swap. */
export async function startLoopback(handler: Handler): Promise<Loopback> {
  const requests: string[] = [];
  const state: Loopback = {
    url: "",
    requests,
    handler,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push(req.url ?? "");
      Promise.resolve(state.handler(req, res, Buffer.concat(chunks).toString("utf8"))).catch((e: unknown) => {
        res.statusCode = 599;
        res.end(String(e));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  (state as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

/** Pattern colour at a Mercator point: smooth waves (no channel above 218; blue at most 188). */
export function patternAt(x: number, y: number): [number, number, number] {
  return [
    128 + 90 * Math.sin((2 * Math.PI * x) / 23),
    128 + 90 * Math.sin((2 * Math.PI * y) / 31),
    128 + 60 * Math.sin((2 * Math.PI * (x + y)) / 47),
  ];
}

/** A white disc marker of this radius (metres), on a flat grey surround so its edges are symmetric. */
export const MARKER_RADIUS_M = 3;
const SURROUND_M = MARKER_RADIUS_M + 6;
const SURROUND_GREY = 100;

/**
 * The known world: 1024 x 1024 px of zoom-18 (256-px tile) pixels near Valencia, aligned to
 * zoom-17 tile edges, showing the pattern and a white disc at `marker`.
 */
export interface World {
  readonly grid: MercatorGrid;
  readonly rgb: Uint8Array;
  readonly marker: readonly [number, number];
  /** Zoom-18 tile at the world's top-left corner (x, y even). */
  readonly x0: number;
  readonly y0: number;
}

export function makeWorld(): World {
  const t = lonLatToTile(-0.3763, 39.4699, 18);
  const x0 = t.x - (t.x % 2);
  const y0 = t.y - (t.y % 2);
  const [originX, , , originY] = tileBoundsMercator({ x: x0, y: y0, z: 18 });
  const grid: MercatorGrid = {
    originX,
    originY,
    resolution: mercatorResolutionAtZoom(18),
    width: 1024,
    height: 1024,
  };
  const marker = pixelToMercator(grid, 517.37, 402.81);
  const rgb = new Uint8Array(1024 * 1024 * 3);
  const sub = 4;
  for (let j = 0; j < 1024; j++) {
    for (let i = 0; i < 1024; i++) {
      const [x, y] = pixelToMercator(grid, i + 0.5, j + 0.5);
      const d = Math.hypot(x - marker[0], y - marker[1]);
      let c: [number, number, number] =
        d < SURROUND_M ? [SURROUND_GREY, SURROUND_GREY, SURROUND_GREY] : patternAt(x, y);
      if (d < MARKER_RADIUS_M + grid.resolution) {
        // Supersample the disc edge so the marker's centroid is exact in the source.
        let inside = 0;
        for (let a = 0; a < sub; a++) {
          for (let b = 0; b < sub; b++) {
            const [sx, sy] = pixelToMercator(grid, i + (a + 0.5) / sub, j + (b + 0.5) / sub);
            if (Math.hypot(sx - marker[0], sy - marker[1]) < MARKER_RADIUS_M) inside++;
          }
        }
        const f = inside / (sub * sub);
        c = c.map((v) => v * (1 - f) + 255 * f) as [number, number, number];
      }
      rgb.set(
        c.map((v) => v + 0.5),
        (j * 1024 + i) * 3,
      );
    }
  }
  return { grid, rgb, marker, x0, y0 };
}

/** JPEG tiles of the world keyed "z/x/y": 256-px at zoom 18, or 512-px at zoom 17. */
export async function cutTiles(world: World, tileSize: 256 | 512): Promise<Map<string, Buffer>> {
  const z = tileSize === 256 ? 18 : 17;
  const n = 1024 / tileSize;
  const tx0 = tileSize === 256 ? world.x0 : world.x0 / 2;
  const ty0 = tileSize === 256 ? world.y0 : world.y0 / 2;
  const tiles = new Map<string, Buffer>();
  const image = sharp(world.rgb, { raw: { width: 1024, height: 1024, channels: 3 } });
  for (let ty = 0; ty < n; ty++) {
    for (let tx = 0; tx < n; tx++) {
      const jpeg = await image
        .clone()
        .extract({ left: tx * tileSize, top: ty * tileSize, width: tileSize, height: tileSize })
        .jpeg({ quality: 92 })
        .toBuffer();
      tiles.set(`${z}/${tx0 + tx}/${ty0 + ty}`, jpeg);
    }
  }
  return tiles;
}

/** A lon/lat bbox from Mercator metres relative to the world's top-left corner (x east, y south). */
export function worldBbox(world: World, left: number, top: number, right: number, bottom: number) {
  const [west, north] = mercatorToLonLat(world.grid.originX + left, world.grid.originY - top);
  const [east, south] = mercatorToLonLat(world.grid.originX + right, world.grid.originY - bottom);
  return [west, south, east, north] as const;
}

/**
 * Centroid (pixel coordinates) of the marker disc in a raster: brightness above the flat
 * surround, linearly weighted (a threshold would bias it by pixelation), within the surround
 * around `near` (a Mercator point; pass the expected position: a raster that misplaces the
 * marker by more than a few metres has no disc there and fails anyway).
 */
export function markerCentroid(
  rgb: Uint8Array,
  grid: MercatorGrid,
  near: readonly [number, number],
): [number, number] {
  let sw = 0;
  let sx = 0;
  let sy = 0;
  for (let j = 0; j < grid.height; j++) {
    for (let i = 0; i < grid.width; i++) {
      const [x, y] = pixelToMercator(grid, i + 0.5, j + 0.5);
      if (Math.hypot(x - near[0], y - near[1]) > SURROUND_M - 1.5) continue;
      const o = (j * grid.width + i) * 3;
      const w = (rgb[o]! + rgb[o + 1]! + rgb[o + 2]!) / 3 - SURROUND_GREY;
      sw += w;
      sx += w * (i + 0.5);
      sy += w * (j + 0.5);
    }
  }
  return [sx / sw, sy / sw];
}

/** Mean absolute difference between a raster and the pattern at its pixel centres, away from the marker. */
export function patternError(grid: MercatorGrid, rgb: Uint8Array, marker: readonly [number, number]): number {
  let sum = 0;
  let n = 0;
  for (let j = 0; j < grid.height; j++) {
    for (let i = 0; i < grid.width; i++) {
      const [x, y] = pixelToMercator(grid, i + 0.5, j + 0.5);
      if (Math.hypot(x - marker[0], y - marker[1]) < SURROUND_M + 3) continue;
      const c = patternAt(x, y);
      const o = (j * grid.width + i) * 3;
      for (let k = 0; k < 3; k++) sum += Math.abs(rgb[o + k]! - c[k]!);
      n += 3;
    }
  }
  return sum / n;
}
