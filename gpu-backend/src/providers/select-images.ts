/**
 * Which of the images that intersect a grid to read, at most `maxImages` of them.
 *
 * Taking the first `maxImages` of the best-first list is not enough: AEL images overlap some 30
 * deep and their pixel sizes all differ a little, so the finest 64 can pile up on one part of the
 * area and leave holes that coarser images further down the list would fill. Instead, walk the
 * list best first and keep an image only if it covers target pixels that the images kept so far
 * do not; stop when the grid is covered or the budget is spent. The finest image still wins
 * wherever it is kept, coarser ones fill the holes.
 *
 * Where many small fine images each add only a sliver, even that can spend the budget before the
 * grid is covered (a 400 m square in São Paulo needs 76 images so). Then a first walk keeps only
 * images that add at least a share of the grid, and a second walk fills what is left with any
 * image that adds a pixel; the smallest share that covers within the budget is used (0 = the
 * plain walk, tried first).
 *
 * "Covers" is decided on the target pixels from the footprints alone, as resample does (a
 * pixel's centre inside the footprint); alpha is not known without decoding and is ignored. What
 * is still uncovered is kept as disjoint rectangles of pixel indices, so the count is exact.
 */
import type { MercatorBbox, MercatorGrid } from "@lanesegnet/shared";

/** Shares of the grid's pixels an image must add in the first walk, tried in this order. */
const MIN_GAIN_SHARES = [0, 2 ** -11, 2 ** -10, 2 ** -9, 2 ** -8, 2 ** -7, 2 ** -6, 2 ** -5, 2 ** -4];

/** Target pixel indices [i0, j0, i1, j1), half-open. */
type Rect = readonly [number, number, number, number];

interface Choice {
  readonly keep: readonly boolean[];
  /** Pixels of the grid that the kept images leave uncovered. */
  readonly uncovered: number;
}

/** The images of `refs` (best first) to read for `grid`, in the given order. */
export function selectCoveringImages<T extends { readonly footprint: MercatorBbox }>(
  refs: readonly T[],
  grid: MercatorGrid,
  maxImages: number,
): T[] {
  const rects = refs.map((r) => pixelRect(r.footprint, grid));
  const total = grid.width * grid.height;
  const reachable = choose(rects, grid, Number.POSITIVE_INFINITY, 0).uncovered;
  let best: Choice | undefined;
  for (const share of MIN_GAIN_SHARES) {
    const c = choose(rects, grid, maxImages, share * total);
    if (!best || c.uncovered < best.uncovered) best = c;
    if (c.uncovered <= reachable) break;
  }
  return refs.filter((_, k) => best!.keep[k]);
}

function choose(rects: readonly Rect[], grid: MercatorGrid, maxImages: number, minGain: number): Choice {
  let open: Rect[] = [[0, 0, grid.width, grid.height]];
  const keep = rects.map(() => false);
  let kept = 0;
  for (const min of [minGain, 0]) {
    for (let k = 0; k < rects.length && kept < maxImages && open.length > 0; k++) {
      if (keep[k]) continue;
      const f = rects[k]!;
      const gain = area(open, f);
      if (gain === 0 || gain < min) continue;
      keep[k] = true;
      kept++;
      open = open.flatMap((o) => subtract(o, f));
    }
  }
  return { keep, uncovered: area(open, [0, 0, grid.width, grid.height]) };
}

/** The pixels whose centre lies inside the footprint (a centre on an edge counts as outside). */
function pixelRect(footprint: MercatorBbox, grid: MercatorGrid): Rect {
  const { originX, originY, resolution: r, width, height } = grid;
  const clamp = (v: number, n: number) => Math.min(n, Math.max(0, Math.ceil(v)));
  const [x0, y0, x1, y1] = footprint;
  // The first pixel whose centre is past v pixels from the origin is ceil(v - 0.5); the 1e-6 px
  // nudges keep float noise from counting a pixel on the edge as covered.
  return [
    clamp((x0 - originX) / r - 0.5 + 1e-6, width),
    clamp((originY - y1) / r - 0.5 + 1e-6, height),
    clamp((x1 - originX) / r - 0.5 - 1e-6, width),
    clamp((originY - y0) / r - 0.5 - 1e-6, height),
  ];
}

/** Pixels of b inside the disjoint rectangles `rects`. */
function area(rects: readonly Rect[], b: Rect): number {
  let sum = 0;
  for (const a of rects) {
    const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
    const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
    if (w > 0 && h > 0) sum += w * h;
  }
  return sum;
}

/** a minus b, as up to four disjoint rectangles. */
function subtract(a: Rect, b: Rect): Rect[] {
  if (!(a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3])) return [a];
  const out: Rect[] = [];
  if (a[1] < b[1]) out.push([a[0], a[1], a[2], b[1]]);
  if (b[3] < a[3]) out.push([a[0], b[3], a[2], a[3]]);
  const j0 = Math.max(a[1], b[1]);
  const j1 = Math.min(a[3], b[3]);
  if (a[0] < b[0]) out.push([a[0], j0, b[0], j1]);
  if (b[2] < a[2]) out.push([b[2], j0, a[2], j1]);
  return out;
}
