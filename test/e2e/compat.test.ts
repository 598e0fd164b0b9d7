/**
 * The old frontend's request against the real stack: `POST /analyze_road_infrastructure` with its
 * bounds body and `resolution`/`analysis_type` query gets a 200 in the old shape, filled with the
 * same analysis a /v1 request for the same area gets (same id, same lengths), marked deprecated.
 * Also the analysis pictures (imagery.png, overlay.png): authenticated, cached, never counted.
 */
import { gridForBbox, laneClassById, lonLatToPixel } from "@lanesegnet/shared";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authed, DEMO_BBOX, type E2eStack, type EdgeInstance, startE2eStack } from "./support/stack.js";

const [west, south, east, north] = DEMO_BBOX;
const OLD_BODY = { north, south, east, west };
const OLD_QUERY = "?resolution=0.25&analysis_type=comprehensive&model_type=swin";

interface OldElement {
  class: string;
  class_id: number;
  infrastructure_type: string;
  points: [number, number][];
  geographic_points: { latitude: number; longitude: number }[];
  confidence: number;
  area_sqm: number;
  width_source: string;
  length_meters: number;
  width_meters: number;
  length_pixels: number;
}

interface V1Feature {
  geometry: { coordinates: [number, number][] };
  properties: { class: string; length_m: number; width_m: number; confidence: number };
}

let stack: E2eStack;
let edge: EdgeInstance;
let key: string;

beforeAll(async () => {
  stack = await startE2eStack("compat");
  edge = await stack.startEdge();
  key = await stack.createKey("old-frontend");
}, 120_000);

afterAll(async () => {
  await stack?.close();
}, 30_000);

/** The old frontend's request (by default for the demo area). */
const postOld = (query = OLD_QUERY, body: unknown = OLD_BODY) =>
  fetch(
    `${edge.url}/analyze_road_infrastructure${query}`,
    authed(key, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );

const remaining = (res: Response) => Number(/r=(\d+)/.exec(res.headers.get("ratelimit") ?? "")?.[1]);

describe("POST /analyze_road_infrastructure (deprecated compatibility route)", () => {
  let old: Record<string, unknown> & { infrastructure_elements: OldElement[] };
  let oldRes: Response;

  it("answers the old request with the old shape and real values", async () => {
    oldRes = await postOld();
    expect(oldRes.status).toBe(200);
    expect(oldRes.headers.get("deprecation")).toMatch(/^@\d+$/);
    expect(oldRes.headers.get("sunset")).toMatch(/GMT$/);
    expect(oldRes.headers.get("link")).toContain('</v1/analyses>; rel="successor-version"');
    expect(oldRes.headers.get("x-cache")).toBe("MISS");
    old = (await oldRes.json()) as typeof old;
    // The /v1 result this answer comes from is related, not this body's location: the body is not
    // a representation of that resource (RFC 9110 §8.7), so no Content-Location.
    const analysisId = String(old.analysis_id);
    expect(oldRes.headers.get("link")).toContain(`</v1/analyses/${analysisId}>; rel="related"`);
    expect(oldRes.headers.get("content-location")).toBeNull();

    const elements = old.infrastructure_elements;
    expect(elements.length).toBeGreaterThan(0);
    for (const e of elements) {
      expect(e.infrastructure_type).toBe("lane_marking");
      expect(e.points.length).toBe(e.geographic_points.length);
      expect(e.length_meters).toBeGreaterThan(0);
      expect(e.area_sqm).toBeCloseTo(e.length_meters * e.width_meters, 1);
      // Where /v1 has only an upper bound, the class's standard width, never the bound.
      if (e.width_source === "standard") expect(e.width_meters).toBe(laneClassById(e.class_id).labelWidthM);
      else expect(e.width_source).toBe("measured");
      expect(e.confidence).toBeGreaterThan(0);
      expect(e.confidence).toBeLessThanOrEqual(1);
    }
    // Not the old service's "2 x number of vertices".
    expect(elements.some((e) => e.length_meters !== 2 * e.points.length)).toBe(true);

    const summary = old.analysis_summary as Record<string, unknown>;
    expect(summary.total_elements).toBe(elements.length);
    const sum = elements.reduce((s, e) => s + e.length_meters, 0);
    expect(summary.total_lane_length_m as number).toBeCloseTo(sum, 1);

    const meta = old.image_metadata as Record<string, unknown>;
    expect(meta.resolution_mpp).toBe(0.25);
    expect(meta.bounds).toEqual(OLD_BODY);
    expect(meta.source).toBe("local");
    expect(typeof meta.attribution).toBe("string");
    expect(old.analysis_type).toBe("comprehensive");
    expect(old.model_type).toBe(`${stack.model.name} ${stack.model.version}`);
    expect(old.processing_time_ms as number).toBeGreaterThan(0);
  }, 120_000);

  it("puts points on the analysed raster's pixels of their geographic points", () => {
    const meta = old.image_metadata as { width: number; height: number };
    const grid = gridForBbox([...DEMO_BBOX], 0.25);
    expect([meta.width, meta.height]).toEqual([grid.width, grid.height]);
    for (const e of old.infrastructure_elements) {
      e.geographic_points.forEach((g, i) => {
        const [x, y] = lonLatToPixel(grid, g.longitude, g.latitude);
        expect(e.points[i]![0]).toBeCloseTo(x, 1);
        expect(e.points[i]![1]).toBeCloseTo(y, 1);
        expect(x).toBeGreaterThanOrEqual(-0.01);
        expect(x).toBeLessThanOrEqual(grid.width + 0.01);
      });
    }
  });

  it("gives the same lengths as /v1 for the same area (one shared analysis)", async () => {
    const res = await fetch(
      `${edge.url}/v1/analyses`,
      authed(key, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ area: { type: "bbox", bbox: DEMO_BBOX }, resolution_m: 0.25 }),
      }),
    );
    expect(res.status).toBe(200);
    // The compat request computed it: this one is served from the cache.
    expect(res.headers.get("x-cache")).toBe("HIT");
    expect(remaining(res)).toBe(remaining(oldRes) - 1);
    const v1 = (await res.json()) as {
      features: V1Feature[];
      analysis: { id: string; totals: Record<string, { length_m: number }> };
    };
    expect(old.analysis_id).toBe(v1.analysis.id);
    const oldLengths = old.infrastructure_elements.map((e) => e.length_meters).sort((a, b) => a - b);
    const v1Lengths = v1.features.map((f) => f.properties.length_m).sort((a, b) => a - b);
    expect(oldLengths).toEqual(v1Lengths);
    const v1Total = Object.values(v1.analysis.totals).reduce((s, t) => s + t.length_m, 0);
    expect(
      Math.abs((old.analysis_summary as { total_lane_length_m: number }).total_lane_length_m - v1Total),
    ).toBeLessThan(0.01);
    // Same lines, same order: classes and coordinates match element by element.
    old.infrastructure_elements.forEach((e, i) => {
      const f = v1.features[i]!;
      expect(e.class).toBe(f.properties.class);
      expect(e.geographic_points[0]).toEqual({
        latitude: f.geometry.coordinates[0]![1],
        longitude: f.geometry.coordinates[0]![0],
      });
    });
    // A hit on the old route measures its time too (it counted only the handler, 0 ms on a hit).
    const again = await postOld();
    expect(again.headers.get("x-cache")).toBe("HIT");
    expect(((await again.json()) as { processing_time_ms: number }).processing_time_ms).toBeGreaterThan(0);
  }, 60_000);

  it("answers a repeat from the cache in one Redis round trip, as /v1 does", async () => {
    const before = stack.bridgeRequests();
    const res = await postOld();
    expect(res.status).toBe(200);
    expect(((await res.json()) as { analysis_id: string }).analysis_id).toBe(old.analysis_id);
    // The key's record (its user is known from the first request), the rate limiter's script and
    // the stored result, in one pipeline.
    expect(stack.bridgeRequests() - before).toBe(1);
    expect(res.headers.get("ratelimit")).toMatch(/r=\d+/);
  });

  it("refuses bad bounds in the old terms, without a backend call, still marked deprecated", async () => {
    const res = await fetch(
      `${edge.url}/analyze_road_infrastructure`,
      authed(key, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...OLD_BODY, north: south - 0.001 }),
      }),
    );
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.headers.get("deprecation")).toMatch(/^@\d+$/);
    const p = (await res.json()) as { detail: string; errors: { path: string }[] };
    expect(p.detail).toMatch(/south .* must be less than north/);
    const unknownType = await fetch(
      `${edge.url}/analyze_road_infrastructure?analysis_type=buildings`,
      authed(key, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(OLD_BODY),
      }),
    );
    expect(unknownType.status).toBe(400);
    const anonymous = await fetch(`${edge.url}/analyze_road_infrastructure`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(OLD_BODY),
    });
    expect(anonymous.status).toBe(401);
  });

  it("answers the overlay picture for visualize=true", async () => {
    const res = await fetch(
      `${edge.url}/analyze_road_infrastructure${OLD_QUERY}&visualize=true`,
      authed(key, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(OLD_BODY),
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([
      (old.image_metadata as { width: number }).width,
      (old.image_metadata as { height: number }).height,
    ]);
  }, 60_000);

  it("is documented as deprecated in the OpenAPI document", async () => {
    const doc = (await (await fetch(`${edge.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { deprecated?: boolean }>>;
    };
    expect(doc.paths["/analyze_road_infrastructure"]?.post?.deprecated).toBe(true);
    expect(doc.paths["/v1/analyses/{id}/overlay.png"]?.get?.deprecated).toBeUndefined();
  });
});

describe("GET /v1/analyses/{id}/{imagery,overlay}.png", () => {
  it("draws the analysis's pictures once, then serves them from the cache, never counting them", async () => {
    const id = (await (
      await fetch(
        `${edge.url}/analyze_road_infrastructure${OLD_QUERY}`,
        authed(key, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(OLD_BODY),
        }),
      )
    ).json()) as { analysis_id: string };
    const before = await fetch(
      `${edge.url}/analyze_road_infrastructure?analysis_type=bad`,
      authed(key, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }),
    );

    const imagery = await fetch(`${edge.url}/v1/analyses/${id.analysis_id}/imagery.png`, authed(key));
    expect(imagery.status).toBe(200);
    expect(imagery.headers.get("content-type")).toBe("image/png");
    const bounds = imagery.headers.get("x-image-bounds")!.split(",").map(Number);
    // The picture covers the area from its north-west corner (its last pixel may reach past east/south).
    expect(bounds[0]).toBeCloseTo(west, 7);
    expect(bounds[3]).toBeCloseTo(north, 7);
    expect(bounds[2]).toBeGreaterThanOrEqual(east);
    expect(bounds[1]).toBeLessThanOrEqual(south);
    const png = Buffer.from(await imagery.arrayBuffer());
    expect(png.length).toBeGreaterThan(10_000);

    const first = await fetch(`${edge.url}/v1/analyses/${id.analysis_id}/overlay.png`, authed(key));
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag")!;
    const overlay = Buffer.from(await first.arrayBuffer());
    // The overlay differs from the bare imagery (lines, legend, attribution drawn on it).
    expect(overlay.equals(png)).toBe(false);

    // Cached copies are written after the answer; poll briefly for the HIT.
    let again: Response | undefined;
    for (let i = 0; i < 50; i++) {
      again = await fetch(`${edge.url}/v1/analyses/${id.analysis_id}/overlay.png`, authed(key));
      if (again.headers.get("x-cache") === "HIT") break;
      await again.arrayBuffer();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(again!.headers.get("x-cache")).toBe("HIT");
    expect(Buffer.from(await again!.arrayBuffer()).equals(overlay)).toBe(true);
    const notModified = await fetch(
      `${edge.url}/v1/analyses/${id.analysis_id}/overlay.png`,
      authed(key, { headers: { "if-none-match": etag } }),
    );
    expect(notModified.status).toBe(304);
    // A POST is answered in full whatever If-None-Match says (RFC 9110 §13.1.2: 304 is for GET
    // and HEAD); it was a 304 that still counted against the quota.
    const posted = await fetch(
      `${edge.url}/analyze_road_infrastructure${OLD_QUERY}&visualize=true`,
      authed(key, {
        method: "POST",
        headers: { "content-type": "application/json", "if-none-match": etag },
        body: JSON.stringify(OLD_BODY),
      }),
    );
    expect(posted.status).toBe(200);
    expect(Buffer.from(await posted.arrayBuffer()).equals(overlay)).toBe(true);

    expect((await fetch(`${edge.url}/v1/analyses/${id.analysis_id}/overlay.png`)).status).toBe(401);
    expect((await fetch(`${edge.url}/v1/analyses/${"0".repeat(64)}/overlay.png`, authed(key))).status).toBe(
      404,
    );

    // Pictures cost nothing: the next analysis request sees exactly two fewer than `before` (the
    // POST above and itself).
    const after = await fetch(
      `${edge.url}/analyze_road_infrastructure?analysis_type=bad`,
      authed(key, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }),
    );
    expect(remaining(after)).toBe(remaining(before) - 2);
  }, 120_000);
});

describe("identical pictures asked for at once", () => {
  it("are drawn once: the others wait for that picture (a single flight in Redis)", async () => {
    const renders = async () => {
      const text = await (await fetch(`${stack.backendUrl}/metrics`)).text();
      const line = text
        .split("\n")
        .find((l) =>
          l.startsWith('lanesegnet_backend_requests_total{route="/internal/v1/render",status="200"} '),
        );
      return line === undefined ? 0 : Number(line.split(" ").pop());
    };
    // A result no picture has been drawn for: an area of its own inside the demo store.
    const res = await fetch(
      `${edge.url}/v1/analyses`,
      authed(key, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ area: { type: "bbox", bbox: [west, south, (west + east) / 2, north] } }),
      }),
    );
    expect(res.status).toBe(200);
    const { analysis } = (await res.json()) as { analysis: { id: string } };
    const before = await renders();
    const answers = await Promise.all(
      Array.from({ length: 4 }, () =>
        fetch(`${edge.url}/v1/analyses/${analysis.id}/imagery.png`, authed(key)),
      ),
    );
    const bodies = await Promise.all(answers.map(async (a) => Buffer.from(await a.arrayBuffer())));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    for (const b of bodies) expect(b.equals(bodies[0]!)).toBe(true);
    // Before, each of the four drew it: four renders, each fetching the imagery again.
    expect((await renders()) - before).toBe(1);
    expect(answers.map((a) => a.headers.get("x-cache")).sort()).toEqual(["HIT", "HIT", "HIT", "MISS"]);
  }, 60_000);
});

describe("with the backend down", () => {
  it("still serves cached results and pictures; new work gets 503 with Retry-After", async () => {
    await stack.stopBackend();
    const cached = await postOld();
    expect(cached.status).toBe(200);
    expect(cached.headers.get("x-cache")).toBe("HIT");
    const { analysis_id: id } = (await cached.json()) as { analysis_id: string };
    const overlay = await fetch(`${edge.url}/v1/analyses/${id}/overlay.png`, authed(key));
    expect(overlay.status).toBe(200);
    expect(overlay.headers.get("x-cache")).toBe("HIT");

    // Another resolution is another analysis: nothing cached, and no backend to compute it.
    const uncached = await postOld("?resolution=0.3");
    expect(uncached.status).toBe(503);
    expect(Number(uncached.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(uncached.headers.get("deprecation")).toMatch(/^@\d+$/);
  }, 60_000);
});
