/**
 * How an analysis result is stored in Redis: ONE string that is returned almost as is on a hit.
 *
 *   E1 <encoding> <etag> <provider>\n<payload>
 *
 * - `encoding` is `j` (payload is the response body, JSON text) or `z` (payload is the body
 *   gzip-compressed and base64-encoded: Upstash's REST transport is JSON text, so bytes must be
 *   text; base64 of gzip is still 4-8x smaller than GeoJSON).
 * - `etag` is a weak entity tag of the body; `provider` the imagery provider that served it (for the
 *   audit log, so a hit never parses the body).
 *
 * The body always starts with BODY_PREFIX_MISS: `analysis` is serialised right after `type` with
 * `cache` as its first member. A hit swaps that fixed prefix for BODY_PREFIX_HIT, so
 * `analysis.cache` tells the truth without a JSON.parse/stringify of the result.
 */
import { base64ToBytes, bytesToBase64, bytesToBase64url } from "./base64.js";
import { gunzipText, gzipText } from "./compress.js";

export const BODY_PREFIX_MISS = '{"type":"FeatureCollection","analysis":{"cache":"MISS",';
export const BODY_PREFIX_HIT = '{"type":"FeatureCollection","analysis":{"cache":"HIT",';
const ENTRY_VERSION = "E1";

export interface EntryMeta {
  /** Weak ETag, e.g. `W/"k2V…"` (no spaces). */
  readonly etag: string;
  readonly provider: string;
}

export interface DecodedEntry extends EntryMeta {
  /** The stored entry's first line, newline included: it names the body (its ETag) exactly. */
  readonly header: string;
  /** The response body with `analysis.cache` = "HIT". */
  readonly body: string;
  readonly compressed: boolean;
}

export class CacheEntryError extends Error {
  override readonly name = "CacheEntryError";
}

/** A weak ETag of a body: base64url of the first 16 bytes of its SHA-256. */
export async function etagOf(body: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
  return `W/"${bytesToBase64url(digest.subarray(0, 16))}"`;
}

/**
 * The stored form of a body (which must start with BODY_PREFIX_MISS). Bodies of at least
 * `compressMinBytes` UTF-16 units are gzip-compressed.
 */
export async function encodeEntry(
  body: string,
  meta: EntryMeta,
  options: { readonly compressMinBytes: number },
): Promise<string> {
  if (!body.startsWith(BODY_PREFIX_MISS))
    throw new CacheEntryError("body does not start with the MISS prefix");
  if (/\s/.test(meta.etag) || /\s/.test(meta.provider) || meta.provider === "") {
    throw new CacheEntryError("etag and provider must be non-empty and contain no whitespace");
  }
  const compress = body.length >= options.compressMinBytes;
  const payload = compress ? bytesToBase64(await gzipText(body)) : body;
  return `${ENTRY_VERSION} ${compress ? "z" : "j"} ${meta.etag} ${meta.provider}\n${payload}`;
}

/** The most an entry's header line takes (it ends at the first newline). */
export const ENTRY_HEADER_MAX = 512;

/**
 * The ETag and provider from the start of a stored entry (at least its header line), without
 * reading its body; null when that is no E1 header.
 */
export function entryHeaderOf(start: string): {
  readonly etag: string;
  readonly provider: string;
  readonly compressed: boolean;
  readonly length: number;
} | null {
  const nl = start.indexOf("\n");
  if (nl < 0 || nl > ENTRY_HEADER_MAX) return null;
  const [version, encoding, etag, provider] = start.slice(0, nl).split(" ");
  if (version !== ENTRY_VERSION || (encoding !== "j" && encoding !== "z") || !etag || !provider) return null;
  return { etag, provider, compressed: encoding === "z", length: nl + 1 };
}

/** Read a stored entry back, with the body rewritten to `analysis.cache` = "HIT". */
export async function decodeEntry(stored: string): Promise<DecodedEntry> {
  const head = entryHeaderOf(stored);
  if (!head) throw new CacheEntryError("cache entry has no E1 header line");
  const { etag, provider, compressed, length } = head;
  let missBody: string;
  if (!compressed) missBody = stored.slice(length);
  else {
    try {
      missBody = await gunzipText(base64ToBytes(stored.slice(length)));
    } catch (e) {
      // Damaged bytes are an unreadable entry like any other (replaced, not a 500 for 30 days).
      throw new CacheEntryError(`cache entry does not decode: ${e instanceof Error ? e.name : "error"}`);
    }
  }
  if (!missBody.startsWith(BODY_PREFIX_MISS)) throw new CacheEntryError("cached body lacks the MISS prefix");
  return {
    header: stored.slice(0, length),
    body: BODY_PREFIX_HIT + missBody.slice(BODY_PREFIX_MISS.length),
    etag,
    provider,
    compressed,
  };
}
