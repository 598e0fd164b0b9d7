/**
 * The pieces of a vector-level evaluation through the backend, shared by the end-to-end tests
 * (test/backend/esri-e2e.test.ts, oracle-vectorise.test.ts) and `npm run eval:vectors`:
 * a generated world, the area analysed in it, a loopback "Esri" tile server that serves it, a
 * signed call of the backend's internal route, and the scoring of the returned lines (and of the
 * model's own labels) against the world's true lane lines.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type AnalysisResponse,
  type LonLatBbox,
  laneClassById,
  lonLatToPixel,
  type MercatorGrid,
  pixelToLonLat,
  signRequest,
  tileGrid,
} from "@lanesegnet/shared";
import sharp from "sharp";
import { groundGsd, lanesInGrid, renderWorld, sampleWorld, type World } from "../scenes/world.js";
import { type DashMatch, matchDashes } from "./dash-match.js";
import { type PaintCoverage, paintCoverage, rasteriseLines } from "./mask-coverage.js";
import { matchLines, matchPerLine, type VectorMatch } from "./vector-match.js";

const WORLD_PX = 1500;
const WORLD_GSD_M = 0.15;
/** Pixels left out at each edge: the analysed area is the central 200 m of the 225 m world. */
const MARGIN_PX = 83;

/** A 225 m x 225 m world at 0.15 m/px (seed 31 is the e2e test's). */
export function e2eWorld(seed: number): World {
  return renderWorld({
    seed,
    width: WORLD_PX,
    height: WORLD_PX,
    gsdM: WORLD_GSD_M,
    centre: { lon: -121.47, lat: 38.6 },
  });
}

/** The central 200 m x 200 m of the world, as a lon/lat bbox. */
export function e2eArea(world: World): LonLatBbox {
  const [west, north] = pixelToLonLat(world.grid, MARGIN_PX, MARGIN_PX);
  const [east, south] = pixelToLonLat(world.grid, WORLD_PX - MARGIN_PX, WORLD_PX - MARGIN_PX);
  return [west, south, east, north];
}

export interface TileServer {
  readonly url: string;
  /** URL template for createEsriProvider. */
  readonly template: string;
  /** Tiles served so far. */
  readonly requests: () => number;
  close(): Promise<void>;
}

/** Serve the current world (read at each request) as 256 px JPEG tiles at /tile/{z}/{y}/{x}. */
export async function serveWorldTiles(world: () => World): Promise<TileServer> {
  let requests = 0;
  const server: Server = createServer(async (req, res) => {
    const m = /^\/tile\/(\d+)\/(\d+)\/(\d+)$/.exec(req.url ?? "");
    if (!m) return void res.writeHead(404).end();
    requests++;
    const view = sampleWorld(world(), tileGrid({ x: Number(m[3]), y: Number(m[2]), z: Number(m[1]) }));
    const jpeg = await sharp(view.rgb, { raw: { width: 256, height: 256, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer();
    res.writeHead(200, { "content-type": "image/jpeg" }).end(jpeg);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    template: `${url}/tile/{z}/{y}/{x}`,
    requests: () => requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * POST a signed analysis of `bbox` (or of `opts.area`, a GeoJSON Polygon) to the backend's
 * internal route; the raw response.
 */
export async function analyseSigned(
  backendUrl: string,
  secret: string,
  bbox: LonLatBbox,
  opts: {
    resolutionM?: number;
    minConfidence?: number;
    area?: { type: "Polygon"; coordinates: number[][][] };
    classes?: string[];
  } = {},
): Promise<Response> {
  const body = JSON.stringify({
    request: {
      area: opts.area ?? { type: "bbox", bbox },
      ...(opts.classes ? { classes: opts.classes } : {}),
      resolution_m: opts.resolutionM ?? 0.25,
      ...(opts.minConfidence === undefined ? {} : { min_confidence: opts.minConfidence }),
    },
    providers: ["esri"],
    request_id: "e2e",
  });
  const path = "/internal/v1/analyze";
  const headers = await signRequest(secret, { method: "POST", path, body });
  return fetch(backendUrl + path, {
    method: "POST",
    body,
    headers: { ...headers, "content-type": "application/json" },
    signal: AbortSignal.timeout(120_000),
  });
}

/** The world's true lines and the returned ones, in the matcher's terms. */
function matchInputs(world: World, features: AnalysisResponse["features"]) {
  return {
    truth: world.lanes.map((l) => ({
      classId: l.classId,
      dashed: laneClassById(l.classId).dashed,
      coordinates: l.coordinates,
    })),
    detected: features.map((f) => ({
      classId: f.properties.class_id,
      dashed: f.properties.dashed,
      coordinates: f.geometry.coordinates,
      lengthM: f.properties.length_m,
    })),
  };
}

/** Reported dash statistics against the painted pattern of the true lanes they lie on. */
export function dashesAgainstWorld(world: World, features: AnalysisResponse["features"]): DashMatch {
  return matchDashes(
    world.lanes.map((l) => ({ classId: l.classId, coordinates: l.coordinates, pattern: l.pattern })),
    features.map((f) => ({
      dashed: f.properties.dashed,
      coordinates: f.geometry.coordinates,
      dash: f.properties.dash,
    })),
  );
}

/** Score the returned lines against the world's true lane lines (0.5 m tolerance, inside bbox). */
export function scoreAgainstWorld(
  world: World,
  features: AnalysisResponse["features"],
  bbox: LonLatBbox,
): VectorMatch {
  const { truth, detected } = matchInputs(world, features);
  return matchLines(truth, detected, { bbox, toleranceM: 0.5 });
}

/**
 * One row per line: every returned line with its properties and false share, every true line
 * with its class and found share (what `npm run eval:vectors -- --lines FILE` writes).
 */
export function linesAgainstWorld(
  world: World,
  features: AnalysisResponse["features"],
  bbox: LonLatBbox,
): Record<string, unknown>[] {
  const { truth, detected } = matchInputs(world, features);
  const m = matchPerLine(truth, detected, { bbox, toleranceM: 0.5 });
  return [
    ...m.reported.map((r) => {
      const p = features[r.index]!.properties;
      return {
        kind: "reported",
        class: p.class,
        length_m: p.length_m,
        width_m: p.width_m,
        confidence: p.confidence,
        dashed: p.dashed,
        scored_m: r.lengthM,
        false_share: r.share,
      };
    }),
    ...m.truth.map((t) => ({
      kind: "true",
      class: laneClassById(truth[t.index]!.classId).name,
      scored_m: t.lengthM,
      found_share: t.share,
    })),
  ];
}

/**
 * The painted length of the world inside `grid` that the model labelled (its class ids, from the
 * backend's onSegmentation hook) and that the returned lines lie on, each within 0.5 m
 * (mask-coverage.ts): what the model misses and what vectorisation loses, apart.
 */
export function paintAgainstWorld(
  world: World,
  segmentation: { readonly labels: Uint8Array; readonly grid: MercatorGrid },
  features: AnalysisResponse["features"],
): { labelled: PaintCoverage; found: PaintCoverage } {
  const { labels, grid } = segmentation;
  const lanes = lanesInGrid(world, grid);
  const gsd = groundGsd(grid);
  const lines = features.map((f) =>
    f.geometry.coordinates.map(([lon, lat]) => lonLatToPixel(grid, lon, lat)),
  );
  return {
    labelled: paintCoverage(lanes, labels, grid.width, grid.height, gsd),
    found: paintCoverage(lanes, rasteriseLines(lines, grid.width, grid.height), grid.width, grid.height, gsd),
  };
}
