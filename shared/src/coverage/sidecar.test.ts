import { describe, expect, it } from "vitest";
import { parseSidecarFootprint, SidecarError } from "./sidecar.js";

const good = {
  coordinates_type: "EPSG:3857",
  region: [-41909.78094186766, 4782162.0627005, -41536.45438641014, 4782535.389255957],
  resolution: [1280, 1280],
  meters_per_pixel: 0.29166137145118315,
  lanes: [],
};

describe("parseSidecarFootprint", () => {
  it("reads the footprint of a valid AEL sidecar", () => {
    expect(parseSidecarFootprint(good)).toEqual({
      footprint: good.region,
      width: 1280,
      height: 1280,
      mercatorResolution: good.meters_per_pixel,
    });
  });

  it.each([
    ["not an object", [1, 2], /expected object/],
    ["missing region", { ...good, region: undefined }, /region/],
    ["wrong CRS", { ...good, coordinates_type: "EPSG:4326" }, /coordinates_type/],
    ["fractional width", { ...good, resolution: [1280.5, 1280] }, /resolution\.0/],
    ["string number", { ...good, meters_per_pixel: "0.29" }, /meters_per_pixel/],
    ["inverted region", { ...good, region: [1, 1, 0, 2] }, /min < max/],
    [
      "region in degrees",
      { ...good, region: [-0.3765, 39.4, -0.373, 39.403] },
      /disagrees with region\/resolution on x/,
    ],
    ["non-square pixels", { ...good, resolution: [1280, 640] }, /on y/],
    ["outside the world", { ...good, region: [3e7, 0, 3e7 + 373, 373] }, /outside the EPSG:3857 world/],
  ])("rejects %s", (_name, json, message) => {
    expect(() => parseSidecarFootprint(json)).toThrow(SidecarError);
    expect(() => parseSidecarFootprint(json)).toThrow(message);
  });
});
