/**
 * Georeferencing: put a scene at real-world coordinates. The scene's pixels become a Web Mercator
 * grid centred on (lon, lat) whose Mercator resolution is gsd / cos(lat), so the ground resolution
 * at the centre is exactly the scene's gsd. Lanes come out in lon/lat and as an AEL sidecar.
 */
import {
  lonLatToMercator,
  type MercatorGrid,
  mercatorResolutionForGround,
  pixelToLonLat,
} from "@lanesegnet/shared";
import { type AelAnnotation, makeSidecar } from "./outputs/ael-format.js";
import type { Scene, SceneLane } from "./scene.js";

export interface LonLat {
  lon: number;
  lat: number;
}

export interface GeoLane {
  classId: number;
  className: string;
  /** Centreline as [lon, lat] (WGS84). */
  coordinates: [number, number][];
  paintWidthM: number;
  pattern: SceneLane["pattern"];
  painted: SceneLane["painted"];
}

export interface PlacedScene {
  grid: MercatorGrid;
  centre: LonLat;
  /** Ground metres per pixel at the centre. */
  gsdM: number;
  lanes: GeoLane[];
  sidecar: AelAnnotation;
}

export function gridAt(width: number, height: number, gsdM: number, at: LonLat): MercatorGrid {
  if (!(Math.abs(at.lat) < 85 && Math.abs(at.lon) <= 180))
    throw new RangeError(`bad coordinates ${at.lon},${at.lat}`);
  const resolution = mercatorResolutionForGround(gsdM, at.lat);
  const [cx, cy] = lonLatToMercator(at.lon, at.lat);
  return {
    originX: cx - (width * resolution) / 2,
    originY: cy + (height * resolution) / 2,
    resolution,
    width,
    height,
  };
}

export function lanesToLonLat(grid: MercatorGrid, lanes: readonly SceneLane[]): GeoLane[] {
  return lanes.map((l) => ({
    classId: l.classId,
    className: l.className,
    coordinates: l.points.map(([x, y]) => pixelToLonLat(grid, x, y)),
    paintWidthM: l.paintWidthM,
    pattern: l.pattern,
    painted: l.painted,
  }));
}

export function placeScene(scene: Scene, at: LonLat): PlacedScene {
  const grid = gridAt(scene.width, scene.height, scene.gsdM, at);
  return {
    grid,
    centre: at,
    gsdM: scene.gsdM,
    lanes: lanesToLonLat(grid, scene.lanes),
    sidecar: makeSidecar(grid, scene.lanes),
  };
}
