/**
 * Image decoding and encoding with sharp (libvips). Decoding always yields 8-bit RGB plus the
 * alpha channel when the image has one (transparent pixels are "no data" to the callers).
 */
import sharp, { type OutputInfo } from "sharp";

export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  /** Interleaved RGB, 3 bytes per pixel. */
  readonly rgb: Uint8Array;
  /** One byte per pixel, or null when the image has no alpha channel. */
  readonly alpha: Uint8Array | null;
}

/** Bytes that are not a decodable image (or exceed the pixel limit). */
export class ImageDecodeError extends Error {
  override readonly name = "ImageDecodeError";
}

export interface DecodeOptions {
  /**
   * Refuse images with more pixels than this before decoding them (a small compressed file can
   * claim a huge size). Default 2^26 (e.g. 8192 x 8192).
   */
  readonly maxPixels?: number;
}

/** Decode JPEG/PNG/WebP/TIFF bytes to 8-bit RGB (+ alpha). Throws ImageDecodeError. */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  const maxPixels = options.maxPixels ?? 2 ** 26;
  let data: Buffer;
  let info: OutputInfo;
  try {
    // failOn "warning" rejects truncated or corrupt files instead of returning half-grey images.
    ({ data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: "warning" })
      .toColourspace("srgb")
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true }));
  } catch (e) {
    throw new ImageDecodeError(`not a decodable image: ${(e as Error).message}`);
  }
  const { width, height, channels } = info;
  const n = width * height;
  if (channels === 3)
    return { width, height, rgb: new Uint8Array(data.buffer, data.byteOffset, n * 3), alpha: null };
  const rgb = new Uint8Array(n * 3);
  let alpha: Uint8Array | null = null;
  if (channels === 4) {
    alpha = new Uint8Array(n);
    for (let p = 0, s = 0; p < n; p++, s += 4) {
      rgb[3 * p] = data[s]!;
      rgb[3 * p + 1] = data[s + 1]!;
      rgb[3 * p + 2] = data[s + 2]!;
      alpha[p] = data[s + 3]!;
    }
  } else if (channels === 1 || channels === 2) {
    if (channels === 2) alpha = new Uint8Array(n);
    for (let p = 0; p < n; p++) {
      const v = data[p * channels]!;
      rgb[3 * p] = v;
      rgb[3 * p + 1] = v;
      rgb[3 * p + 2] = v;
      if (alpha) alpha[p] = data[p * 2 + 1]!;
    }
  } else {
    throw new ImageDecodeError(`unsupported channel count ${channels}`);
  }
  return { width, height, rgb, alpha };
}

export interface RawRgb {
  readonly width: number;
  readonly height: number;
  readonly rgb: Uint8Array;
}

export async function encodePng(image: RawRgb): Promise<Buffer> {
  return sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toBuffer();
}

export async function encodeJpeg(image: RawRgb, quality = 90): Promise<Buffer> {
  return sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}
