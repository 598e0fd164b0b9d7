import Flatbush from "flatbush";
import { groundResolution } from "../geo/mercator.js";
import type { MercatorBbox } from "../geo/tiles.js";
import { type CoverageArea, footprintCoverage, type ResolvedArea, resolveArea } from "./area.js";
import { assertLittleEndian, FORMAT_VERSION, H, HEADER_BYTES, MAGIC } from "./format.js";
import { containsArea, unionCoverage } from "./union.js";

/** One image of the index. */
export interface CoverageImage {
  /** Position in the index (the builder's input order). */
  readonly index: number;
  readonly id: string;
  /** Image file name relative to the store, or null when the store has no image for this footprint. */
  readonly file: string | null;
  /** EPSG:3857 metres. */
  readonly footprint: MercatorBbox;
  readonly width: number;
  readonly height: number;
  /** Mercator metres per pixel (Float32 precision). */
  readonly mercatorResolution: number;
}

/** An image that intersects a query area. */
export interface CoverageHit extends CoverageImage {
  /** Ground metres per pixel at the latitude of the query area's centre: Mercator res x cos(lat). */
  readonly groundResolutionM: number;
  /** Fraction of the query area this image covers, in (0, 1] (1 for a point inside it). */
  readonly coverage: number;
}

export interface CoverageReport {
  /** Whether the union of the footprints covers the whole query area (exact, see union.ts). */
  readonly fully: boolean;
  /** Fraction of the query area covered by the union of the footprints. */
  readonly coveredFraction: number;
  /**
   * Finest ground resolution (m/px) among the images that intersect the area, or null when none
   * does. That image may cover only part of the area: see `images[0].coverage`.
   */
  readonly bestResolutionM: number | null;
  /** The finest image that covers the whole area on its own, or null. */
  readonly bestSingle: CoverageHit | null;
  /** Every intersecting image, best first (as `search`). */
  readonly images: readonly CoverageHit[];
}

export interface SearchOptions {
  /** Return at most this many hits (after sorting). */
  readonly limit?: number;
}

/** A malformed or foreign buffer given to CoverageIndex.from. */
export class CoverageFormatError extends Error {
  override readonly name = "CoverageFormatError";
}

// Ids are nearly always short ASCII; concatenating char codes beats TextDecoder's per-call cost.
const decoder = new TextDecoder();
function decodeString(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 32) {
    let s = "";
    for (let k = start; k < end; k++) {
      const c = bytes[k]!;
      if (c >= 0x80) return decoder.decode(bytes.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(bytes.subarray(start, end));
}

/**
 * A read-only coordinate-to-image index over one serialised ArrayBuffer (built by
 * CoverageIndexBuilder). Loading only lays typed-array views over the buffer, so it takes
 * milliseconds even for a million images; runs in workerd and Node alike.
 */
export class CoverageIndex {
  private constructor(
    private readonly tree: Flatbush | null,
    private readonly bboxes: Float64Array,
    private readonly resolutions: Float32Array,
    private readonly sizes: Uint32Array,
    private readonly fileCodes: Uint16Array,
    private readonly stringOffsets: Uint32Array,
    private readonly stringBytes: Uint8Array,
    private readonly suffixes: readonly string[],
  ) {}

  /**
   * Load a serialised index. Takes the buffer as is (no copy) when it is an ArrayBuffer or a
   * Uint8Array starting on an 8-byte boundary of its buffer (Node's `readFile` result usually
   * does); otherwise copies it once. Throws CoverageFormatError on anything malformed.
   */
  static from(data: ArrayBuffer | Uint8Array): CoverageIndex {
    assertLittleEndian();
    // Tag checks, not instanceof: buffers may come from another realm (vm contexts, test pools).
    const isArrayBuffer = (v: unknown) => Object.prototype.toString.call(v) === "[object ArrayBuffer]";
    let buf: ArrayBuffer;
    let base: number;
    if (ArrayBuffer.isView(data)) {
      if (data.byteOffset % 8 === 0 && isArrayBuffer(data.buffer)) {
        buf = data.buffer as ArrayBuffer;
        base = data.byteOffset;
      } else {
        buf = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
        base = 0;
      }
    } else if (isArrayBuffer(data)) {
      buf = data;
      base = 0;
    } else {
      throw new CoverageFormatError("coverage index: expected an ArrayBuffer or Uint8Array");
    }
    const available = data.byteLength;
    if (available < HEADER_BYTES)
      throw new CoverageFormatError("coverage index: buffer too short for a header");
    const head = new Uint8Array(buf, base, 4);
    if (!MAGIC.every((m, k) => head[k] === m)) {
      throw new CoverageFormatError("coverage index: bad magic (not a LaneSegNet coverage index)");
    }
    const view = new DataView(buf, base, HEADER_BYTES);
    const version = view.getUint16(H.version, true);
    if (version !== FORMAT_VERSION) {
      throw new CoverageFormatError(
        `coverage index: format version ${version}, this code reads ${FORMAT_VERSION}`,
      );
    }
    const u32 = (field: keyof typeof H) => view.getUint32(H[field], true);
    const n = u32("count");
    const suffixCount = u32("suffixCount");
    const totalLength = u32("totalLength");
    if (totalLength > available) {
      throw new CoverageFormatError(`coverage index: truncated (${available} of ${totalLength} bytes)`);
    }
    const section = (field: keyof typeof H, bytes: number): number => {
      const off = u32(field);
      if (off % 8 !== 0 || off < HEADER_BYTES || off + bytes > totalLength) {
        throw new CoverageFormatError(`coverage index: section ${field} out of bounds`);
      }
      return base + off;
    };
    const nStrings = n + suffixCount;
    const stringBytesLength = u32("stringBytesLength");
    const bboxes = new Float64Array(buf, section("bboxOffset", n * 32), n * 4);
    const resolutions = new Float32Array(buf, section("resolutionOffset", n * 4), n);
    const sizes = new Uint32Array(buf, section("sizeOffset", n * 8), n * 2);
    const fileCodes = new Uint16Array(buf, section("fileCodeOffset", n * 2), n);
    const stringOffsets = new Uint32Array(
      buf,
      section("stringOffsetsOffset", (nStrings + 1) * 4),
      nStrings + 1,
    );
    const stringBytes = new Uint8Array(
      buf,
      section("stringBytesOffset", stringBytesLength),
      stringBytesLength,
    );
    if (stringOffsets[nStrings] !== stringBytesLength) {
      throw new CoverageFormatError("coverage index: string table does not match its length");
    }

    let tree: Flatbush | null = null;
    if (n > 0) {
      const treeLength = u32("treeLength");
      const treeOffset = section("treeOffset", treeLength);
      try {
        tree = Flatbush.from(buf, treeOffset);
      } catch (e) {
        throw new CoverageFormatError(`coverage index: bad R-tree section (${(e as Error).message})`);
      }
      // Flatbush.from views the whole ArrayBuffer; check that its arrays end inside our section.
      const treeEnd = tree._indices.byteOffset + tree._indices.byteLength;
      if (tree.numItems !== n || treeEnd > treeOffset + treeLength) {
        throw new CoverageFormatError("coverage index: R-tree does not match the image count");
      }
    }

    const suffixes: string[] = [];
    for (let k = 0; k < suffixCount; k++) {
      suffixes.push(decodeString(stringBytes, stringOffsets[n + k]!, stringOffsets[n + k + 1]!));
    }
    return new CoverageIndex(
      tree,
      bboxes,
      resolutions,
      sizes,
      fileCodes,
      stringOffsets,
      stringBytes,
      suffixes,
    );
  }

  /** Number of images. */
  get size(): number {
    return this.resolutions.length;
  }

  /** Bounding box of all footprints (EPSG:3857), or null for an empty index. */
  get bounds(): MercatorBbox | null {
    const t = this.tree;
    return t ? [t.minX, t.minY, t.maxX, t.maxY] : null;
  }

  /** The image at a position of the index. */
  image(index: number): CoverageImage {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new RangeError(`coverage index: no image at ${index}`);
    }
    const { groundResolutionM: _ground, coverage: _coverage, ...image } = this.hit(index, 0, 0);
    return image;
  }

  /** Materialise one hit (one object literal, so every hit shares one hidden class). */
  private hit(i: number, cosLat: number, coverage: number): CoverageHit {
    const b = this.bboxes;
    const o = this.stringOffsets;
    const id = decodeString(this.stringBytes, o[i]!, o[i + 1]!);
    const code = this.fileCodes[i]!;
    const res = this.resolutions[i]!;
    return {
      index: i,
      id,
      file: code === 0 ? null : id + this.suffixes[code - 1]!,
      footprint: [b[4 * i]!, b[4 * i + 1]!, b[4 * i + 2]!, b[4 * i + 3]!],
      width: this.sizes[2 * i]!,
      height: this.sizes[2 * i + 1]!,
      mercatorResolution: res,
      groundResolutionM: res * cosLat,
      coverage,
    };
  }

  /**
   * Images whose footprint intersects the area (overlap thicker than EDGE_TOLERANCE_M; for a
   * point, footprints containing it, edges included), best first: finest ground resolution, then
   * largest coverage of the area, then index order.
   */
  search(area: CoverageArea, options: SearchOptions = {}): CoverageHit[] {
    return this.collect(resolveArea(area), Math.max(0, options.limit ?? Number.POSITIVE_INFINITY));
  }

  /**
   * Whether the union of footprints covers the whole area, decided exactly (a slab sweep over the
   * intersecting footprints, see union.ts), with the covered fraction and the best single image.
   */
  covers(area: CoverageArea): CoverageReport {
    const q = resolveArea(area);
    const images = this.collect(q);
    const bestSingle = images.find((h) => containsArea(q, h.footprint)) ?? null;
    // One image covering everything is the common case; the sweep is only for the rest.
    const union = bestSingle
      ? { fully: true, fraction: 1 }
      : unionCoverage(
          q,
          images.map((h) => h.footprint),
        );
    return {
      fully: union.fully,
      coveredFraction: union.fraction,
      bestResolutionM: images[0]?.groundResolutionM ?? null,
      bestSingle,
      images,
    };
  }

  /**
   * Rank the intersecting images with numbers only, then build hit objects for the first `limit`:
   * a query over a dense store (the AEL footprints overlap ~30-deep) then allocates little.
   */
  private collect(q: ResolvedArea, limit = Number.POSITIVE_INFINITY): CoverageHit[] {
    if (!this.tree) return [];
    const b = this.bboxes;
    const res = this.resolutions;
    const found: number[] = [];
    const cover: number[] = [];
    for (const i of this.tree.search(q.minX, q.minY, q.maxX, q.maxY)) {
      const c = footprintCoverage(q, b[4 * i]!, b[4 * i + 1]!, b[4 * i + 2]!, b[4 * i + 3]!);
      if (c < 0) continue; // touches only
      found.push(i);
      cover.push(c);
    }
    // Best first: finest resolution, then largest coverage, then index order (deterministic).
    const order = found.map((_, k) => k);
    order.sort((x, y) => res[found[x]!]! - res[found[y]!]! || cover[y]! - cover[x]! || found[x]! - found[y]!);
    const cosLat = groundResolution(1, q.centreLat);
    const n = Math.min(order.length, limit);
    const hits = new Array<CoverageHit>(n);
    for (let k = 0; k < n; k++) hits[k] = this.hit(found[order[k]!]!, cosLat, cover[order[k]!]!);
    return hits;
  }
}
