import type { ResolvedAnalysisRequest } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { type WorkedOut, WorkedOutBodies } from "./worked-out-bodies.js";

const workedOut = (id: string): WorkedOut => ({
  request: {
    area: { type: "bbox", bbox: [153.02, -27.47, 153.021, -27.469] },
    resolution_m: 0.25,
    classes: ["single_white_solid"],
    providers: ["local"],
    min_confidence: 0.5,
  } as ResolvedAnalysisRequest,
  id,
  areaHash: `area-${id}`,
});

describe("WorkedOutBodies", () => {
  it("returns what was worked out for exactly the same text only", () => {
    const held = new WorkedOutBodies();
    const value = workedOut("a");
    held.put('{"area":1}', value);
    expect(held.get('{"area":1}')).toBe(value);
    expect(held.get('{"area": 1}')).toBeUndefined();
  });

  it("freezes what it holds, so no request can change what a later one sees", () => {
    const held = new WorkedOutBodies();
    held.put("body", workedOut("a"));
    const got = held.get("body") as WorkedOut;
    expect(() => {
      (got.request.classes as string[]).push("single_yellow_solid");
    }).toThrow(TypeError);
    expect(() => {
      (got.request.area as { bbox: number[] }).bbox[0] = 0;
    }).toThrow(TypeError);
  });

  it("does not hold long bodies, and lets the oldest go when full", () => {
    const held = new WorkedOutBodies();
    held.put("x".repeat(16 * 1024 + 1), workedOut("long"));
    expect(held.get("x".repeat(16 * 1024 + 1))).toBeUndefined();
    // 2 MiB over ~17 KiB per entry: ~120 of these fit; the first ones are gone after 300.
    const body = (i: number) => `${i}`.padEnd(16 * 1024, " ");
    for (let i = 0; i < 300; i++) held.put(body(i), workedOut(String(i)));
    expect(held.get(body(0))).toBeUndefined();
    expect(held.get(body(299))?.id).toBe("299");
  });
});
