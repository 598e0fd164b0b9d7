import { describe, expect, it } from "vitest";
import { toJsonPointer } from "../json-pointer.js";
import {
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
    expect(p.errors?.map((e) => e.path).sort()).toEqual(["", "/area/bbox/0"]);
    expect(ProblemSchema.safeParse(p).success).toBe(true);
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
