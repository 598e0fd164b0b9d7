/**
 * The marking mask the vectoriser works on: the argmax class ids copied into a raster padded with
 * one background pixel on every side, so neighbourhood code never needs bounds checks. Pixels of
 * any marking class are foreground; thinning and tracing run on this union (a line whose pixels
 * flicker between two classes still gives one skeleton) and classes are assigned afterwards.
 */

export interface MarkingRaster {
  /** Size of the input raster. */
  width: number;
  height: number;
  /** Padded row stride (width + 2). */
  stride: number;
  /** Padded class ids; 0 = background (ignore labels and unknown ids become 0). */
  labels: Uint8Array;
  /** Padded indices of foreground pixels (raster order until pinholes are filled). */
  fg: Int32Array;
  fgCount: number;
  /** Number of classes of the model (ids at or above it are treated as background). */
  numClasses: number;
}

/** Padded index of raster pixel (x, y). */
export function paddedIndex(r: MarkingRaster, x: number, y: number): number {
  return (y + 1) * r.stride + x + 1;
}

/** Class at a continuous pixel position (0 outside the raster). */
export function labelAt(r: MarkingRaster, x: number, y: number): number {
  const ix = Math.floor(x);
  const iy = Math.floor(y);
  if (ix < 0 || iy < 0 || ix >= r.width || iy >= r.height) return 0;
  return r.labels[(iy + 1) * r.stride + ix + 1]!;
}

export function buildMarkingRaster(
  classIds: Uint8Array,
  width: number,
  height: number,
  numClasses: number,
): MarkingRaster {
  if (classIds.length !== width * height) throw new RangeError("class ids do not match the raster size");
  const stride = width + 2;
  const labels = new Uint8Array(stride * (height + 2));
  // Foreground list grown by doubling: markings cover a few per cent of a scene.
  let fg = new Int32Array(1 << 14);
  let count = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const prow = (y + 1) * stride + 1;
    for (let x = 0; x < width; x++) {
      const v = classIds[row + x]!;
      if (v > 0 && v < numClasses) {
        labels[prow + x] = v;
        if (count === fg.length) {
          const grown = new Int32Array(fg.length * 2);
          grown.set(fg);
          fg = grown;
        }
        fg[count++] = prow + x;
      }
    }
  }
  return { width, height, stride, labels, fg, fgCount: count, numClasses };
}

/**
 * Fill pinholes: a background pixel with at least 5 of its 8 neighbours in the mask becomes a
 * marking of its neighbours' majority class. Decisions of one pass are applied together, so the
 * fill never creeps along a boundary; one pass closes a 2 x 2 hole, two close 2 x 3 (a 3 x 3 one
 * keeps its centre pixel), holes that would otherwise turn into small loops in the skeleton. Straight edges (3 neighbours) never grow.
 */
export function fillPinholes(r: MarkingRaster, passes = 2): void {
  const { labels, stride } = r;
  const offs = [-stride - 1, -stride, -stride + 1, -1, 1, stride - 1, stride, stride + 1];
  const votes = new Int32Array(16);
  // Background pixels already looked at in this pass hold the pass number.
  const seen = new Uint8Array(labels.length);
  for (let pass = 1; pass <= passes; pass++) {
    const fillIdx: number[] = [];
    const fillCls: number[] = [];
    const offs4 = [-stride, -1, 1, stride];
    for (let k = 0; k < r.fgCount; k++) {
      const p = r.fg[k]!;
      for (const o4 of offs4) {
        const q = p + o4;
        // The padding frame never qualifies: at most 3 of its neighbours lie in the raster.
        if (labels[q] !== 0 || seen[q] === pass) continue;
        seen[q] = pass;
        votes.fill(0);
        let n = 0;
        for (const o of offs) {
          const v = labels[q + o]!;
          if (v > 0) {
            n++;
            votes[v]!++;
          }
        }
        if (n >= 5) {
          let best = 1;
          for (let c = 2; c < votes.length; c++) if (votes[c]! > votes[best]!) best = c;
          fillIdx.push(q);
          fillCls.push(best);
        }
      }
    }
    if (fillIdx.length === 0) return;
    for (let i = 0; i < fillIdx.length; i++) labels[fillIdx[i]!] = fillCls[i]!;
    const grown = new Int32Array(r.fgCount + fillIdx.length);
    grown.set(r.fg.subarray(0, r.fgCount));
    grown.set(fillIdx, r.fgCount);
    r.fg = grown;
    r.fgCount = grown.length;
  }
}

/**
 * Remove regions far too wide to be a marking before thinning: every square of side 2h + 1 pixels
 * that is entirely marking, grown back by h (a morphological opening). Thinning costs one pass per
 * pixel of half-width, so a model output that paints a whole field as marking would otherwise
 * cost seconds; real markings are never that wide (the width rule would reject them anyway), and
 * lines running into such a region keep their parts outside it. Returns the pixels removed.
 */
export function dropWideRegions(r: MarkingRaster, h: number): number {
  const side = 2 * h + 1;
  if (r.fgCount < side * side) return 0;
  const { width: W, height: H, stride, labels } = r;
  // Integral image of the mask: sum over [0, x) x [0, y) at (y * (W + 1) + x).
  const w1 = W + 1;
  const sum = new Int32Array(w1 * (H + 1));
  for (let y = 0; y < H; y++) {
    let row = 0;
    const p = (y + 1) * stride + 1;
    for (let x = 0; x < W; x++) {
      row += labels[p + x] !== 0 ? 1 : 0;
      sum[(y + 1) * w1 + x + 1] = sum[y * w1 + x + 1]! + row;
    }
  }
  const box = (s: Int32Array, x0: number, y0: number, x1: number, y1: number): number =>
    s[y1 * w1 + x1]! - s[y0 * w1 + x1]! - s[y1 * w1 + x0]! + s[y0 * w1 + x0]!;
  // Centres of full squares.
  let anyDeep = false;
  const deep = new Uint8Array(W * H);
  for (let k = 0; k < r.fgCount; k++) {
    const p = r.fg[k]!;
    const x = (p % stride) - 1;
    const y = (p - x - 1) / stride - 1;
    if (x < h || y < h || x + h >= W || y + h >= H) continue;
    if (box(sum, x - h, y - h, x + h + 1, y + h + 1) === side * side) {
      deep[y * W + x] = 1;
      anyDeep = true;
    }
  }
  if (!anyDeep) return 0;
  // A mask pixel goes when a full square's centre lies within h of it.
  const dsum = new Int32Array(w1 * (H + 1));
  for (let y = 0; y < H; y++) {
    let row = 0;
    for (let x = 0; x < W; x++) {
      row += deep[y * W + x]!;
      dsum[(y + 1) * w1 + x + 1] = dsum[y * w1 + x + 1]! + row;
    }
  }
  let w = 0;
  let removed = 0;
  for (let k = 0; k < r.fgCount; k++) {
    const p = r.fg[k]!;
    const x = (p % stride) - 1;
    const y = (p - x - 1) / stride - 1;
    const x0 = Math.max(0, x - h);
    const y0 = Math.max(0, y - h);
    const x1 = Math.min(W, x + h + 1);
    const y1 = Math.min(H, y + h + 1);
    if (box(dsum, x0, y0, x1, y1) > 0) {
      labels[p] = 0;
      removed++;
    } else {
      r.fg[w++] = p;
    }
  }
  r.fgCount = w;
  return removed;
}
