/**
 * Test fixtures: <id>.jpg (image), <id>.png (mask, value = class id) and <id>.json with the
 * scene's lanes in pixels and in lon/lat, its ground resolution, Mercator grid and AEL sidecar, so
 * tests of other packages can compare what they find with the exact truth.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PlacedScene } from "../place.js";
import { encodeJpeg, encodeMask } from "../render/encode.js";
import type { Scene } from "../scene.js";
import { formatJson } from "./json-format.js";

export interface FixtureFile {
  id: string;
  image: string;
  mask: string;
  width: number;
  height: number;
  gsdM: number;
  grid: PlacedScene["grid"];
  centre: PlacedScene["centre"];
  meta: Scene["meta"];
  lanes: {
    classId: number;
    className: string;
    pixels: [number, number][];
    lonlat: [number, number][];
    paintWidthM: number;
    strokeWidthM: number;
    doubleGapM: number | null;
    pattern: Scene["lanes"][number]["pattern"];
    painted: [number, number][];
  }[];
  sidecar: PlacedScene["sidecar"];
}

const r = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

export async function writeFixture(
  dir: string,
  id: string,
  scene: Scene,
  placed: PlacedScene,
  quality: number,
): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const jpg = await encodeJpeg(scene.rgb, scene.width, scene.height, quality);
  const png = await encodeMask(scene.mask, scene.width, scene.height);
  writeFileSync(join(dir, `${id}.jpg`), jpg);
  writeFileSync(join(dir, `${id}.png`), png);
  const file: FixtureFile = {
    id,
    image: `${id}.jpg`,
    mask: `${id}.png`,
    width: scene.width,
    height: scene.height,
    gsdM: scene.gsdM,
    grid: placed.grid,
    centre: placed.centre,
    meta: scene.meta,
    lanes: scene.lanes.map((l, i) => ({
      classId: l.classId,
      className: l.className,
      pixels: l.points.map(([x, y]) => [r(x, 4), r(y, 4)]),
      lonlat: placed.lanes[i]!.coordinates.map(([lon, lat]) => [r(lon, 9), r(lat, 9)]),
      paintWidthM: r(l.paintWidthM, 4),
      strokeWidthM: r(l.strokeWidthM, 4),
      doubleGapM: l.doubleGapM === null ? null : r(l.doubleGapM, 4),
      pattern: l.pattern,
      painted: l.painted.map(([a, b]) => [r(a, 4), r(b, 4)]),
    })),
    sidecar: placed.sidecar,
  };
  const json = formatJson(file);
  writeFileSync(join(dir, `${id}.json`), json);
  return jpg.length + png.length + json.length;
}
