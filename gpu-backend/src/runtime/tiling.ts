/**
 * Sliding-window tiling with overlap. Each tile contributes only its interior (half the overlap is
 * trimmed on every side that has a neighbour), so the stitched result has no seams: every output
 * pixel comes from exactly one tile, the one in which it is farthest from an edge.
 */

export interface Tile {
  /** Window in raster pixels that the model sees (may extend past the raster: padded). */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** Part of the window this tile writes to the output, in raster pixels. */
  readonly keepX0: number;
  readonly keepY0: number;
  readonly keepX1: number;
  readonly keepY1: number;
}

/**
 * Window side along one axis: as many windows as maxTile needs, then the smallest side (a multiple
 * of the model's) that still covers the axis with the overlap, so a 1,050-px raster runs as two
 * 576-px windows, not two 1,024-px ones.
 */
function tileSide(length: number, maxTile: number, overlap: number, multiple: number): number {
  const round = (n: number) => Math.ceil(n / multiple) * multiple;
  if (length <= maxTile) return Math.min(maxTile, round(length));
  const n = Math.ceil((length - overlap) / (maxTile - overlap));
  return Math.min(maxTile, round(Math.ceil((length + overlap * (n - 1)) / n)));
}

/** The fewest windows with at least `overlap` shared pixels, spread evenly along the axis. */
function starts(length: number, size: number, overlap: number): number[] {
  if (length <= size) return [0];
  const n = Math.ceil((length - overlap) / (size - overlap));
  return Array.from({ length: n }, (_, i) => Math.round((i * (length - size)) / (n - 1)));
}

/** Keep ranges along one axis: split each overlap at its middle. */
function keeps(origins: number[], size: number, length: number): [number, number][] {
  return origins.map((s, i) => {
    const prev = origins[i - 1];
    const next = origins[i + 1];
    const k0 = prev === undefined ? 0 : Math.floor((prev + size + s) / 2);
    const k1 = next === undefined ? length : Math.floor((s + size + next) / 2);
    return [k0, k1];
  });
}

/**
 * Windows of at most maxTile x maxTile covering a width x height raster. A raster smaller than
 * maxTile gets one window of its own size rounded up to the model's size multiple, so small areas
 * do not pay for a full tile of padding.
 */
export function planTiles(
  width: number,
  height: number,
  maxTile: number,
  overlap: number,
  sizeMultiple: number,
): Tile[] {
  if (maxTile % sizeMultiple !== 0) throw new RangeError("maxTile must be a multiple of sizeMultiple");
  if (overlap < 0 || overlap >= maxTile) throw new RangeError("overlap must be in [0, maxTile)");
  const tw = tileSide(width, maxTile, overlap, sizeMultiple);
  const th = tileSide(height, maxTile, overlap, sizeMultiple);
  const xs = starts(width, tw, overlap);
  const ys = starts(height, th, overlap);
  const kx = keeps(xs, tw, width);
  const ky = keeps(ys, th, height);
  const tiles: Tile[] = [];
  ys.forEach((y, j) => {
    xs.forEach((x, i) => {
      const [keepX0, keepX1] = kx[i]!;
      const [keepY0, keepY1] = ky[j]!;
      tiles.push({ x, y, width: tw, height: th, keepX0, keepY0, keepX1, keepY1 });
    });
  });
  return tiles;
}
