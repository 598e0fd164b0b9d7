import { gridForBbox, LANE_CLASSES, type LonLatBbox, pixelToLonLat } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { escapeXml, overlaySvg, projectLine, strokeWidthPx } from "./svg.js";

const bbox: LonLatBbox = [-121.496, 38.58, -121.493, 38.5824];
const grid = gridForBbox(bbox, 0.25);

function polylinePoints(svg: string, cls: string): [number, number][] {
  const m = new RegExp(
    `<polyline points="([^"]+)" stroke="[^"]+"(?: stroke-dasharray="[^"]+")? data-class="${cls}"`,
  ).exec(svg);
  if (!m) throw new Error(`no ${cls} polyline`);
  return m[1]!.split(" ").map((p) => p.split(",").map(Number) as [number, number]);
}

describe("projectLine", () => {
  it("puts lon/lat on the grid's pixels, scaled to the output size", () => {
    const a = pixelToLonLat(grid, 10.5, 20.25);
    const b = pixelToLonLat(grid, 900, 1000);
    const full = projectLine(grid, grid.width, grid.height, [a, b]);
    expect(full[0]![0]).toBeCloseTo(10.5, 6);
    expect(full[0]![1]).toBeCloseTo(20.25, 6);
    expect(full[1]![0]).toBeCloseTo(900, 6);
    const half = projectLine(grid, grid.width / 2, grid.height / 2, [a, b]);
    expect(half[1]![0]).toBeCloseTo(450, 6);
    expect(half[1]![1]).toBeCloseTo(500, 6);
  });

  it("maps the bbox corners to the picture's corners (origin top-left)", () => {
    const [tl, br] = projectLine(grid, grid.width, grid.height, [
      [bbox[0], bbox[3]],
      [bbox[2], bbox[1]],
    ]);
    expect(tl![0]).toBeCloseTo(0, 6);
    expect(tl![1]).toBeCloseTo(0, 6);
    // The grid's last column/row may extend less than a pixel past the east/south edge.
    expect(br![0]).toBeGreaterThan(grid.width - 1);
    expect(br![0]).toBeLessThanOrEqual(grid.width);
    expect(br![1]).toBeGreaterThan(grid.height - 1);
    expect(br![1]).toBeLessThanOrEqual(grid.height);
  });
});

describe("overlaySvg", () => {
  const line = (class_id: number) => ({
    class_id,
    coordinates: [pixelToLonLat(grid, 100, 100), pixelToLonLat(grid, 200, 300)] as [number, number][],
  });

  it("draws each line in its class colour at its pixel position, dashed classes dashed", () => {
    const svg = overlaySvg({
      grid,
      width: grid.width,
      height: grid.height,
      lines: [line(1), line(4)],
      attribution: "Test imagery",
    });
    expect(polylinePoints(svg, "single_white_solid")).toEqual([
      [100, 100],
      [200, 300],
    ]);
    expect(svg).toContain(`stroke="${LANE_CLASSES[4]!.display}" stroke-dasharray=`);
    expect(svg).not.toMatch(/stroke="#f5f5f5" stroke-dasharray/);
  });

  it("outlines a polygon area and dims what lies outside it; a bbox area gets neither", () => {
    const corners = [
      [100, 100],
      [300, 100],
      [200, 250],
      [100, 100],
    ] as const;
    const area = corners.map(([x, y]) => pixelToLonLat(grid, x, y));
    const svg = overlaySvg({
      grid,
      width: grid.width,
      height: grid.height,
      lines: [],
      attribution: "A",
      area,
    });
    const outline = /<path d="([^"]+)Z" fill="none"[^>]* data-area="1"\/>/.exec(svg);
    expect(outline?.[1]).toBe("M100,100L300,100L200,250L100,100");
    // The dimmed region is the picture minus the ring (even-odd), drawn under the lines.
    expect(svg).toContain(`<path d="M0,0H${grid.width}V${grid.height}H0ZM100,100L300,100L200,250L100,100Z"`);
    expect(svg).toMatch(/fill-rule="evenodd" data-outside-area="1"/);
    expect(svg.indexOf("data-outside-area")).toBeLessThan(svg.indexOf('<g fill="none"'));
    expect(
      overlaySvg({ grid, width: grid.width, height: grid.height, lines: [], attribution: "A" }),
    ).not.toContain("data-area");
  });

  it("lists the requested classes in the legend with their figures, and the attribution", () => {
    const svg = overlaySvg({
      grid,
      width: 500,
      height: 500,
      lines: [],
      totals: {
        single_yellow_solid: { count: 3, length_m: 42.25 },
        double_white_solid: { count: 0, length_m: 0 },
      },
      attribution: "Esri & <friends>",
      caption: "Analysis abc",
    });
    const listed = [...svg.matchAll(/data-legend="([a-z_]+)"/g)].map((m) => m[1]);
    expect(listed).toEqual(["single_yellow_solid", "double_white_solid"]);
    expect(svg).toContain("single yellow solid  3 · 42.3 m");
    expect(svg).toContain("double white solid  0 · 0.0 m");
    expect(svg).toContain("Imagery: Esri &amp; &lt;friends&gt; · Analysis abc");
  });

  it("lists every marking class when it has no totals", () => {
    const svg = overlaySvg({ grid, width: 500, height: 500, lines: [], attribution: "A" });
    const listed = [...svg.matchAll(/data-legend="([a-z_]+)"/g)].map((m) => m[1]);
    expect(listed).toEqual(LANE_CLASSES.slice(1).map((c) => c.name));
  });

  it("escapes XML and keeps strokes visible on small pictures", () => {
    expect(escapeXml(`a<b>&"c'`)).toBe("a&lt;b&gt;&amp;&quot;c&apos;");
    expect(strokeWidthPx(100, 100)).toBe(2);
    expect(strokeWidthPx(2048, 2048)).toBe(6);
  });
});
