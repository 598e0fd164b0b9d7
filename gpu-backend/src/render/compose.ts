/**
 * A georeferenced raster to a PNG: scaled to fit the size limit (the picture keeps the grid's
 * extent, so a map can place it by the grid's corners), optionally with the overlay SVG composited
 * on top. PNGs are palette-quantised (256 colours, dithered): aerial imagery looks the same at a
 * third of the bytes, which keeps the edge's cached copies small.
 */
import sharp from "sharp";
import type { GeoRaster } from "../raster/georaster.js";
import { type OverlayOptions, overlaySvg } from "./svg.js";

export interface RenderedPng {
  readonly png: Buffer;
  readonly width: number;
  readonly height: number;
}

/** Output size of a grid under a longest-side limit (never enlarged; at least 1 px). */
export function outputSize(
  gridWidth: number,
  gridHeight: number,
  maxSizePx: number,
): { width: number; height: number } {
  const s = Math.min(1, maxSizePx / Math.max(gridWidth, gridHeight));
  return {
    width: Math.max(1, Math.round(gridWidth * s)),
    height: Math.max(1, Math.round(gridHeight * s)),
  };
}

export type OverlayContent = Omit<OverlayOptions, "grid" | "width" | "height">;

export async function renderPng(
  raster: GeoRaster,
  maxSizePx: number,
  overlay?: OverlayContent,
): Promise<RenderedPng> {
  const { grid } = raster;
  const { width, height } = outputSize(grid.width, grid.height, maxSizePx);
  let image = sharp(raster.rgb, { raw: { width: grid.width, height: grid.height, channels: 3 } });
  if (width !== grid.width || height !== grid.height) {
    image = image.resize(width, height, { fit: "fill", kernel: "lanczos3" });
  }
  if (overlay) {
    const svg = overlaySvg({ ...overlay, grid, width, height });
    image = image.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
  }
  const png = await image.png({ palette: true, colours: 256, dither: 0.8, compressionLevel: 7 }).toBuffer();
  return { png, width, height };
}
