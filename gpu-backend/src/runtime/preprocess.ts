/**
 * Model input preparation, shared by the backend and the evaluation CLI so both see exactly the
 * same numbers: interleaved RGB bytes (HWC) -> normalised float32 planes (CHW).
 */

export interface InputNormalisation {
  /** Multiply bytes by this first (1/255 when the model was trained on 0..1 inputs). */
  readonly scale: number;
  /** Per-channel mean and standard deviation, in the scaled units, RGB order. */
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

/**
 * Normalise a window of an RGB raster into CHW float32. The window may extend past the raster
 * (tiles at the border are padded to the model's size multiple); outside pixels get the value a
 * zero-mean input would have (0 after normalisation), which the model saw as padding in training.
 */
export function rgbWindowToCHW(
  rgb: Uint8Array,
  rasterWidth: number,
  rasterHeight: number,
  x0: number,
  y0: number,
  width: number,
  height: number,
  norm: InputNormalisation,
  out: Float32Array = new Float32Array(3 * width * height),
  outOffset = 0,
): Float32Array {
  const plane = width * height;
  const a = [norm.scale / norm.std[0], norm.scale / norm.std[1], norm.scale / norm.std[2]] as const;
  const b = [norm.mean[0] / norm.std[0], norm.mean[1] / norm.std[1], norm.mean[2] / norm.std[2]] as const;
  for (let y = 0; y < height; y++) {
    const sy = y0 + y;
    const rowOut = outOffset + y * width;
    if (sy < 0 || sy >= rasterHeight) {
      out.fill(0, rowOut, rowOut + width);
      out.fill(0, rowOut + plane, rowOut + plane + width);
      out.fill(0, rowOut + 2 * plane, rowOut + 2 * plane + width);
      continue;
    }
    for (let x = 0; x < width; x++) {
      const sx = x0 + x;
      const o = rowOut + x;
      if (sx < 0 || sx >= rasterWidth) {
        out[o] = 0;
        out[o + plane] = 0;
        out[o + 2 * plane] = 0;
        continue;
      }
      const i = (sy * rasterWidth + sx) * 3;
      out[o] = rgb[i]! * a[0] - b[0];
      out[o + plane] = rgb[i + 1]! * a[1] - b[1];
      out[o + 2 * plane] = rgb[i + 2]! * a[2] - b[2];
    }
  }
  return out;
}

export function roundUpToMultiple(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}
