import { describe, expect, it } from "vitest";
import { type AnalysisResponse, AnalysisResponseSchema } from "./response.js";

function sample(): AnalysisResponse {
  return {
    type: "FeatureCollection",
    features: [
      {
        type: "Feature",
        id: "f1",
        geometry: {
          type: "LineString",
          coordinates: [
            [153.0245, -27.4709],
            [153.0255, -27.4701],
          ],
        },
        properties: {
          id: "f1",
          class: "single_white_dashed",
          class_id: 2,
          length_m: 134.2,
          width_m: 0.15,
          confidence: 0.87,
          dashed: true,
          dash: { count: 11, mean_dash_m: 3.02, mean_gap_m: 8.9 },
        },
      },
    ],
    analysis: {
      id: "an_123",
      model: { name: "lanesegnet-unet", version: "1.0.0" },
      imagery: { provider: "esri", attribution: "Esri, Maxar", resolution_m: 0.2986 },
      area_m2: 35_000,
      totals: { single_white_dashed: { count: 1, length_m: 134.2 } },
      cache: "MISS",
      providers_tried: [
        { provider: "local", outcome: "no_coverage" },
        { provider: "esri", outcome: "used" },
      ],
      created_at: "2026-11-02T10:00:00.000Z",
      timings_ms: { imagery: 120, inference: 300 },
    },
  };
}

describe("AnalysisResponseSchema", () => {
  it("accepts a well-formed result", () => {
    expect(AnalysisResponseSchema.safeParse(sample()).success).toBe(true);
  });

  it("rejects a class id, dashed flag or dash stats that contradict the registry", () => {
    const wrongId = sample();
    wrongId.features[0]!.properties.class_id = 1;
    expect(AnalysisResponseSchema.safeParse(wrongId).error?.issues[0]?.path).toEqual([
      "features",
      0,
      "properties",
      "class_id",
    ]);
    const wrongDashed = sample();
    wrongDashed.features[0]!.properties.dashed = false;
    const paths = AnalysisResponseSchema.safeParse(wrongDashed).error?.issues.map((i) => i.path.at(-1));
    expect(paths).toEqual(["dashed", "dash"]);
  });

  it("rejects invalid geometry, confidence, cache status and timestamps", () => {
    const one = sample();
    one.features[0]!.geometry.coordinates = [[153, -27]];
    expect(AnalysisResponseSchema.safeParse(one).success).toBe(false);
    const conf = sample();
    conf.features[0]!.properties.confidence = 1.2;
    expect(AnalysisResponseSchema.safeParse(conf).success).toBe(false);
    const cache = sample() as unknown as { analysis: { cache: string } };
    cache.analysis.cache = "STALE";
    expect(AnalysisResponseSchema.safeParse(cache).success).toBe(false);
    const date = sample();
    date.analysis.created_at = "yesterday";
    expect(AnalysisResponseSchema.safeParse(date).success).toBe(false);
    const totals = sample() as unknown as { analysis: { totals: Record<string, unknown> } };
    totals.analysis.totals.background = { count: 1, length_m: 1 };
    expect(AnalysisResponseSchema.safeParse(totals).success).toBe(false);
  });
});
