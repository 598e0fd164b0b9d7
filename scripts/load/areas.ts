/**
 * Analysis areas for load tests and benchmarks: the demo bbox, and random squares fully covered by
 * a local imagery store (checked with the same coverage index the backend uses), so every uncached
 * request is real work on real imagery, never a "no imagery" answer.
 */
import { join } from "node:path";
import { CoverageIndex, mercatorToLonLat, seededRandom } from "@lanesegnet/shared";
import { buildIndexFromStore } from "../../gpu-backend/src/coverage/index.js";
import { REPO_ROOT } from "../dev/repo-root.js";

export type Bbox = readonly [number, number, number, number];

/** The README's demo area (inside gpu-backend/demo-store). */
export const DEMO_BBOX: Bbox = [-121.496, 38.58, -121.493, 38.5824];
export const DEMO_STORE_DIR = join(REPO_ROOT, "gpu-backend/demo-store");

export interface StoreAreas {
  /** Coverage union's bounding box (lon/lat). */
  readonly bounds: Bbox;
  /**
   * A square of about `sideM` ground metres at a random place fully covered by the store.
   * Throws when none is found (the store is smaller than the square).
   */
  randomSquare(sideM: number): Bbox;
  /** Whether the store's images cover `bbox` completely. */
  covers(bbox: Bbox): boolean;
}

/** Round to 1e-7° (the cache key's precision) so the bbox that is sent is the one that was checked. */
function q(v: number): number {
  return Math.round(v * 1e7) / 1e7;
}

export async function storeAreas(dir = DEMO_STORE_DIR, seed = 1): Promise<StoreAreas> {
  const store = await buildIndexFromStore(dir);
  if (!store.bounds || store.count === 0) throw new Error(`no images in the store ${dir}`);
  const index = CoverageIndex.from(store.buffer);
  const [x0, y0, x1, y1] = store.bounds;
  const [west, south] = mercatorToLonLat(x0, y0);
  const [east, north] = mercatorToLonLat(x1, y1);
  const random = seededRandom(seed);
  const covers = (b: Bbox) => index.covers({ lonLat: [b[0], b[1], b[2], b[3]] }).fully;
  return {
    bounds: [west, south, east, north],
    covers,
    randomSquare(sideM) {
      const midLat = (south + north) / 2;
      // Web Mercator metres per ground metre at this latitude.
      const scale = 1 / Math.cos((midLat * Math.PI) / 180);
      const side = sideM * scale;
      if (side > x1 - x0 || side > y1 - y0) throw new Error(`the store is smaller than ${sideM} m`);
      for (let attempt = 0; attempt < 1000; attempt++) {
        const mx = x0 + random() * (x1 - x0 - side);
        const my = y0 + random() * (y1 - y0 - side);
        const [w, s] = mercatorToLonLat(mx, my);
        const [e, n] = mercatorToLonLat(mx + side, my + side);
        const bbox: Bbox = [q(w), q(s), q(e), q(n)];
        if (covers(bbox)) return bbox;
      }
      throw new Error(`no ${sideM} m square fully covered by the store ${dir}`);
    },
  };
}

/** The body of POST /v1/analyses for a bbox (optionally at a ground resolution). */
export function analysisBody(bbox: Bbox, resolutionM?: number): string {
  return JSON.stringify({
    area: { type: "bbox", bbox },
    ...(resolutionM === undefined ? {} : { resolution_m: resolutionM }),
  });
}
