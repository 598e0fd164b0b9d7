import { describe, expect, it } from "vitest";
import { CoverageQuerySchema } from "./coverage.js";

const messages = (bbox: string) =>
  CoverageQuerySchema.safeParse({ bbox }).error?.issues.map((i) => i.message);

describe("GET /v1/coverage query", () => {
  it("says why a box across the antimeridian is refused, and only there", () => {
    expect(messages("179.9,0,-179.9,0.1")).toEqual([
      "bbox must have west < east and south < north; areas crossing the antimeridian (180°) are not supported: ask for each side of 180°",
    ]);
    // West and east swapped far from 180°: a plain ordering mistake.
    expect(messages("153.03,-27.47,153.02,-27.46")).toEqual(["bbox must have west < east and south < north"]);
    expect(CoverageQuerySchema.safeParse({}).error?.issues.map((i) => i.message)).toEqual([
      "bbox is required: west,south,east,north in WGS84 degrees",
    ]);
    expect(CoverageQuerySchema.safeParse({ bbox: "179.9,0,180,0.1" }).success).toBe(true);
    // Beyond ±180 on the "wrong" side is out of range, whatever the order.
    for (const bbox of ["200,0,-200,1", "181,0,-181,1", "-181,0,10,1", "0,0,10,-86"]) {
      expect(messages(bbox)?.[0], bbox).toMatch(/^bbox must lie within longitude \[-180, 180\]/);
    }
  });
});
