import { describe, expect, it } from "vitest";
import { z } from "zod";
import { toJsonPointer } from "../json-pointer.js";
import {
  MAX_FIELD_ERRORS,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPES,
  ProblemSchema,
  problem,
  problemResponse,
  validationProblem,
} from "./problem.js";
import { AnalysisRequestSchema } from "./request.js";

describe("problem details", () => {
  it("defaults the type to about:blank and the title to the status phrase", () => {
    expect(problem(429, { detail: "50 analyses per hour" })).toEqual({
      type: "about:blank",
      title: "Too Many Requests",
      status: 429,
      detail: "50 analyses per hour",
    });
    expect(problem(418).title).toBe("Error");
    expect(ProblemSchema.safeParse(problem(503, { instance: "/v1/analyses" })).success).toBe(true);
  });

  it("turns a zod error into field errors with JSON Pointers", () => {
    const r = AnalysisRequestSchema.safeParse({ area: { type: "bbox", bbox: [-200, 0, 1, 1] }, x: 1 });
    expect(r.success).toBe(false);
    if (r.success) return;
    const p = validationProblem(r.error, { instance: "/v1/analyses" });
    expect(p.status).toBe(400);
    expect(p.type).toBe(PROBLEM_TYPES.invalidRequest);
    expect(p.instance).toBe("/v1/analyses");
    expect(p.errors?.map((e) => e.path).sort()).toEqual(["/area/bbox/0", "/x"]);
    expect(p.errors?.find((e) => e.path === "/x")?.message).toBe('unknown field "x"');
    expect(ProblemSchema.safeParse(p).success).toBe(true);
  });

  it("says a missing member is required, in place of zod's 'expected …, received undefined'", () => {
    const schema = z.strictObject({
      west: z.number(),
      bbox: z.string(),
      ok: z.boolean(),
      list: z.array(z.number()),
      own: z.number({ error: (i) => (i.input === undefined ? "own is needed" : undefined) }),
    });
    const r = schema.safeParse({ west: "x" });
    expect(r.success).toBe(false);
    if (r.success) return;
    expect(validationProblem(r.error).errors).toEqual([
      { path: "/west", message: "Invalid input: expected number, received string" },
      { path: "/bbox", message: "required: a string" },
      { path: "/ok", message: "required: a boolean" },
      { path: "/list", message: "required: an array" },
      { path: "/own", message: "own is needed" },
    ]);
  });

  it("lists at most MAX_FIELD_ERRORS field errors and counts the rest", () => {
    const area = { type: "bbox", bbox: [153.02, -27.47, 153.021, -27.469] };
    // 30,000 bad items fit in a 64 KiB body; one error each made a 400 of ~7 MB.
    const classes = Array.from({ length: 30_000 }, () => 0);
    const r = AnalysisRequestSchema.safeParse({ area, classes });
    expect(r.success).toBe(false);
    if (r.success) return;
    const p = validationProblem(r.error);
    expect(p.errors?.length).toBeLessThanOrEqual(MAX_FIELD_ERRORS);
    expect(JSON.stringify(p).length).toBeLessThan(5_000);
    expect(p.errors?.[0]).toMatchObject({ path: "/classes" });
    // 100 positions that are not numbers, within the ring's bound: 20 listed, the rest counted.
    const ring = Array.from({ length: 100 }, () => ["a", "b"]);
    const some = AnalysisRequestSchema.safeParse({ area: { type: "Polygon", coordinates: [ring] } });
    expect(some.success).toBe(false);
    if (some.success) return;
    const capped = validationProblem(some.error);
    expect(capped.errors).toHaveLength(MAX_FIELD_ERRORS);
    expect(capped.errors?.every((e) => e.path.startsWith("/area/coordinates/0/"))).toBe(true);
    expect(capped.errors_omitted).toBe(some.error.issues.length - MAX_FIELD_ERRORS);
    expect(ProblemSchema.safeParse(capped).success).toBe(true);
    expect(validationProblem(r.error).errors_omitted).toBeUndefined();
  });

  it("puts what is wrong with a member as a whole before the errors of its parts", () => {
    // A ring without its outer brackets: each position fails as a ring, and the reason comes first.
    const ring = [
      [-121.4955, 38.5805],
      [-121.494, 38.5805],
      [-121.494, 38.5818],
      [-121.4955, 38.5805],
    ];
    const r = AnalysisRequestSchema.safeParse({ area: { type: "Polygon", coordinates: ring } });
    expect(r.success).toBe(false);
    if (r.success) return;
    const errors = validationProblem(r.error).errors ?? [];
    expect(errors[0]).toEqual({
      path: "/area/coordinates",
      message:
        "coordinates must be an array of linear rings, [[[lon, lat], …]]: this looks like one ring without its outer brackets",
    });
    expect(errors.some((e) => /holes/.test(e.message))).toBe(false);
  });

  it("lists each fault once: a Polygon with a hole is one error, not two", () => {
    const outer = [
      [-121.495, 38.581],
      [-121.494, 38.581],
      [-121.494, 38.582],
      [-121.495, 38.582],
      [-121.495, 38.581],
    ];
    const hole = [
      [-121.4948, 38.5812],
      [-121.4948, 38.5815],
      [-121.4945, 38.5815],
      [-121.4948, 38.5812],
    ];
    const r = AnalysisRequestSchema.safeParse({ area: { type: "Polygon", coordinates: [outer, hole] } });
    expect(r.success).toBe(false);
    if (r.success) return;
    expect(validationProblem(r.error).errors).toEqual([
      {
        path: "/area/coordinates",
        message: "polygons with holes (interior rings) are not supported: send only the exterior ring",
      },
    ]);
  });

  it("names an unknown field too long to echo by its start and length, not in full", () => {
    const name = "k".repeat(50_000);
    const area = { type: "bbox", bbox: [153.02, -27.47, 153.021, -27.469] };
    const r = AnalysisRequestSchema.safeParse({ area, [name]: 1, short: 1 });
    expect(r.success).toBe(false);
    if (r.success) return;
    const p = validationProblem(r.error);
    expect(JSON.stringify(p).length).toBeLessThan(1_000);
    expect(p.errors).toContainEqual({
      path: "",
      message: `unknown field "${"k".repeat(40)}…" (a name of 50000 characters)`,
    });
    expect(p.errors).toContainEqual({ path: "/short", message: 'unknown field "short"' });
  });

  it("escapes JSON Pointer segments (RFC 6901)", () => {
    expect(toJsonPointer(["a/b", "c~d", 0])).toBe("/a~1b/c~0d/0");
    expect(toJsonPointer([])).toBe("");
  });

  it("builds an application/problem+json response", async () => {
    const res = problemResponse(problem(404), { "x-request-id": "r1" });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
    expect(res.headers.get("x-request-id")).toBe("r1");
    expect(await res.json()).toEqual({ type: "about:blank", title: "Not Found", status: 404 });
  });
});
