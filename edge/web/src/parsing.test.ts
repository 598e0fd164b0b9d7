import { describe, expect, it } from "vitest";
import type { MarkingClassName } from "../../../shared/src/classes.js";
import { bboxFromCorners, DEMO_BBOX, parseBbox, parseBoundsHeader } from "./bbox.js";
import { classColourExpression, classLabel, DASHED_CLASS_IDS, MARKING_CLASSES } from "./classes.js";
import { parseRateLimit, parseRateLimitPolicy } from "./ratelimit.js";
import { summarise } from "./summary.js";

describe("rate-limit headers", () => {
  it("reads what is left and the quota", () => {
    expect(parseRateLimit('"hourly";r=49;t=1800')).toEqual({ remaining: 49, resetS: 1800 });
    expect(parseRateLimitPolicy('"hourly";q=50;w=3600')).toEqual({ quota: 50, windowS: 3600 });
    expect(parseRateLimit(null)).toBeNull();
    expect(parseRateLimit('"hourly";r=x;t=1')).toBeNull();
  });
});

describe("area inputs", () => {
  it("accepts the demo area and refuses inverted or out-of-range boxes", () => {
    expect(parseBbox(DEMO_BBOX.map(String))).toEqual({ ok: true, bbox: DEMO_BBOX });
    // Each refusal names the input at fault (0 west … 3 north), for aria-invalid and focus.
    expect(parseBbox(["1", "2", "0", "3"])).toEqual({
      ok: false,
      message: "West must be less than East.",
      field: 2,
    });
    expect(parseBbox(["1", "2", "", "3"])).toEqual({ ok: false, message: "East is not a number.", field: 2 });
    // A box of no width or no height: the API refuses it, and a refused analysis still costs quota.
    expect(parseBbox(["1", "2", "1", "3"])).toMatchObject({ ok: false, field: 2 });
    expect(parseBbox(["1", "2", "2", "2"])).toMatchObject({ ok: false, field: 3 });
    expect(parseBbox(["1", "-91", "2", "3"])).toMatchObject({ ok: false, field: 1 });
    // The API's own latitude limit (Web Mercator's), not a rounded one: 85.051 is a valid north.
    expect(parseBbox(["1", "85.05", "2", "85.051"]).ok).toBe(true);
    expect(parseBbox(["1", "85.05", "2", "85.052"]).ok).toBe(false);
  });

  it("orders drawn corners and reads X-Image-Bounds", () => {
    expect(bboxFromCorners([2.0000004, 1], [1, 3.1234567])).toEqual([1, 1, 2, 3.123457]);
    expect(parseBoundsHeader("-121.496,38.58,-121.49299,38.5824")).toEqual([
      -121.496, 38.58, -121.49299, 38.5824,
    ]);
    expect(parseBoundsHeader("nonsense")).toBeNull();
  });
});

describe("classes and totals", () => {
  it("colours lines from the registry", () => {
    const expr = classColourExpression() as unknown as unknown[];
    expect(expr.slice(0, 2)).toEqual(["match", ["get", "class_id"]]);
    for (const c of MARKING_CLASSES) expect(expr[expr.indexOf(c.id) + 1]).toBe(c.display);
    expect(DASHED_CLASS_IDS).toEqual([2, 4]);
    expect(classLabel("double_yellow_solid")).toBe("Double yellow solid");
  });

  it("sums lengths per class to the centimetre, every class listed", () => {
    const line = (id: string, class_id: number, length_m: number) => ({
      id,
      class: MARKING_CLASSES[class_id - 1]!.name as MarkingClassName,
      class_id,
      length_m,
      width_m: 0.15,
      confidence: 0.9,
      dashed: false,
    });
    const s = summarise([line("a", 1, 10.11), line("b", 1, 0.2), line("c", 6, 3.33)]);
    expect(s.count).toBe(3);
    expect(s.lengthM).toBe(13.64);
    expect(s.classes).toHaveLength(6);
    expect(s.classes[0]).toEqual({ classId: 1, name: "single_white_solid", count: 2, lengthM: 10.31 });
    expect(s.classes[5]!.lengthM).toBe(3.33);
    expect(s.classes[2]!.count).toBe(0);
    // Only the classes the analysis looked for get a row (a zero row would read "none here").
    const asked = summarise([line("a", 1, 10.11)], new Set(["single_white_solid", "double_yellow_solid"]));
    expect(asked.classes.map((c) => [c.name, c.count])).toEqual([
      ["single_white_solid", 1],
      ["double_yellow_solid", 0],
    ]);
  });
});
