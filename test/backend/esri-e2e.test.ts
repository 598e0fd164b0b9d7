/**
 * End to end through the real backend: a generated world served as Web Mercator tiles by a
 * loopback "Esri" tile server, a signed analysis request, the real model, vectorisation; the lines
 * that come back are scored against the world's true lane lines (scripts/eval/vector-match).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type AnalysisResponse,
  type LonLatBbox,
  laneClassById,
  pixelToLonLat,
  signRequest,
  tileGrid,
} from "@lanesegnet/shared";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../gpu-backend/src/config.js";
import { createEsriProvider } from "../../gpu-backend/src/providers/esri.js";
import { type RunningBackend, startBackend } from "../../gpu-backend/src/server.js";
import { matchLines, type VectorMatch } from "../../scripts/eval/vector-match.js";
import { renderWorld, sampleWorld, type World } from "../../scripts/scenes/world.js";

const SECRET = "e2e-signing-secret-0123456789abcdef0123";
let world: World;
let tiles: Server;
let tileRequests = 0;
let backend: RunningBackend;

async function analyse(bbox: LonLatBbox): Promise<AnalysisResponse> {
  const body = JSON.stringify({
    request: { area: { type: "bbox", bbox }, resolution_m: 0.25 },
    providers: ["esri"],
    request_id: "e2e",
  });
  const path = "/internal/v1/analyze";
  const headers = await signRequest(SECRET, { method: "POST", path, body });
  const res = await fetch(backend.url + path, {
    method: "POST",
    body,
    headers: { ...headers, "content-type": "application/json" },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as AnalysisResponse;
}

beforeAll(async () => {
  world = renderWorld({
    seed: 31,
    width: 1500,
    height: 1500,
    gsdM: 0.15,
    centre: { lon: -121.47, lat: 38.6 },
  });
  tiles = createServer(async (req, res) => {
    const m = /^\/tile\/(\d+)\/(\d+)\/(\d+)$/.exec(req.url ?? "");
    if (!m) return void res.writeHead(404).end();
    tileRequests++;
    const [z, y, x] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const view = sampleWorld(world, tileGrid({ x, y, z }));
    const jpeg = await sharp(view.rgb, { raw: { width: 256, height: 256, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer();
    res.writeHead(200, { "content-type": "image/jpeg" }).end(jpeg);
  });
  await new Promise<void>((r) => tiles.listen(0, "127.0.0.1", r));
  const port = (tiles.address() as AddressInfo).port;
  const config = loadConfig({ BACKEND_SIGNING_SECRET: SECRET, BACKEND_PORT: "0", LOG_LEVEL: "silent" });
  backend = await startBackend(config, {
    providers: new Map([
      ["esri", createEsriProvider({ urlTemplate: `http://127.0.0.1:${port}/tile/{z}/{y}/{x}` })],
    ]),
  });
}, 120_000);

afterAll(async () => {
  await backend?.close();
  await new Promise<void>((r) => (tiles ? tiles.close(() => r()) : r()));
});

describe("backend end to end on a loopback Esri tile server", () => {
  let result: AnalysisResponse;
  let score: VectorMatch;
  // The central 200 m x 200 m of the 225 m world.
  beforeAll(async () => {
    const [west, north] = pixelToLonLat(world.grid, 83, 83);
    const [east, south] = pixelToLonLat(world.grid, 1417, 1417);
    const bbox: LonLatBbox = [west, south, east, north];
    result = await analyse(bbox);
    score = matchLines(
      world.lanes.map((l) => ({
        classId: l.classId,
        dashed: laneClassById(l.classId).dashed,
        coordinates: l.coordinates,
      })),
      result.features.map((f) => ({
        classId: f.properties.class_id,
        dashed: f.properties.dashed,
        coordinates: f.geometry.coordinates,
        lengthM: f.properties.length_m,
      })),
      { bbox, toleranceM: 0.5 },
    );
  }, 120_000);

  it("fetched the imagery from the tile server and names it", () => {
    expect(tileRequests).toBeGreaterThan(0);
    expect(result.analysis.imagery.provider).toBe("esri");
    expect(result.analysis.providers_tried).toEqual([{ provider: "esri", outcome: "used" }]);
  });

  it("places what it finds on the true lines: georeferencing and measuring hold end to end", () => {
    // A regression floor for the shipped model 0.2.0 (measured: recall 0.50, false 0.30, offset
    // 0.12 m, class 0.995; 0.1.0 had 0.21, 0.67, 0.15 m, 0.92). A shift of the imagery or the
    // vectors by half a metre drops recall to ~0.
    expect(score.truthLengthM).toBeGreaterThan(200);
    expect(score.recall).toBeGreaterThanOrEqual(0.4);
    expect(score.falseShare).toBeLessThanOrEqual(0.45);
    expect(score.meanOffsetM).toBeLessThanOrEqual(0.2);
    expect(score.classAgreement).toBeGreaterThanOrEqual(0.9);
  });

  // Issue 5's targets. The shipped model (trained 2 h 48 min on 2 CPU cores, models/MODEL_CARD.md)
  // does not meet them yet; this case fails the suite the day a model does, so it gets promoted.
  it.fails("meets the targets: 90 % of true length found, at most 10 % false, lengths within 2 %, dashes", () => {
    expect(score.recall).toBeGreaterThanOrEqual(0.9);
    expect(score.falseShare).toBeLessThanOrEqual(0.1);
    expect(Math.abs(score.lengthRatio - 1)).toBeLessThanOrEqual(0.02);
    expect(score.dashedAgreement ?? 1).toBeGreaterThanOrEqual(0.9);
  });
});
