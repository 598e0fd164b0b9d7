/**
 * Every bad input is a 4xx problem+json, decided at the edge: the backend is never called.
 */
import { gzipSync } from "node:zlib";
import { LIMITS } from "@lanesegnet/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "./support/credentials.js";
import { type EdgeWorker, type Rig, startEdge, startRig } from "./support/edge.js";
import { bboxBody, postAnalysis } from "./support/requests.js";

let rig: Rig;
let edge: EdgeWorker;
let key: string;

beforeAll(async () => {
  rig = await startRig("validation");
  edge = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "1000" }));
  key = await createKey(rig, "validator");
});

afterAll(async () => {
  await edge?.dispose();
  await rig?.close();
});

const bbox = (b: unknown) => ({ area: { type: "bbox", bbox: b } });
const polygon = (ring: number[][]) => ({ area: { type: "Polygon", coordinates: [ring] } });

interface Case {
  readonly name: string;
  readonly body: unknown;
  readonly status: number;
  /** A JSON Pointer expected among `errors[].path`. */
  readonly path?: string;
  readonly contentType?: string;
}

const cases: Case[] = [
  {
    name: "inverted bbox (west > east)",
    body: bbox([153.03, -27.47, 153.02, -27.46]),
    status: 400,
    path: "/area/bbox",
  },
  { name: "inverted bbox (south > north)", body: bbox([153.02, -27.46, 153.021, -27.47]), status: 400 },
  {
    name: "longitude out of range",
    body: bbox([190, -27.47, 190.001, -27.469]),
    status: 400,
    path: "/area/bbox/0",
  },
  {
    name: "latitude out of range",
    body: bbox([153.02, -91, 153.021, -90.5]),
    status: 400,
    path: "/area/bbox/1",
  },
  { name: "latitude beyond Web Mercator", body: bbox([10, 86, 10.001, 86.001]), status: 400 },
  { name: "huge area", body: bbox([150, -30, 152, -28]), status: 400, path: "/area/bbox" },
  {
    name: "too many pixels at a fine resolution",
    body: { ...bbox([153.02, -27.47, 153.03, -27.46]), resolution_m: 0.05 },
    status: 400,
  },
  {
    // ~2 km²: within the pixel limit at 2 m/px, but the model analyses it at 0.35 m/px (~17 Mpx).
    name: "too many pixels at the model's coarsest resolution",
    body: { ...bbox([153.02, -27.47, 153.035, -27.458]), resolution_m: 2 },
    status: 400,
    path: "/area/bbox",
  },
  { name: "tiny area", body: bbox([153.02, -27.47, 153.02001, -27.46999]), status: 400 },
  {
    name: "self-intersecting polygon (bow tie)",
    body: polygon([
      [153.02, -27.47],
      [153.021, -27.469],
      [153.021, -27.47],
      [153.02, -27.469],
      [153.02, -27.47],
    ]),
    status: 400,
  },
  {
    name: "unclosed polygon ring",
    body: polygon([
      [153.02, -27.47],
      [153.021, -27.47],
      [153.021, -27.469],
      [153.02, -27.469],
    ]),
    status: 400,
  },
  {
    name: "polygon with a hole",
    body: {
      area: {
        type: "Polygon",
        coordinates: [
          [
            [153.02, -27.47],
            [153.021, -27.47],
            [153.021, -27.469],
            [153.02, -27.47],
          ],
          [
            [153.0202, -27.4698],
            [153.0204, -27.4698],
            [153.0204, -27.4696],
            [153.0202, -27.4698],
          ],
        ],
      },
    },
    status: 400,
  },
  {
    name: "bbox of strings",
    body: bbox(["153.02", "-27.47", "153.021", "-27.469"]),
    status: 400,
    path: "/area/bbox/0",
  },
  { name: "bbox with three numbers", body: bbox([153.02, -27.47, 153.021]), status: 400 },
  { name: "area missing", body: { resolution_m: 0.25 }, status: 400, path: "/area" },
  { name: "unknown area type", body: { area: { type: "circle", center: [0, 0] } }, status: 400 },
  {
    name: "resolution as a string",
    body: bboxBody(0, { resolution_m: "0.25" }),
    status: 400,
    path: "/resolution_m",
  },
  {
    name: "resolution out of range",
    body: bboxBody(0, { resolution_m: 10 }),
    status: 400,
    path: "/resolution_m",
  },
  { name: "unknown class", body: bboxBody(0, { classes: ["zebra_crossing"] }), status: 400 },
  { name: "repeated provider", body: bboxBody(0, { providers: ["esri", "esri"] }), status: 400 },
  { name: "unknown provider", body: bboxBody(0, { providers: ["bing"] }), status: 400 },
  { name: "min_confidence above 1", body: bboxBody(0, { min_confidence: 1.5 }), status: 400 },
  { name: "unknown top-level field", body: bboxBody(0, { debug: true }), status: 400, path: "/debug" },
  {
    name: "unknown field in the area",
    body: { area: { type: "bbox", bbox: [153.02, -27.47, 153.021, -27.469], crs: "x" } },
    status: 400,
    path: "/area/crs",
  },
  { name: "body is an array", body: [bboxBody(0)], status: 400 },
  { name: "body is null", body: "null", status: 400 },
  { name: "bad JSON", body: '{"area": {"type": "bbox", "bbox": [1, 2, 3', status: 400 },
  { name: "empty body", body: "", status: 400 },
  {
    name: "oversized body",
    body: JSON.stringify({ ...bboxBody(0), padding: "x".repeat(LIMITS.maxRequestBytes) }),
    status: 413,
  },
  {
    name: "not JSON content type",
    body: JSON.stringify(bboxBody(0)),
    status: 415,
    contentType: "text/plain",
  },
  {
    name: "JSON declared in a charset other than UTF-8",
    body: JSON.stringify(bboxBody(0)),
    status: 415,
    contentType: "application/json; charset=latin1",
  },
];

describe("validation", () => {
  it("takes a JSON body whatever parameters its Content-Type carries, and +json types", async () => {
    for (const contentType of [
      "application/json; charset=utf-8",
      "application/json;charset=UTF-8",
      "Application/JSON",
      "application/geo+json",
    ]) {
      const res = await postAnalysis(edge, key, bboxBody(0), { "content-type": contentType });
      expect(res.status, contentType).toBe(200);
      await res.arrayBuffer();
    }
  });

  it.each(cases)("$name -> $status problem+json", async ({ body, status, path, contentType }) => {
    const calls = rig.backend.calls.length;
    const res = await postAnalysis(edge, key, body, contentType ? { "content-type": contentType } : {});
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const p = (await res.json()) as {
      status: number;
      type: string;
      title: string;
      instance?: string;
      errors?: { path: string }[];
    };
    expect(p.status).toBe(status);
    // Every problem names the resource it is about, the middleware's 413 and 415 too.
    expect(p.instance).toBe("/v1/analyses");
    expect(typeof p.title).toBe("string");
    if (status === 400) expect(p.type).toBe("/problems/invalid-request");
    if (path !== undefined) expect(p.errors?.map((e) => e.path)).toContain(path);
    // The rate limit ran before validation: its headers are on the error too.
    if (status !== 413) {
      expect(res.headers.get("ratelimit-policy")).toBe('"hourly";q=1000;w=3600');
      expect(res.headers.get("ratelimit")).toMatch(/^"hourly";r=\d+;t=\d+$/);
    }
    expect(rig.backend.calls.length).toBe(calls);
  });

  it("answers a compressed body 415 with Accept-Encoding: identity, not 'not valid JSON'", async () => {
    const calls = rig.backend.calls.length;
    const res = await edge.fetch("/v1/analyses", {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        "content-encoding": "gzip",
      },
      body: gzipSync(JSON.stringify(bboxBody(0))),
    });
    expect(res.status).toBe(415);
    expect(res.headers.get("accept-encoding")).toBe("identity");
    const p = (await res.json()) as { detail: string; instance?: string };
    expect(p.detail).toMatch(/uncompressed: Content-Encoding gzip/);
    expect(p.instance).toBe("/v1/analyses");
    expect(res.headers.get("ratelimit-policy")).toBe('"hourly";q=1000;w=3600');
    expect(res.headers.get("ratelimit")).toMatch(/^"hourly";r=\d+;t=\d+$/);
    expect(rig.backend.calls.length).toBe(calls);
    // identity is no coding: the same body uncompressed is served.
    const plain = await postAnalysis(edge, key, bboxBody(0), { "content-encoding": "identity" });
    expect(plain.status).toBe(200);
  });

  it("refuses a member named twice in one object (JSON.parse would keep the last silently)", async () => {
    const calls = rig.backend.calls.length;
    const area = '{"type":"bbox","bbox":[153.02,-27.47,153.021,-27.469]}';
    for (const [text, path] of [
      [`{"area":${area},"area":${area}}`, "/area"],
      [`{"area":{"type":"bbox","bbox":[153.02,-27.47,153.021,-27.469],"type":"Polygon"}}`, "/area/type"],
    ] as const) {
      const res = await edge.fetch("/v1/analyses", {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: text,
      });
      expect(res.status).toBe(400);
      const p = (await res.json()) as { errors: { path: string; message: string }[] };
      expect(p.errors).toEqual([
        {
          path,
          message: `member "${path.split("/").pop()}" appears more than once in its object; each name may appear once (RFC 7493)`,
        },
      ]);
      expect(res.headers.get("ratelimit-policy")).toBe('"hourly";q=1000;w=3600');
    }
    expect(rig.backend.calls.length).toBe(calls);
  });

  it("refuses a body that is not UTF-8 as such, echoing none of it", async () => {
    const calls = rig.backend.calls.length;
    const text = JSON.stringify({ area: { type: "bbox", bbox: [153.02, -27.47, 153.021, -27.469] } });
    const at = text.indexOf("bbox");
    // 0xff 0xfe inside "bbox": never valid in UTF-8 (read leniently they became U+FFFD and the
    // error echoed them back).
    const body = Buffer.concat([
      Buffer.from(text.slice(0, at + 4)),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(text.slice(at + 4)),
    ]);
    const res = await edge.fetch("/v1/analyses", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body,
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const p = (await res.json()) as { detail: string; instance?: string; errors?: unknown };
    expect(p.detail).toBe("The request body is not valid UTF-8 (JSON text is UTF-8, RFC 8259).");
    expect(p.instance).toBe("/v1/analyses");
    expect(JSON.stringify(p)).not.toContain("\ufffd");
    expect(rig.backend.calls.length).toBe(calls);
  });

  it("reads the compatibility route's body as strictly: UTF-8 only, no member twice", async () => {
    const calls = rig.backend.calls.length;
    const bounds = '"north":-27.469,"south":-27.47,"east":153.021,"west":153.02';
    const post = (body: string | Buffer) =>
      edge.fetch("/analyze_road_infrastructure", {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: typeof body === "string" ? body : new Uint8Array(body),
      });
    const latin1 = await post(
      Buffer.concat([Buffer.from(`{${bounds},"note":"`), Buffer.from([0xe9]), Buffer.from('"}')]),
    );
    expect(latin1.status).toBe(400);
    const notUtf8 = (await latin1.json()) as { detail: string; instance?: string };
    expect(notUtf8.detail).toBe("The request body is not valid UTF-8 (JSON text is UTF-8, RFC 8259).");
    expect(notUtf8.instance).toBe("/analyze_road_infrastructure");
    expect(latin1.headers.get("deprecation")).toBe("@1793491200");
    expect(latin1.headers.get("ratelimit-policy")).toBe('"hourly";q=1000;w=3600');

    const twice = await post(`{${bounds},"north":-27.4}`);
    expect(twice.status).toBe(400);
    const p = (await twice.json()) as { errors: { path: string; message: string }[] };
    expect(p.errors).toEqual([
      {
        path: "/north",
        message: 'member "north" appears more than once in its object; each name may appear once (RFC 7493)',
      },
    ]);
    expect(rig.backend.calls.length).toBe(calls);
    // The same bounds, each named once, are analysed.
    expect((await post(`{${bounds}}`)).status).toBe(200);
  });

  it("accepts the valid request these cases are variations of", async () => {
    const res = await postAnalysis(edge, key, bboxBody(0));
    expect(res.status).toBe(200);
  });

  it("names the resource in `instance` as the client sent it, percent-encoded, on every path", async () => {
    // decodeURI (Hono's c.req.path) turned %41 into "A" but kept %2F, and left "é" raw.
    for (const [method, path] of [
      ["GET", "/v2/%41b%2Fc%C3%A9"],
      ["GET", "/v1/analyses/%41b%2Fc%C3%A9"],
      ["PUT", "/v1/%41nalyses"],
    ] as const) {
      const res = await edge.fetch(path, { method, headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBeGreaterThanOrEqual(400);
      const p = (await res.json()) as { instance?: string };
      expect(p.instance).toBe(path);
    }
  });

  it("answers an unknown route 404 and a method the route does not serve 405, as problem+json", async () => {
    for (const [method, path, status] of [
      ["GET", "/v2/nothing", 404],
      ["DELETE", "/v1/analyses", 405],
    ] as const) {
      const res = await edge.fetch(path, { method, headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
  });
});
