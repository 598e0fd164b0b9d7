import Flatbush from "flatbush";
import { MERCATOR_HALF_WORLD_M } from "../geo/mercator.js";
import type { MercatorBbox } from "../geo/tiles.js";
import { align8, assertLittleEndian, FORMAT_VERSION, H, HEADER_BYTES, MAGIC } from "./format.js";

/** One image of an imagery store, as the index builder takes it. */
export interface CoverageEntry {
  /** Unique image id (the file stem in a local store). */
  readonly id: string;
  /**
   * Image file name relative to the store, which must be `id` + a suffix (e.g. `"0042.jpg"`), or
   * null when the store holds only the sidecar (the AEL annotations have no images).
   */
  readonly file: string | null;
  /** Footprint in EPSG:3857 metres. */
  readonly footprint: MercatorBbox;
  readonly width: number;
  readonly height: number;
  /** Mercator metres per pixel; defaults to footprint width / width. */
  readonly mercatorResolution?: number;
}

/** A builder input that breaks the rules; names the entry. */
export class CoverageEntryError extends Error {
  override readonly name = "CoverageEntryError";
}

// Footprints may exceed the world square by float noise only.
const WORLD_LIMIT_M = MERCATOR_HALF_WORLD_M + 1e-3;
const MAX_SUFFIXES = 0xffff;
const isPixelCount = (v: number) => Number.isInteger(v) && v > 0 && v <= 0xffffffff;

/**
 * Accumulates entries in growable typed arrays (1M entries need no per-entry objects kept) and
 * serialises them with a Flatbush tree into the format of format.ts. Entries keep their order.
 */
export class CoverageIndexBuilder {
  private bboxes = new Float64Array(4 * 1024);
  private resolutions = new Float32Array(1024);
  private sizes = new Uint32Array(2 * 1024);
  private fileCodes = new Uint16Array(1024);
  private readonly ids: string[] = [];
  private readonly seenIds = new Set<string>();
  private readonly suffixCodes = new Map<string, number>();
  private readonly nodeSize: number;

  constructor(options: { readonly nodeSize?: number } = {}) {
    this.nodeSize = options.nodeSize ?? 16;
  }

  get count(): number {
    return this.ids.length;
  }

  /** Validate and append one entry; throws CoverageEntryError naming it. */
  add(entry: CoverageEntry): this {
    const i = this.ids.length;
    const fail = (why: string): never => {
      throw new CoverageEntryError(`entry ${i} (id ${JSON.stringify(entry.id)}): ${why}`);
    };
    if (typeof entry.id !== "string" || entry.id.length === 0) fail("id must be a non-empty string");
    if (this.seenIds.has(entry.id)) fail("duplicate id");
    const fp = entry.footprint;
    if (fp.length !== 4) fail("footprint must be 4 finite numbers");
    const [x0, y0, x1, y1] = fp;
    if (!(Number.isFinite(x0) && Number.isFinite(y0) && Number.isFinite(x1) && Number.isFinite(y1))) {
      fail("footprint must be 4 finite numbers");
    }
    if (!(x0 < x1 && y0 < y1)) fail(`footprint must have positive area, got ${JSON.stringify(fp)}`);
    if (x0 < -WORLD_LIMIT_M || y0 < -WORLD_LIMIT_M || x1 > WORLD_LIMIT_M || y1 > WORLD_LIMIT_M) {
      fail("footprint lies outside the EPSG:3857 world");
    }
    if (!isPixelCount(entry.width)) fail(`width must be a positive integer, got ${entry.width}`);
    if (!isPixelCount(entry.height)) fail(`height must be a positive integer, got ${entry.height}`);
    const res = entry.mercatorResolution ?? (x1 - x0) / entry.width;
    if (!(Number.isFinite(res) && res > 0)) fail(`mercatorResolution must be positive, got ${res}`);
    let fileCode = 0;
    if (entry.file !== null) {
      if (typeof entry.file !== "string" || !entry.file.startsWith(entry.id)) {
        fail(`file must be the id followed by a suffix, got ${JSON.stringify(entry.file)}`);
      }
      fileCode = this.suffixCode(entry.file.slice(entry.id.length), fail);
    }

    this.grow(i + 1);
    this.bboxes.set(fp, 4 * i);
    this.resolutions[i] = res;
    this.sizes[2 * i] = entry.width;
    this.sizes[2 * i + 1] = entry.height;
    this.fileCodes[i] = fileCode;
    this.ids.push(entry.id);
    this.seenIds.add(entry.id);
    return this;
  }

  /** Serialise everything added so far into one ArrayBuffer (see format.ts). */
  finish(): ArrayBuffer {
    assertLittleEndian();
    const n = this.ids.length;
    let tree: ArrayBuffer | null = null;
    if (n > 0) {
      const fb = new Flatbush(n, this.nodeSize, Float64Array);
      const b = this.bboxes;
      for (let i = 0; i < n; i++) fb.add(b[4 * i]!, b[4 * i + 1]!, b[4 * i + 2]!, b[4 * i + 3]!);
      fb.finish();
      tree = fb.data as ArrayBuffer;
    }

    // One encode of all strings joined (1M small encodes cost more than the whole tree build);
    // offsets come from each string's UTF-8 length.
    const strings = [...this.ids, ...this.suffixCodes.keys()];
    const stringBytes = new TextEncoder().encode(strings.join(""));
    const stringBytesLength = stringBytes.length;
    // Lay out sections, each 8-byte aligned.
    let at = HEADER_BYTES;
    const place = (bytes: number): number => {
      const start = at;
      at = align8(at + bytes);
      return start;
    };
    const treeLength = tree?.byteLength ?? 0;
    const treeOffset = place(treeLength);
    const bboxOffset = place(n * 32);
    const resolutionOffset = place(n * 4);
    const sizeOffset = place(n * 8);
    const fileCodeOffset = place(n * 2);
    const stringOffsetsOffset = place((strings.length + 1) * 4);
    const stringBytesOffset = place(stringBytesLength);
    const totalLength = at;

    const out = new ArrayBuffer(totalLength);
    const bytes = new Uint8Array(out);
    bytes.set(MAGIC, 0);
    const view = new DataView(out);
    view.setUint16(H.version, FORMAT_VERSION, true);
    const header: [keyof typeof H, number][] = [
      ["count", n],
      ["suffixCount", this.suffixCodes.size],
      ["treeOffset", treeOffset],
      ["treeLength", treeLength],
      ["bboxOffset", bboxOffset],
      ["resolutionOffset", resolutionOffset],
      ["sizeOffset", sizeOffset],
      ["fileCodeOffset", fileCodeOffset],
      ["stringOffsetsOffset", stringOffsetsOffset],
      ["stringBytesOffset", stringBytesOffset],
      ["stringBytesLength", stringBytesLength],
      ["totalLength", totalLength],
    ];
    for (const [field, value] of header) view.setUint32(H[field], value, true);

    if (tree) bytes.set(new Uint8Array(tree), treeOffset);
    new Float64Array(out, bboxOffset, n * 4).set(this.bboxes.subarray(0, n * 4));
    new Float32Array(out, resolutionOffset, n).set(this.resolutions.subarray(0, n));
    new Uint32Array(out, sizeOffset, n * 2).set(this.sizes.subarray(0, n * 2));
    new Uint16Array(out, fileCodeOffset, n).set(this.fileCodes.subarray(0, n));
    const offsets = new Uint32Array(out, stringOffsetsOffset, strings.length + 1);
    let pos = 0;
    strings.forEach((str, k) => {
      offsets[k] = pos;
      pos += utf8Length(str);
    });
    offsets[strings.length] = pos;
    if (pos !== stringBytesLength) throw new Error("coverage index: UTF-8 length mismatch (internal)");
    bytes.set(stringBytes, stringBytesOffset);
    return out;
  }

  private suffixCode(suffix: string, fail: (why: string) => never): number {
    let code = this.suffixCodes.get(suffix);
    if (code === undefined) {
      if (this.suffixCodes.size >= MAX_SUFFIXES) fail("too many distinct file-name suffixes");
      code = this.suffixCodes.size + 1;
      this.suffixCodes.set(suffix, code);
    }
    return code;
  }

  private grow(n: number): void {
    if (n <= this.resolutions.length) return;
    const cap = Math.max(n, this.resolutions.length * 2);
    const bigger = <T extends Float64Array | Float32Array | Uint32Array | Uint16Array>(
      old: T,
      make: (len: number) => T,
      per: number,
    ): T => {
      const next = make(cap * per);
      next.set(old);
      return next;
    };
    this.bboxes = bigger(this.bboxes, (l) => new Float64Array(l), 4);
    this.resolutions = bigger(this.resolutions, (l) => new Float32Array(l), 1);
    this.sizes = bigger(this.sizes, (l) => new Uint32Array(l), 2);
    this.fileCodes = bigger(this.fileCodes, (l) => new Uint16Array(l), 1);
  }
}

/** Bytes TextEncoder produces for a string (lone surrogates become U+FFFD, 3 bytes). */
function utf8Length(s: string): number {
  let n = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && k + 1 < s.length) {
      const d = s.charCodeAt(k + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        k++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** Build a serialised coverage index from an in-memory list of entries (tests, Node store builder). */
export function buildCoverageIndex(
  entries: Iterable<CoverageEntry>,
  options: { readonly nodeSize?: number } = {},
): ArrayBuffer {
  const builder = new CoverageIndexBuilder(options);
  for (const e of entries) builder.add(e);
  return builder.finish();
}
