/** The documentation picture: scenes next to their colourised masks, in a grid. */
import sharp, { type OverlayOptions } from "sharp";
import { colouriseMask } from "../render/encode.js";
import type { Scene } from "../scene.js";

/** Downscale a mask keeping thin lines: each output pixel takes any marking class in its block. */
function downMask(mask: Uint8Array, w: number, h: number, cell: number): Uint8Array {
  const out = new Uint8Array(cell * cell);
  for (let y = 0; y < cell; y++) {
    const y0 = Math.floor((y * h) / cell);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * h) / cell));
    for (let x = 0; x < cell; x++) {
      const x0 = Math.floor((x * w) / cell);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * w) / cell));
      let v = 0;
      for (let yy = y0; yy < y1 && v === 0; yy++)
        for (let xx = x0; xx < x1 && v === 0; xx++) v = mask[yy * w + xx]!;
      out[y * cell + x] = v;
    }
  }
  return out;
}

export async function writeFigure(
  path: string,
  scenes: readonly Scene[],
  cell = 256,
  columns = 2,
): Promise<number> {
  const gap = 4;
  const rows = Math.ceil(scenes.length / columns);
  const W = columns * (2 * cell + gap) + (columns - 1) * gap * 2;
  const H = rows * cell + (rows - 1) * gap;
  const tiles: OverlayOptions[] = [];
  for (let i = 0; i < scenes.length; i++) {
    const s = scenes[i]!;
    const col = i % columns;
    const row = Math.floor(i / columns);
    const left = col * (2 * cell + 3 * gap);
    const top = row * (cell + gap);
    const img = await sharp(s.rgb, { raw: { width: s.width, height: s.height, channels: 3 } })
      .resize(cell, cell, { kernel: "lanczos3" })
      .png()
      .toBuffer();
    const m = colouriseMask(downMask(s.mask, s.width, s.height, cell));
    const mask = await sharp(m, { raw: { width: cell, height: cell, channels: 3 } })
      .png()
      .toBuffer();
    tiles.push({ input: img, left, top }, { input: mask, left: left + cell + gap, top });
  }
  const png = await sharp({ create: { width: W, height: H, channels: 3, background: "#ffffff" } })
    .composite(tiles)
    .png({ compressionLevel: 9, palette: true, quality: 90 })
    .toBuffer();
  const { writeFileSync } = await import("node:fs");
  writeFileSync(path, png);
  return png.length;
}
