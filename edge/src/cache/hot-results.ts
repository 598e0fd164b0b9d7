/**
 * Recently served results, kept in the isolate (least recently used first out, bounded in bytes),
 * so a hot result is not carried from Redis again on every hit: a 30-50 KB value is read, parsed
 * and copied through the Upstash REST transport each time, and that was the largest single cost
 * of a cache hit in workerd (docs/PERFORMANCE.md).
 *
 * Redis stays the source of truth. A held result is used only after Redis confirms, in the same
 * round trip as the rate limiter's script, that the stored entry still starts with the same header
 * line (`GETRANGE key 0 len-1`). That line carries the body's ETag (a SHA-256 prefix), so an entry
 * that expired, was deleted or was replaced is never served from here.
 *
 * The bookkeeping is lru-cache's (bounded by the bytes held, not by count: an isolate has 128 MB).
 */
import { LRUCache } from "lru-cache";

export interface HotResult {
  /** The stored entry's first line (`E1 <encoding> <etag> <provider>`), newline included. */
  readonly header: string;
  readonly body: string;
  readonly etag: string;
  readonly provider: string;
}

export class HotResults {
  // null when the bound is 0: lru-cache needs a positive bound.
  readonly #entries: LRUCache<string, HotResult> | null;

  /**
   * @param maxBytes what all held bodies may take together (UTF-16 code units, which is bytes for
   *   GeoJSON's ASCII); 0 holds nothing. A body over a quarter of it is not held.
   */
  constructor(readonly maxBytes: number) {
    this.#entries =
      maxBytes > 0
        ? new LRUCache({
            maxSize: maxBytes,
            // lru-cache wants a positive integer (any CACHE_HOT_MAX_BYTES is allowed).
            maxEntrySize: Math.max(1, Math.floor(maxBytes / 4)),
            sizeCalculation: costOf,
          })
        : null;
  }

  get size(): number {
    return this.#entries?.size ?? 0;
  }

  get bytes(): number {
    return this.#entries?.calculatedSize ?? 0;
  }

  /** The held result of `id` (now the most recently used), or undefined. */
  get(id: string): HotResult | undefined {
    return this.#entries?.get(id);
  }

  /** Hold `result` under `id`. One over the entry bound is not held, and drops what `id` held. */
  put(id: string, result: HotResult): void {
    this.#entries?.set(id, result);
  }

  delete(id: string): void {
    this.#entries?.delete(id);
  }
}

function costOf(result: HotResult): number {
  return result.body.length + result.header.length;
}
