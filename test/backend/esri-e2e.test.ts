/**
 * End to end through the real backend: a generated world served as Web Mercator tiles by a
 * loopback "Esri" tile server, a signed analysis request, the real model, vectorisation; the lines
 * that come back are scored against the world's true lane lines (scripts/eval/vector-match).
 */
import { readFileSync } from "node:fs";
import type { AnalysisResponse, LonLatBbox, MercatorGrid } from "@lanesegnet/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../gpu-backend/src/config.js";
import { createEsriProvider } from "../../gpu-backend/src/providers/esri.js";
import { type RunningBackend, startBackend } from "../../gpu-backend/src/server.js";
import { medianAbs } from "../../scripts/eval/dash-match.js";
import {
  analyseSigned,
  dashesAgainstWorld,
  e2eArea,
  e2eWorld,
  paintAgainstWorld,
  scoreAgainstWorld,
  serveWorldTiles,
  type TileServer,
} from "../../scripts/eval/e2e-world.js";
import type { PaintCoverage } from "../../scripts/eval/mask-coverage.js";
import type { VectorMatch } from "../../scripts/eval/vector-match.js";
import { distanceToSegment, pointInPolygon } from "../../scripts/scenes/geometry/polyline.js";
import type { World } from "../../scripts/scenes/world.js";

const SECRET = "e2e-signing-secret-0123456789abcdef0123";
let world: World;
let tiles: TileServer;
let backend: RunningBackend;
/** The model's labels of the last analysis, with its grid (the backend's onSegmentation hook). */
let segmented: { labels: Uint8Array; grid: MercatorGrid } | undefined;

async function analyse(bbox: LonLatBbox, minConfidence?: number): Promise<AnalysisResponse> {
  const res = await analyseSigned(
    backend.url,
    SECRET,
    bbox,
    minConfidence === undefined ? {} : { minConfidence },
  );
  expect(res.status).toBe(200);
  return (await res.json()) as AnalysisResponse;
}

beforeAll(async () => {
  world = e2eWorld(31);
  tiles = await serveWorldTiles(() => world);
  const config = loadConfig({ BACKEND_SIGNING_SECRET: SECRET, BACKEND_PORT: "0", LOG_LEVEL: "silent" });
  backend = await startBackend(config, {
    providers: new Map([["esri", createEsriProvider({ urlTemplate: tiles.template })]]),
    onSegmentation: (seg, grid) => {
      segmented = { labels: seg.labels, grid };
    },
  });
}, 120_000);

afterAll(async () => {
  await backend?.close();
  await tiles?.close();
});

describe("backend end to end on a loopback Esri tile server", () => {
  let result: AnalysisResponse;
  let score: VectorMatch;
  let paintLabelled: PaintCoverage;
  let paintFound: PaintCoverage;
  // The central 200 m x 200 m of the 225 m world.
  beforeAll(async () => {
    const bbox = e2eArea(world);
    result = await analyse(bbox);
    score = scoreAgainstWorld(world, result.features, bbox);
    if (!segmented) throw new Error("the backend reported no segmentation (onSegmentation)");
    const paint = paintAgainstWorld(world, segmented, result.features);
    paintLabelled = paint.labelled;
    paintFound = paint.found;
  }, 120_000);

  it("fetched the imagery from the tile server and names it", () => {
    expect(tiles.requests()).toBeGreaterThan(0);
    expect(result.analysis.imagery.provider).toBe("esri");
    expect(result.analysis.providers_tried).toEqual([{ provider: "esri", outcome: "used" }]);
  });

  it("places what it finds on the true lines: georeferencing and measuring hold end to end", () => {
    // A regression floor for the shipped model 0.3.0 (measured: recall 0.83, false 0.10, offset
    // 0.11 m, class 0.986; 0.2.0 had 0.50, 0.30, 0.12 m, 0.995; 0.1.0 had 0.21, 0.67, 0.15 m,
    // 0.92). A shift of the imagery or the vectors by half a metre drops recall to ~0.
    expect(score.truthLengthM).toBeGreaterThan(200);
    expect(score.recall).toBeGreaterThanOrEqual(0.7);
    expect(score.falseShare).toBeLessThanOrEqual(0.25);
    expect(score.meanOffsetM).toBeLessThanOrEqual(0.15);
    expect(score.classAgreement).toBeGreaterThanOrEqual(0.95);
    // What it reports on true lines is measured at their length (0.993 measured): the length ratio
    // of all lines below is short by what is missed, not by how lines are measured.
    expect(Math.abs(score.foundLengthRatio - 1)).toBeLessThanOrEqual(0.02);
  });

  it("loses little of the paint the model labels between the model's output and the lines", () => {
    // Measured on the painted length only (mask-coverage.ts), 0.3.0: the model labels 79.6 % of
    // world 31's paint and the lines lie on 76.0 % of it. A vectoriser that dropped or misplaced
    // lines it was given would widen that gap; a model change moves both.
    const labelled = paintLabelled.coveredM / paintLabelled.paintedM;
    const found = paintFound.coveredM / paintFound.paintedM;
    expect(paintLabelled.paintedM).toBeGreaterThan(200);
    expect(labelled).toBeGreaterThan(0.5);
    expect(found).toBeGreaterThanOrEqual(labelled - 0.06);
  });

  it("measures dashes on the imagery: dash and gap lengths close to the painted 3 m / 9 m", () => {
    // Measured (0.3.0, world 31): 5 lines with statistics, median errors 0.06 m / 0.54 m. Read off
    // the model's probability, which the label rule keeps high through the gaps, they were
    // 2.0 m / 6.6 m over worlds 31-35.
    const d = dashesAgainstWorld(world, result.features);
    expect(d.withStats).toBeGreaterThanOrEqual(3);
    expect(medianAbs(d.dashErrorsM)).toBeLessThanOrEqual(0.5);
    expect(medianAbs(d.gapErrorsM)).toBeLessThanOrEqual(1);
  });

  it("applies min_confidence to the confidence it reports: the default's lines at or above it, no others", async () => {
    const threshold = 0.85;
    const strict = await analyse(e2eArea(world), threshold);
    const key = (f: AnalysisResponse["features"][number]) =>
      `${f.properties.class} ${JSON.stringify(f.geometry.coordinates)}`;
    const expected = result.features.filter((f) => f.properties.confidence >= threshold).map(key);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(result.features.length);
    expect(strict.features.every((f) => f.properties.confidence >= threshold)).toBe(true);
    expect(strict.features.map(key).sort()).toEqual(expected.sort());
    expect(strict.features.map((f) => f.id)).toEqual(strict.features.map((_, i) => `lane-${i + 1}`));
  }, 120_000);

  it("totals each class's features: their count and summed length", () => {
    const totals = result.analysis.totals as Record<string, { count: number; length_m: number }>;
    expect(Object.keys(totals).length).toBeGreaterThan(1);
    for (const [name, t] of Object.entries(totals)) {
      const mine = result.features.filter((f) => f.properties.class === name);
      expect(t.count, name).toBe(mine.length);
      expect(t.length_m, name).toBeCloseTo(
        mine.reduce((sum, f) => sum + f.properties.length_m, 0),
        1,
      );
    }
  });

  it("analyses a request finer than the model's trained range at the model's finest resolution", async () => {
    const [w, s] = e2eArea(world);
    const res = await analyseSigned(backend.url, SECRET, [w, s, w + 0.0003, s + 0.0003], {
      resolutionM: 0.05,
    });
    expect(res.status).toBe(200);
    const card = JSON.parse(
      readFileSync(new URL("../../models/lanesegnet-lite.json", import.meta.url), "utf8"),
    );
    const finest = (card as { trained_gsd_m: { min: number } }).trained_gsd_m.min;
    const { request } = ((await res.json()) as AnalysisResponse).analysis as {
      request: { resolution_m: number };
    };
    expect(request.resolution_m).toBe(finest);
  }, 120_000);

  it("returns only the classes asked for, with totals for those alone", async () => {
    const counts = new Map<string, number>();
    for (const f of result.features)
      counts.set(f.properties.class, (counts.get(f.properties.class) ?? 0) + 1);
    expect(counts.size).toBeGreaterThan(1);
    const wanted = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const res = await analyseSigned(backend.url, SECRET, e2eArea(world), { classes: [wanted] });
    expect(res.status).toBe(200);
    const only = (await res.json()) as AnalysisResponse;
    expect(only.features.length).toBeGreaterThan(0);
    expect(new Set(only.features.map((f) => f.properties.class))).toEqual(new Set([wanted]));
    expect(Object.keys(only.analysis.totals)).toEqual([wanted]);
  }, 120_000);

  it("clips to a polygon that is not its bbox: every vertex inside the triangle", async () => {
    const [w, s, e, n] = e2eArea(world);
    const ring: [number, number][] = [
      [w, s],
      [e, s],
      [w, n],
      [w, s],
    ];
    const res = await analyseSigned(backend.url, SECRET, e2eArea(world), {
      area: { type: "Polygon", coordinates: [ring] },
    });
    expect(res.status).toBe(200);
    const clipped = (await res.json()) as AnalysisResponse;
    const vertices = clipped.features.flatMap((f) => f.geometry.coordinates);
    expect(vertices.length).toBeGreaterThan(0);
    // Inside, or on the edge (a clipped end): within 1e-6° (~0.1 m) of the ring.
    const onEdge = ([x, y]: number[]) =>
      ring.slice(1).some((b, i) => distanceToSegment(x!, y!, ring[i]!, b) < 1e-6);
    const outside = vertices.filter((v) => !pointInPolygon(v[0]!, v[1]!, ring) && !onEdge(v));
    expect(outside).toEqual([]);
    // The bbox's other half had lines: the triangle really cut some away.
    expect(vertices.length).toBeLessThan(result.features.flatMap((f) => f.geometry.coordinates).length);
  }, 120_000);

  // Issue 5's targets. The shipped model (models/MODEL_CARD.md) does not meet them yet on this
  // world (worlds 32 and 33 of `npm run eval:vectors` it does); this case fails the suite the day a model does, so it gets promoted.
  it.fails("meets the targets: 90 % of true length found, at most 10 % false, lengths within 2 %, dashes", () => {
    expect(score.recall).toBeGreaterThanOrEqual(0.9);
    expect(score.falseShare).toBeLessThanOrEqual(0.1);
    expect(Math.abs(score.lengthRatio - 1)).toBeLessThanOrEqual(0.02);
    expect(score.dashedAgreement ?? 1).toBeGreaterThanOrEqual(0.9);
  });
});
