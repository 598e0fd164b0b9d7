/** Encoding with sharp: JPEG/PNG images, 8-bit single-channel PNG masks, colourised mask previews. */
import { LANE_CLASSES } from "@lanesegnet/shared";
import sharp from "sharp";

export function encodeJpeg(rgb: Uint8Array, width: number, height: number, quality: number): Promise<Buffer> {
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: Math.round(quality), chromaSubsampling: "4:2:0" })
    .toBuffer();
}

export function encodePng(rgb: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
}

/** 8-bit greyscale PNG whose values are class ids (deterministic bytes for the same mask). */
export function encodeMask(mask: Uint8Array, width: number, height: number): Promise<Buffer> {
  // b-w keeps one 8-bit channel (PNG colour type 0); without it sharp writes RGB.
  return sharp(mask, { raw: { width, height, channels: 1 } })
    .toColourspace("b-w")
    .png({ compressionLevel: 9, palette: false, adaptiveFiltering: false })
    .toBuffer();
}

/** Mask → RGB using the registry's display colours (background black). */
export function colouriseMask(mask: Uint8Array): Uint8Array {
  const lut = LANE_CLASSES.map((c) => {
    const hex = c.display.replace("#", "");
    return [
      Number.parseInt(hex.slice(0, 2), 16),
      Number.parseInt(hex.slice(2, 4), 16),
      Number.parseInt(hex.slice(4, 6), 16),
    ];
  });
  const out = new Uint8Array(mask.length * 3);
  for (let i = 0; i < mask.length; i++) {
    const c = lut[mask[i]!] ?? [128, 128, 128];
    out[3 * i] = c[0]!;
    out[3 * i + 1] = c[1]!;
    out[3 * i + 2] = c[2]!;
  }
  return out;
}

export async function decodeRaw(
  buf: Buffer | string,
): Promise<{ data: Uint8Array; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(buf).raw().toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
    channels: info.channels,
  };
}

/** Decode a class-id mask PNG to one byte per pixel (sharp would expand greyscale to RGB). */
export async function decodeMask(
  buf: Buffer | string,
): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(buf).toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`mask has ${info.channels} channels, expected 1`);
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
  };
}
