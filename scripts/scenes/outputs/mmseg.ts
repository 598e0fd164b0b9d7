/**
 * MMSegmentation layout: img_dir/{train,val,test}/<id>.<jpg|png> and ann_dir/{split}/<id>.png
 * (8-bit, value = class id).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NUM_CLASSES } from "@lanesegnet/shared";
import { encodeJpeg, encodeMask, encodePng } from "../render/encode.js";

export type ImageFormat = "jpg" | "png";

export function mmsegPaths(
  out: string,
  split: string,
  id: string,
  format: ImageFormat,
): { image: string; mask: string } {
  return {
    image: join(out, "img_dir", split, `${id}.${format}`),
    mask: join(out, "ann_dir", split, `${id}.png`),
  };
}

export function ensureMmsegDirs(out: string, splits: readonly string[]): void {
  for (const s of splits) {
    mkdirSync(join(out, "img_dir", s), { recursive: true });
    mkdirSync(join(out, "ann_dir", s), { recursive: true });
  }
}

/** Pixel count per class id (0..NUM_CLASSES-1; ignore/unknown values are not counted). */
export function classPixels(mask: Uint8Array): number[] {
  const counts = new Array<number>(NUM_CLASSES).fill(0);
  for (let i = 0; i < mask.length; i++) {
    const v = mask[i]!;
    if (v < NUM_CLASSES) counts[v] = counts[v]! + 1;
  }
  return counts;
}

export interface SampleImage {
  width: number;
  height: number;
  /** Raw RGB, or an already encoded file to copy as is. */
  rgb?: Uint8Array;
  encoded?: Buffer;
  mask: Uint8Array;
  jpegQuality: number;
}

export async function writeMmsegSample(
  out: string,
  split: string,
  id: string,
  s: SampleImage,
  format: ImageFormat,
): Promise<void> {
  const p = mmsegPaths(out, split, id, format);
  const img =
    s.encoded ??
    (format === "jpg"
      ? await encodeJpeg(s.rgb!, s.width, s.height, s.jpegQuality)
      : await encodePng(s.rgb!, s.width, s.height));
  writeFileSync(p.image, img);
  writeFileSync(p.mask, await encodeMask(s.mask, s.width, s.height));
}

/** Start from empty img_dir/ann_dir: old sets of ours are replaced, foreign data is never touched. */
export function prepareOut(out: string): void {
  const hasData = existsSync(join(out, "img_dir")) || existsSync(join(out, "ann_dir"));
  if (!hasData) return;
  let ours = false;
  try {
    ours =
      (JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as { generator?: string }).generator ===
      "lanesegnet-scenes";
  } catch {
    ours = false;
  }
  if (!ours)
    throw new Error(`${out} already holds img_dir/ann_dir not made by this generator; choose another --out`);
  rmSync(join(out, "img_dir"), { recursive: true, force: true });
  rmSync(join(out, "ann_dir"), { recursive: true, force: true });
  rmSync(join(out, "manifest.json"), { force: true });
}
