/**
 * Thinning of the marking mask to a one-pixel, 8-connected skeleton (Guo & Hall 1989, algorithm
 * A1, as in OpenCV's ximgproc), followed by removal of staircase corners so that every path pixel
 * of the skeleton has exactly two neighbours. Works only on the list of foreground pixels, so the
 * cost follows the amount of paint, not the raster size.
 */

/**
 * Thin `img` in place (1 = foreground, 0 = background; padded so neighbours always exist).
 * Returns the padded indices of the skeleton pixels.
 */
export function thinGuoHall(img: Uint8Array, stride: number, fg: Int32Array, fgCount: number): Int32Array {
  let list = fg.slice(0, fgCount);
  let count = fgCount;
  const marked = new Int32Array(count);
  for (;;) {
    let changed = false;
    for (let iter = 0; iter < 2; iter++) {
      let nMarked = 0;
      for (let k = 0; k < count; k++) {
        const p = list[k]!;
        if (img[p] === 0) continue;
        const p2 = img[p - stride]!;
        const p3 = img[p - stride + 1]!;
        const p4 = img[p + 1]!;
        const p5 = img[p + stride + 1]!;
        const p6 = img[p + stride]!;
        const p7 = img[p + stride - 1]!;
        const p8 = img[p - 1]!;
        const p9 = img[p - stride - 1]!;
        const c =
          (~p2 & 1 & (p3 | p4)) + (~p4 & 1 & (p5 | p6)) + (~p6 & 1 & (p7 | p8)) + (~p8 & 1 & (p9 | p2));
        if (c !== 1) continue;
        const n1 = (p9 | p2) + (p3 | p4) + (p5 | p6) + (p7 | p8);
        const n2 = (p2 | p3) + (p4 | p5) + (p6 | p7) + (p8 | p9);
        const n = Math.min(n1, n2);
        if (n < 2 || n > 3) continue;
        const m = iter === 0 ? (p6 | p7 | (~p9 & 1)) & p8 : (p2 | p3 | (~p5 & 1)) & p4;
        if (m === 0) marked[nMarked++] = p;
      }
      for (let k = 0; k < nMarked; k++) img[marked[k]!] = 0;
      if (nMarked > 0) changed = true;
    }
    let w = 0;
    for (let k = 0; k < count; k++) {
      const p = list[k]!;
      if (img[p] !== 0) list[w++] = p;
    }
    count = w;
    if (!changed) break;
  }
  list = list.slice(0, count);
  return removeStaircases(img, stride, list);
}

/**
 * Remove corner pixels whose two orthogonal neighbours already touch diagonally (e.g. N and E set,
 * SW clear): the pixel is redundant for 8-connectivity, and leaving it would give its neighbours
 * three skeleton neighbours and fake junctions. Applied in sequence, so connectivity is kept.
 */
function removeStaircases(img: Uint8Array, stride: number, list: Int32Array): Int32Array {
  let w = 0;
  for (let k = 0; k < list.length; k++) {
    const p = list[k]!;
    const n = img[p - stride]!;
    const e = img[p + 1]!;
    const s = img[p + stride]!;
    const wv = img[p - 1]!;
    const ne = img[p - stride + 1]!;
    const se = img[p + stride + 1]!;
    const sw = img[p + stride - 1]!;
    const nw = img[p - stride - 1]!;
    if ((n & e & (~sw & 1)) | (e & s & (~nw & 1)) | (s & wv & (~ne & 1)) | (wv & n & (~se & 1))) {
      img[p] = 0;
      continue;
    }
    list[w++] = p;
  }
  return list.slice(0, w);
}
