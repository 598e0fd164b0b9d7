/**
 * Rendered PNGs of an analysis, cached in Redis beside the result they picture:
 *   {prefix}render:v1:{kind}:{id} -> "P1 <etag> <west,south,east,north>\n<base64 png>"
 * (Upstash's REST transport is JSON text, so bytes travel as base64.) A picture lives exactly as
 * long as its result: it is stored with the result's remaining time to live, and never outlives
 * it. Pictures larger than the entry limit are served but not stored.
 */
import { base64ToBytes, bytesToBase64, bytesToBase64url } from "../cache/base64.js";
import type { FlightKeys } from "../cache/single-flight.js";
import { type Redis, redisCall } from "../redis/client.js";
import type { KeySpace } from "../redis/keys.js";
import type { RenderKind } from "./from-result.js";

const VERSION = "P1";

/**
 * Enough of an entry to hold its header line: "P1 ", a 24-character ETag, a space, four bounds of
 * at most 13 characters and their commas, the newline (85 bytes at most), with room to spare.
 */
const HEAD_BYTES = 256;

export interface StoredPicture {
  readonly png: Uint8Array;
  readonly etag: string;
  /** Lon/lat extent of the picture, "west,south,east,north" (the X-Image-Bounds header). */
  readonly bounds: string;
}

/** A strong ETag of the bytes: base64url of the first 16 bytes of their SHA-256. */
export async function pictureEtag(png: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", png as Uint8Array<ArrayBuffer>));
  return `"${bytesToBase64url(digest.subarray(0, 16))}"`;
}

export function encodePicture(p: StoredPicture): string {
  return `${VERSION} ${p.etag} ${p.bounds}\n${bytesToBase64(p.png)}`;
}

/** A stored picture without its bytes: what its header line says. */
export type PictureHead = Omit<StoredPicture, "png">;

/** The header line of an entry (up to its newline) from its first characters, or null. */
function decodeHead(text: string): PictureHead | null {
  const nl = text.indexOf("\n");
  if (nl < 0) return null;
  const [version, etag, bounds] = text.slice(0, nl).split(" ");
  return version === VERSION && etag && bounds ? { etag, bounds } : null;
}

/** null when the text is not a stored picture (another format: treated as absent). */
export function decodePicture(text: string): StoredPicture | null {
  const head = decodeHead(text);
  if (!head) return null;
  try {
    return { ...head, png: base64ToBytes(text.slice(text.indexOf("\n") + 1)) };
  } catch {
    return null;
  }
}

export class PictureStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
    private readonly maxEntryBytes: number,
  ) {}

  key(kind: RenderKind, id: string): string {
    // Derived from the result's key so both share the deployment's prefix and the id.
    return `${this.keys.prefix}render:v1:${kind}:${id}`;
  }

  /**
   * The keys of a single flight over pictures, for flight ids `<kind>:<analysis id>`: its result
   * is the stored picture itself, so a finished flight is an ordinary cache hit.
   */
  flightKeys(): FlightKeys {
    const picture = (flightId: string) => {
      const colon = flightId.indexOf(":");
      return this.key(flightId.slice(0, colon) as RenderKind, flightId.slice(colon + 1));
    };
    const prefix = this.keys.prefix;
    return {
      result: picture,
      lock: (flightId) => `${prefix}lock:${picture(flightId).slice(prefix.length)}`,
      failure: (flightId) => `${prefix}failed:${picture(flightId).slice(prefix.length)}`,
    };
  }

  /**
   * What a flight leader stores: the encoded picture and how long it may live (the result's time
   * left), or null when it must not be stored (too large, or the result is gone).
   */
  async entryFor(id: string, picture: StoredPicture): Promise<{ text: string; ttlMs: number } | null> {
    const text = encodePicture(picture);
    if (text.length > this.maxEntryBytes) return null;
    const ttlMs = Number(await redisCall(() => this.redis.pttl(this.keys.result(id))));
    return ttlMs > 0 ? { text, ttlMs } : null;
  }

  /** The cached picture, or null. Throws RedisUnavailableError. */
  async get(kind: RenderKind, id: string): Promise<StoredPicture | null> {
    const raw = await redisCall(() => this.redis.get<string>(this.key(kind, id)));
    return raw === null ? null : decodePicture(raw);
  }

  /**
   * The cached picture's ETag and bounds, from the first bytes of its entry (GETRANGE): enough to
   * answer a conditional request without carrying the picture (megabytes) out of Redis. null when
   * none is cached. Throws RedisUnavailableError.
   */
  async head(kind: RenderKind, id: string): Promise<PictureHead | null> {
    const start = await redisCall(() => this.redis.getrange(this.key(kind, id), 0, HEAD_BYTES - 1));
    return decodeHead(start);
  }

  /**
   * Store a picture for as long as its result still lives. False when not stored (the result is
   * gone, the picture is too large, or Redis failed: the caller serves it anyway).
   */
  async put(kind: RenderKind, id: string, picture: StoredPicture): Promise<boolean> {
    try {
      const entry = await this.entryFor(id, picture);
      if (!entry) return false;
      await redisCall(() => this.redis.set(this.key(kind, id), entry.text, { px: entry.ttlMs }));
      return true;
    } catch {
      return false;
    }
  }
}
