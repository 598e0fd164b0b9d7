/**
 * Binary layout of a serialised coverage index: ONE ArrayBuffer, little-endian, every section
 * 8-byte aligned so typed-array views (and Flatbush.from) can be laid over it without copying.
 *
 * | bytes | content |
 * | --- | --- |
 * | 0..63 | header (below) |
 * | tree | Flatbush packed R-tree (its own `data` buffer, Float64 boxes), absent when count = 0 |
 * | bboxes | Float64 x 4 per image: footprint minX, minY, maxX, maxY (EPSG:3857 metres) |
 * | resolutions | Float32 per image: Mercator metres per pixel |
 * | sizes | Uint32 x 2 per image: width, height in pixels |
 * | fileCodes | Uint16 per image: 0 = no image file, k = file name is `id + suffix[k - 1]` |
 * | stringOffsets | Uint32 x (count + suffixCount + 1): byte offsets into stringBytes |
 * | stringBytes | UTF-8: the ids (one per image, in index order), then the file-name suffixes |
 *
 * Header fields are Uint32 at the byte positions below, after magic "LSCI" and a Uint16 version.
 * Image order is the builder's input order; the tree's item numbers are those positions.
 */
export const MAGIC = [0x4c, 0x53, 0x43, 0x49] as const; // "LSCI": LaneSegNet Coverage Index
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 64;

export const H = {
  version: 4, // Uint16
  count: 8,
  suffixCount: 12,
  treeOffset: 16,
  treeLength: 20,
  bboxOffset: 24,
  resolutionOffset: 28,
  sizeOffset: 32,
  fileCodeOffset: 36,
  stringOffsetsOffset: 40,
  stringBytesOffset: 44,
  stringBytesLength: 48,
  totalLength: 52,
} as const;

export function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Typed arrays use the platform's byte order; the format is little-endian (every JS host in use). */
export function assertLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error("coverage index: big-endian platforms are not supported");
  }
}
