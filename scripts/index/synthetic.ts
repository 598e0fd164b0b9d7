/**
 * Deterministic synthetic imagery footprints for benchmarks: 1280-px images at 0.15-0.3 m ground
 * resolution laid out in clusters (a survey flight over a town) all over the world, each image
 * overlapping its neighbours by 10-25 % and jittered, like a real aerial mosaic.
 */
import {
  type CoverageEntry,
  lonLatToMercator,
  mercatorResolutionForGround,
  seededRandom,
} from "@lanesegnet/shared";

export interface Cluster {
  readonly lon: number;
  readonly lat: number;
  /** Extent of the cluster's footprints, EPSG:3857. */
  readonly bbox: [number, number, number, number];
  readonly count: number;
}

export const IMAGE_PX = 1280;

/**
 * Yield `n` entries (ids `syn0000000`...) and fill `clusters` as a side effect. Clusters hold 500
 * to 9,500 images (a 28x28 to 97x97 grid, about 8 to 35 km across).
 */
export function* syntheticFootprints(n: number, seed: number, clusters: Cluster[]): Generator<CoverageEntry> {
  const rand = seededRandom(seed);
  let made = 0;
  while (made < n) {
    const count = Math.min(n - made, 500 + Math.floor(rand() * 9000));
    const lon = -170 + rand() * 340;
    const lat = -55 + rand() * 120;
    const ground = 0.15 + rand() * 0.15;
    const res = mercatorResolutionForGround(ground, lat);
    const side = IMAGE_PX * res;
    const step = side * (0.75 + rand() * 0.15);
    const cols = Math.ceil(Math.sqrt(count));
    const [cx, cy] = lonLatToMercator(lon, lat);
    const x0 = cx - (cols * step) / 2;
    const y0 = cy - (cols * step) / 2;
    const bbox: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
    for (let k = 0; k < count; k++) {
      const jr = res * (1 + (rand() - 0.5) * 0.04); // per-image resolution jitter +-2 %
      const s = IMAGE_PX * jr;
      const x = x0 + (k % cols) * step + (rand() - 0.5) * 0.1 * side;
      const y = y0 + Math.floor(k / cols) * step + (rand() - 0.5) * 0.1 * side;
      bbox[0] = Math.min(bbox[0], x);
      bbox[1] = Math.min(bbox[1], y);
      bbox[2] = Math.max(bbox[2], x + s);
      bbox[3] = Math.max(bbox[3], y + s);
      const id = `syn${(made + k).toString().padStart(7, "0")}`;
      yield {
        id,
        file: `${id}.jpg`,
        footprint: [x, y, x + s, y + s],
        width: IMAGE_PX,
        height: IMAGE_PX,
        mercatorResolution: jr,
      };
    }
    clusters.push({ lon, lat, bbox, count });
    made += count;
  }
}
