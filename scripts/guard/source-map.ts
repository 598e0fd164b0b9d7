/**
 * Just enough of source maps (v3) for the guard: which source file a generated line and column
 * came from, so that a finding in a minified bundle (no module markers) is told apart as ours or a
 * library's. Decodes the Base64 VLQ `mappings`; names and source positions are not needed.
 */

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64.length; i++) DIGIT[BASE64.charCodeAt(i)] = i;

export interface SourceLookup {
  /** The source path a generated position (0-based line and column) maps to, if any. */
  sourceAt(line: number, column: number): string | undefined;
}

/** Per generated line: flat pairs [generatedColumn, sourceIndex] in column order (-1: unmapped). */
function decode(mappings: string): Int32Array[] {
  const lines: Int32Array[] = [];
  let source = 0;
  let current: number[] = [];
  let column = 0;
  let value = 0;
  let shift = 0;
  let segment: number[] = [];
  const endSegment = () => {
    if (segment.length > 0) {
      column += segment[0]!;
      if (segment.length >= 4) source += segment[1]!;
      current.push(column, segment.length >= 4 ? source : -1);
    }
    segment = [];
  };
  for (let i = 0; i <= mappings.length; i++) {
    const ch = i < mappings.length ? mappings.charCodeAt(i) : 59; // end as ';'
    if (ch === 59 /* ; */ || ch === 44 /* , */) {
      endSegment();
      if (ch === 59) {
        lines.push(Int32Array.from(current));
        current = [];
        column = 0;
      }
      continue;
    }
    const digit = ch < 128 ? DIGIT[ch]! : -1;
    if (digit < 0) throw new Error(`invalid character in source map mappings at ${i}`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    segment.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return lines;
}

/** Parse a source map's JSON; null when it is not a usable v3 map. */
export function sourceLookup(mapJson: string): SourceLookup | null {
  let map: { sources?: unknown; mappings?: unknown; sourceRoot?: unknown };
  try {
    map = JSON.parse(mapJson) as typeof map;
  } catch {
    return null;
  }
  if (!Array.isArray(map.sources) || typeof map.mappings !== "string") return null;
  const sources = map.sources.map((s) => (typeof s === "string" ? s.replace(/\\/g, "/") : ""));
  const lines = decode(map.mappings);
  return {
    sourceAt(line, column) {
      const segs = lines[line];
      if (!segs || segs.length === 0) return undefined;
      // Last segment starting at or before the column (binary search over the column pairs).
      let lo = 0;
      let hi = segs.length / 2 - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (segs[mid * 2]! <= column) {
          found = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (found < 0) return undefined;
      const index = segs[found * 2 + 1]!;
      return index >= 0 ? sources[index] : undefined;
    },
  };
}
