/** A local imagery store: <id>.jpg + AEL sidecar <id>.json per image (the CLI adds store-meta.txt). */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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
