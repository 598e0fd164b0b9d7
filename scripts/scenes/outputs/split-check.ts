/**
 * The one split checker (generator and importer): footprints (EPSG:3857 boxes) of different
 * splits must not overlap, or test pixels leak into training. Fails loudly, naming the pairs.
 */
import Flatbush from "flatbush";

export interface Footprint {
  id: string;
  split: string;
  /** [minX, minY, maxX, maxY] in EPSG:3857 metres. */
  bbox: readonly [number, number, number, number];
}

export interface Overlap {
  a: Footprint;
  b: Footprint;
  /** Overlap area in square Mercator metres. */
  area: number;
}

export class SplitLeakError extends Error {
  readonly overlaps: Overlap[];
  constructor(overlaps: Overlap[]) {
    const shown = overlaps
      .slice(0, 10)
      .map((o) => `${o.a.id} (${o.a.split}) x ${o.b.id} (${o.b.split}): ${o.area.toFixed(1)} m2`)
      .join("; ");
    super(
      `split leakage: ${overlaps.length} footprint overlap(s) across splits: ${shown}${overlaps.length > 10 ? "; ..." : ""}`,
    );
    this.name = "SplitLeakError";
    this.overlaps = overlaps;
  }
}

/** All pairs of footprints in different splits whose boxes overlap by more than `minArea`. */
export function findSplitOverlaps(items: readonly Footprint[], minArea = 1e-6): Overlap[] {
  if (items.length < 2) return [];
  const index = new Flatbush(items.length);
  for (const f of items) index.add(f.bbox[0], f.bbox[1], f.bbox[2], f.bbox[3]);
  index.finish();
  const out: Overlap[] = [];
  items.forEach((a, i) => {
    for (const j of index.search(a.bbox[0], a.bbox[1], a.bbox[2], a.bbox[3])) {
      if (j <= i) continue;
      const b = items[j]!;
      if (a.split === b.split) continue;
      const w = Math.min(a.bbox[2], b.bbox[2]) - Math.max(a.bbox[0], b.bbox[0]);
      const h = Math.min(a.bbox[3], b.bbox[3]) - Math.max(a.bbox[1], b.bbox[1]);
      if (w > 0 && h > 0 && w * h > minArea) out.push({ a, b, area: w * h });
    }
  });
  return out;
}

export function assertDisjointSplits(items: readonly Footprint[]): void {
  const overlaps = findSplitOverlaps(items);
  if (overlaps.length > 0) throw new SplitLeakError(overlaps);
}
