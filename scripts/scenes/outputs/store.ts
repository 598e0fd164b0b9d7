/** A local imagery store: <id>.jpg + AEL sidecar <id>.json per image (the CLI adds store-meta.txt). */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../../cli/run.js";
import { encodeJpeg } from "../render/encode.js";
import type { StoreImage } from "../world.js";
import { formatJson } from "./json-format.js";

export async function writeStoreImages(
  dir: string,
  images: readonly StoreImage[],
  quality: number,
): Promise<number> {
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  for (const img of images) {
    const jpg = await encodeJpeg(img.rgb, img.grid.width, img.grid.height, quality);
    writeFileSync(join(dir, `${img.id}.jpg`), jpg);
    const json = formatJson(img.sidecar);
    writeFileSync(join(dir, `${img.id}.json`), json);
    bytes += jpg.length + json.length;
  }
  return bytes;
}

/**
 * Make `dir` ready for a new store: new or empty, or a store this generator wrote, whose images
 * (as its store-meta.txt lists them) are removed first, so none of an earlier world stays beside
 * the new one (the index would take them all). An image or sidecar it did not write is refused,
 * untouched; other files (a README, an index) are left as they are.
 */
export function prepareStoreDir(dir: string): void {
  if (!existsSync(dir)) return;
  const entries = readdirSync(dir);
  const images = entries.filter((e) => /\.(json|jpe?g|png|tiff?)$/i.test(e));
  if (images.length === 0) return;
  let meta: { generator?: unknown; images?: { id?: unknown }[] } | undefined;
  try {
    meta = JSON.parse(readFileSync(join(dir, "store-meta.txt"), "utf8")) as typeof meta;
  } catch {
    meta = undefined;
  }
  if (meta?.generator !== "lanesegnet-scenes" || !Array.isArray(meta.images)) {
    throw new UsageError(
      `--out ${dir} holds images not written by this generator; give an empty or new folder`,
    );
  }
  const own = new Set<string>();
  for (const im of meta.images) {
    if (typeof im.id === "string") own.add(`${im.id}.jpg`).add(`${im.id}.json`);
  }
  const foreign = images.find((e) => !own.has(e));
  if (foreign !== undefined) {
    throw new UsageError(
      `--out ${dir} holds ${foreign}, not written by this generator; give an empty or new folder`,
    );
  }
  for (const e of images) rmSync(join(dir, e), { force: true });
}
