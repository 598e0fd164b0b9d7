/**
 * Exact-area anti-aliased polygon coverage (the signed-area accumulation method of font-rs):
 * every edge adds the signed area it sweeps to an accumulation buffer, and a running sum along each
 * row gives the fraction of each pixel the polygon covers. Non-zero-like fill (|winding| clamped to
 * 1), any number of rings, clipping at the raster edges. Paint narrower than a pixel therefore comes
 * out as the faint partial coverage it really is.
 *
 * Usage: addRing()... then resolve(); read `cov` over the spans [spanStart[y], spanEnd[y]) for rows
 * yMin..yMax; then clear(). Only touched spans are summed and cleared, so thin features are cheap.
 */

export class CoverageRaster {
  readonly width: number;
  readonly height: number;
  /** Coverage in [0, 1] per pixel, valid after resolve() inside the spans. */
  readonly cov: Float32Array;
  readonly spanStart: Int32Array;
  readonly spanEnd: Int32Array;
  yMin = 0;
  yMax = -1;
  private readonly acc: Float32Array;
  private readonly stride: number;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.stride = width + 2;
    this.acc = new Float32Array(this.stride * height);
    this.cov = new Float32Array(width * height);
    this.spanStart = new Int32Array(height).fill(width + 2);
    this.spanEnd = new Int32Array(height).fill(-1);
    this.yMin = height;
    this.yMax = -1;
  }

  /** Add a closed ring given as flat [x0, y0, x1, y1, ...] pixel coordinates. */
  addRing(flat: ArrayLike<number>): void {
    const n = flat.length >> 1;
    if (n < 3) return;
    for (let i = 0; i < n; i++) {
      const j = i + 1 === n ? 0 : i + 1;
      this.addEdge(flat[2 * i]!, flat[2 * i + 1]!, flat[2 * j]!, flat[2 * j + 1]!);
    }
  }

  /** Add a closed ring of [x, y] points, scaled by k (metres to pixels) and shifted. */
  addPoints(points: readonly (readonly [number, number])[], k = 1, dx = 0, dy = 0): void {
    const n = points.length;
    if (n < 3) return;
    for (let i = 0; i < n; i++) {
      const a = points[i]!;
      const b = points[i + 1 === n ? 0 : i + 1]!;
      this.addEdge(a[0] * k + dx, a[1] * k + dy, b[0] * k + dx, b[1] * k + dy);
    }
  }

  /** One directed edge; clips against x in [0, width] by projecting outside parts onto the border. */
  addEdge(x0: number, y0: number, x1: number, y1: number): void {
    if (!(Number.isFinite(x0) && Number.isFinite(y0) && Number.isFinite(x1) && Number.isFinite(y1))) return;
    const w = this.width;
    // Split at x = 0 and x = w so each piece is entirely left, inside or right.
    if ((x0 < 0 && x1 > 0) || (x0 > 0 && x1 < 0)) {
      const t = -x0 / (x1 - x0);
      const ym = y0 + (y1 - y0) * t;
      this.addEdge(x0, y0, 0, ym);
      this.addEdge(0, ym, x1, y1);
      return;
    }
    if ((x0 < w && x1 > w) || (x0 > w && x1 < w)) {
      const t = (w - x0) / (x1 - x0);
      const ym = y0 + (y1 - y0) * t;
      this.addEdge(x0, y0, w, ym);
      this.addEdge(w, ym, x1, y1);
      return;
    }
    if (x0 < 0) x0 = 0;
    if (x1 < 0) x1 = 0;
    if (x0 > w) x0 = w;
    if (x1 > w) x1 = w;
    this.line(x0, y0, x1, y1);
  }

  private line(ax: number, ay: number, bx: number, by: number): void {
    if (ay === by) return;
    let dir: number;
    let x0: number;
    let y0: number;
    let x1: number;
    let y1: number;
    if (ay < by) {
      dir = 1;
      x0 = ax;
      y0 = ay;
      x1 = bx;
      y1 = by;
    } else {
      dir = -1;
      x0 = bx;
      y0 = by;
      x1 = ax;
      y1 = ay;
    }
    const h = this.height;
    if (y1 <= 0 || y0 >= h) return;
    const dxdy = (x1 - x0) / (y1 - y0);
    let x = x0;
    if (y0 < 0) {
      x -= y0 * dxdy;
    }
    const rowStart = Math.max(0, Math.floor(y0));
    const rowEnd = Math.min(h, Math.ceil(y1));
    const acc = this.acc;
    const stride = this.stride;
    const w = this.width;
    if (rowStart < this.yMin) this.yMin = rowStart;
    if (rowEnd - 1 > this.yMax) this.yMax = rowEnd - 1;
    for (let y = rowStart; y < rowEnd; y++) {
      const line = y * stride;
      const dy = Math.min(y + 1, y1) - Math.max(y, y0);
      let xnext = x + dxdy * dy;
      // Guard against drift past the clip borders.
      if (xnext < 0) xnext = 0;
      else if (xnext > w) xnext = w;
      const d = dy * dir;
      const xa = Math.min(x, xnext);
      const xb = Math.max(x, xnext);
      const xaFloor = Math.floor(xa);
      const xai = xaFloor;
      const xbCeil = Math.ceil(xb);
      const xbi = xbCeil;
      if (xai < this.spanStart[y]!) this.spanStart[y] = xai;
      const last = xbi + 1;
      if (last > this.spanEnd[y]!) this.spanEnd[y] = last;
      if (xbi <= xai + 1) {
        const xmf = 0.5 * (x + xnext) - xaFloor;
        acc[line + xai] = acc[line + xai]! + d - d * xmf;
        acc[line + xai + 1] = acc[line + xai + 1]! + d * xmf;
      } else {
        const s = 1 / (xb - xa);
        const x0f = xa - xaFloor;
        const a0 = 0.5 * s * (1 - x0f) * (1 - x0f);
        const x1f = xb - xbCeil + 1;
        const am = 0.5 * s * x1f * x1f;
        acc[line + xai] = acc[line + xai]! + d * a0;
        if (xbi === xai + 2) {
          acc[line + xai + 1] = acc[line + xai + 1]! + d * (1 - a0 - am);
        } else {
          const a1 = s * (1.5 - x0f);
          acc[line + xai + 1] = acc[line + xai + 1]! + d * (a1 - a0);
          for (let xi = xai + 2; xi < xbi - 1; xi++) acc[line + xi] = acc[line + xi]! + d * s;
          const a2 = a1 + (xbi - xai - 3) * s;
          acc[line + xbi - 1] = acc[line + xbi - 1]! + d * (1 - a2 - am);
        }
        acc[line + xbi] = acc[line + xbi]! + d * am;
      }
      x = xnext;
    }
  }

  /**
   * Turn accumulated areas into coverage. Spans are clipped to the raster; spanEnd is exclusive.
   * Returns false when nothing was drawn.
   */
  resolve(): boolean {
    const w = this.width;
    const acc = this.acc;
    const cov = this.cov;
    const stride = this.stride;
    let any = false;
    for (let y = this.yMin; y <= this.yMax; y++) {
      const s0 = this.spanStart[y]!;
      if (s0 > w) continue;
      const start = Math.max(0, s0);
      const end = Math.min(w, this.spanEnd[y]!);
      const line = y * stride;
      const row = y * w;
      let sum = 0;
      for (let x = start; x < end; x++) {
        sum += acc[line + x]!;
        const a = sum < 0 ? -sum : sum;
        cov[row + x] = a > 1 ? 1 : a < 1e-4 ? 0 : a;
      }
      this.spanStart[y] = start;
      this.spanEnd[y] = end;
      any = any || end > start;
    }
    return any;
  }

  /** Zero what the last polygon touched, ready for the next. */
  clear(): void {
    const w = this.width;
    const acc = this.acc;
    const cov = this.cov;
    const stride = this.stride;
    for (let y = this.yMin; y <= this.yMax; y++) {
      const s0 = this.spanStart[y]!;
      const s1 = this.spanEnd[y]!;
      if (s0 <= s1 + 1) {
        const line = y * stride;
        acc.fill(0, line + Math.max(0, s0), line + Math.min(stride, s1 + 2));
        cov.fill(0, y * w + Math.max(0, s0), y * w + Math.min(w, s1));
      }
      this.spanStart[y] = w + 2;
      this.spanEnd[y] = -1;
    }
    this.yMin = this.height;
    this.yMax = -1;
  }
}
