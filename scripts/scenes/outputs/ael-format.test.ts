import { createMask, lonLatToMercator, rasterizeLanes } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { AelAnnotationSchema, aelGroundGsd, aelLaneClass, aelLanePixels } from "./ael-format.js";

/** A 100 x 100 px AEL annotation centred on lon 10, lat 60 at 0.12 Mercator m/px (0.06 m on the ground). */
function annotation(vertices: [number, number][]) {
  const [cx, cy] = lonLatToMercator(10, 60);
  return AelAnnotationSchema.parse({
    region: [cx - 6, cy - 6, cx + 6, cy + 6],
    resolution: [100, 100],
    meters_per_pixel: 0.12,
    lanes: [{ single: false, white: true, solid: true, vertices }],
  });
}

describe("AEL annotations as the importer draws their masks", () => {
  it("takes ground metres per pixel as Mercator metres per pixel x cos(latitude of the centre)", () => {
    expect(aelGroundGsd(annotation([]))).toBeCloseTo(0.12 * 0.5, 9);
  });

  it("reads a vertex as the centre of its pixel and labels the double line at the ground resolution", () => {
    const ann = annotation([
      [0, 50],
      [99, 50],
    ]);
    const lane = ann.lanes[0]!;
    expect(aelLanePixels(lane)).toEqual([
      [0.5, 50.5],
      [99.5, 50.5],
    ]);
    // Double white (class 5), 0.4 m at 0.06 m/px: ceil(6.7) = 7 px, centred on row 50.
    const mask = rasterizeLanes(
      createMask(100, 100),
      [{ classId: aelLaneClass(lane), points: aelLanePixels(lane) }],
      aelGroundGsd(ann),
    ).data;
    const rows = [...new Set([...mask.keys()].filter((i) => mask[i] === 5).map((i) => Math.floor(i / 100)))];
    expect(rows).toEqual([47, 48, 49, 50, 51, 52, 53]);
  });
});
