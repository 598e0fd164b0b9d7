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
 * Written by hand: an LRU over a Map is a few lines, and the libraries we looked at bound entries
 * by count, not by the bytes an isolate's 128 MB must hold.
 */

export interface HotResult {
  /** The stored entry's first line (`E1 <encoding> <etag> <provider>`), newline included. */
  readonly header: string;
  readonly body: string;
  readonly etag: string;
  readonly provider: string;
}

export class HotResults {
  readonly #entries = new Map<string, HotResult>();
  #bytes = 0;

  /**
   * @param maxBytes what all held bodies may take together (UTF-16 code units, which is bytes for
   *   GeoJSON's ASCII); 0 holds nothing. A body over a quarter of it is not held.
   */
  constructor(readonly maxBytes: number) {}

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The held result of `id` (now the most recently used), or undefined. */
  get(id: string): HotResult | undefined {
    const entry = this.#entries.get(id);
    if (entry) {
      this.#entries.delete(id);
      this.#entries.set(id, entry);
    }
    return entry;
  }

  put(id: string, result: HotResult): void {
    const cost = costOf(result);
    if (cost > this.maxBytes / 4) return;
    this.delete(id);
    this.#entries.set(id, result);
    this.#bytes += cost;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= costOf(entry);
    }
  }

  delete(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    this.#bytes -= costOf(entry);
  }
}

function costOf(result: HotResult): number {
  return result.body.length + result.header.length;
}
