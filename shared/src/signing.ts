/**
 * HMAC-SHA256 request signing between the edge and the inference backend, and the backend's
 * signature on its answer (signResponse / verifyResponse below).
 *
 * The signature covers `${timestamp}\n${nonce}\n${METHOD}\n${path}\n${sha256hex(body)}`, where path
 * is the request target as sent (path plus query string). The verifier rejects timestamps more than
 * maxSkewS away from its clock; replay protection inside that window is the caller's job: remember
 * each accepted nonce for 2 x maxSkewS (NonceCache below does this for a single Node process).
 */
import { type BytesLike, bytesToHex, hexToBytes, randomHex, sha256Hex, toBytes } from "./crypto.js";

export const SIGNATURE_HEADERS = {
  timestamp: "X-LSN-Timestamp",
  nonce: "X-LSN-Nonce",
  signature: "X-LSN-Signature",
} as const;

export const DEFAULT_MAX_SKEW_S = 60;
/** Shortest accepted secret: 32 characters (use 32 random bytes, e.g. hex- or base64-encoded). */
export const MIN_SECRET_LENGTH = 32;

const NONCE_RE = /^[A-Za-z0-9_-]{16,128}$/;
const TIMESTAMP_RE = /^\d{1,12}$/;
const SIGNATURE_RE = /^[0-9a-f]{64}$/;

export interface SignedMessage {
  readonly method: string;
  /** Request target as sent: path and query, e.g. "/v1/infer?debug=0". */
  readonly path: string;
  readonly body?: BytesLike | null;
}

/** A type alias (not an interface) so it is assignable to HeadersInit and plain records. */
export type SignatureHeaders = {
  "X-LSN-Timestamp": string;
  "X-LSN-Nonce": string;
  "X-LSN-Signature": string;
};

export type VerifyFailure = "missing_header" | "malformed_header" | "timestamp_skew" | "bad_signature";

export type VerifyResult =
  | { readonly ok: true; readonly nonce: string; readonly timestamp: number }
  | { readonly ok: false; readonly reason: VerifyFailure };

async function importKey(secret: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new RangeError(`the signing secret must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  return crypto.subtle.importKey("raw", toBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

async function stringToSign(
  timestamp: string,
  nonce: string,
  msg: SignedMessage,
): Promise<Uint8Array<ArrayBuffer>> {
  const bodyHash = await sha256Hex(msg.body ?? "");
  return toBytes(`${timestamp}\n${nonce}\n${msg.method.toUpperCase()}\n${msg.path}\n${bodyHash}`);
}

export interface SignOptions {
  /** Unix time in milliseconds (default Date.now()). */
  readonly now?: number;
  /** Default: 16 random bytes as hex. */
  readonly nonce?: string;
}

/** Headers to add to a request so that verifyRequest accepts it. */
export async function signRequest(
  secret: string,
  msg: SignedMessage,
  options: SignOptions = {},
): Promise<SignatureHeaders> {
  const timestamp = String(Math.floor((options.now ?? Date.now()) / 1000));
  const nonce = options.nonce ?? randomHex(16);
  if (!NONCE_RE.test(nonce)) throw new RangeError("nonce must be 16-128 characters of [A-Za-z0-9_-]");
  const key = await importKey(secret, "sign");
  const mac = await crypto.subtle.sign("HMAC", key, await stringToSign(timestamp, nonce, msg));
  return {
    "X-LSN-Timestamp": timestamp,
    "X-LSN-Nonce": nonce,
    "X-LSN-Signature": bytesToHex(new Uint8Array(mac)),
  };
}

/** A Fetch API Headers object, or a plain record (header names compared case-insensitively). */
export type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (k.toLowerCase() !== lower || v === undefined) continue;
    // A repeated header (Node gives an array) is ambiguous: refuse it rather than guess.
    return typeof v === "string" ? v : v.length === 1 ? v[0] : "";
  }
  return undefined;
}

export interface VerifyOptions {
  /** Unix time in milliseconds (default Date.now()). */
  readonly now?: number;
  readonly maxSkewS?: number;
}

export type SignatureHeadersResult =
  | {
      readonly ok: true;
      readonly nonce: string;
      readonly timestamp: string;
      readonly mac: Uint8Array<ArrayBuffer>;
    }
  | { readonly ok: false; readonly reason: Exclude<VerifyFailure, "bad_signature"> };

/**
 * What the signature headers alone decide: present, once each, well-formed, timestamp within the
 * skew. No secret, no body: a verifier can refuse on this before reading the body.
 */
export function readSignatureHeaders(
  headers: HeaderSource,
  options: VerifyOptions = {},
): SignatureHeadersResult {
  const timestamp = header(headers, SIGNATURE_HEADERS.timestamp);
  const nonce = header(headers, SIGNATURE_HEADERS.nonce);
  const signature = header(headers, SIGNATURE_HEADERS.signature);
  if (timestamp === undefined || nonce === undefined || signature === undefined) {
    return { ok: false, reason: "missing_header" };
  }
  if (!TIMESTAMP_RE.test(timestamp) || !NONCE_RE.test(nonce) || !SIGNATURE_RE.test(signature)) {
    return { ok: false, reason: "malformed_header" };
  }
  const nowS = (options.now ?? Date.now()) / 1000;
  if (Math.abs(nowS - Number(timestamp)) > (options.maxSkewS ?? DEFAULT_MAX_SKEW_S))
    return { ok: false, reason: "timestamp_skew" };
  const mac = hexToBytes(signature);
  if (!mac) return { ok: false, reason: "malformed_header" };
  return { ok: true, nonce, timestamp, mac };
}

/**
 * Check a request's signature headers. Never throws for bad input (only for a too-short secret);
 * the comparison is crypto.subtle.verify, which is constant-time.
 */
export async function verifyRequest(
  secret: string,
  headers: HeaderSource,
  msg: SignedMessage,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const key = await importKey(secret, "verify");
  const read = readSignatureHeaders(headers, options);
  if (!read.ok) return read;
  const { timestamp, nonce, mac } = read;
  const valid = await crypto.subtle.verify("HMAC", key, mac, await stringToSign(timestamp, nonce, msg));
  return valid ? { ok: true, nonce, timestamp: Number(timestamp) } : { ok: false, reason: "bad_signature" };
}

/**
 * The backend signs its answer to a signed request (every status), so the edge stores and shares
 * only what the backend said: a proxy, load balancer or anything else on the path that ends TLS
 * cannot change a result, and an answer recorded for one request does not verify for another.
 * The MAC covers `lsn-response\n${request nonce}\n${status}\n${sha256hex(body)}`: the request's
 * nonce binds it to that request, and the label keeps it from ever equalling a request's MAC
 * (whose string starts with the timestamp's digits).
 */
export const RESPONSE_SIGNATURE_HEADER = "X-LSN-Response-Signature";

async function responseToSign(
  requestNonce: string,
  status: number,
  body: BytesLike,
): Promise<Uint8Array<ArrayBuffer>> {
  return toBytes(`lsn-response\n${requestNonce}\n${status}\n${await sha256Hex(body)}`);
}

/** The value of RESPONSE_SIGNATURE_HEADER for an answer to the request signed with `requestNonce`. */
export async function signResponse(
  secret: string,
  requestNonce: string,
  status: number,
  body: BytesLike,
): Promise<string> {
  const key = await importKey(secret, "sign");
  return bytesToHex(
    new Uint8Array(await crypto.subtle.sign("HMAC", key, await responseToSign(requestNonce, status, body))),
  );
}

/** Whether an answer carries the backend's signature for the request signed with `requestNonce`. */
export async function verifyResponse(
  secret: string,
  requestNonce: string,
  status: number,
  headers: HeaderSource,
  body: BytesLike,
): Promise<boolean> {
  const key = await importKey(secret, "verify");
  const signature = header(headers, RESPONSE_SIGNATURE_HEADER);
  if (signature === undefined || !SIGNATURE_RE.test(signature)) return false;
  const mac = hexToBytes(signature);
  if (!mac) return false;
  return crypto.subtle.verify("HMAC", key, mac, await responseToSign(requestNonce, status, body));
}

export interface NonceCacheOptions {
  /** How long a nonce is remembered; at least 2 x the verifier's maxSkewS (default 120 s). */
  readonly ttlMs?: number;
  /** Most nonces held at once (default 100,000, a few MB). */
  readonly maxEntries?: number;
}

export type NonceCheck = "fresh" | "replayed" | "full";

/**
 * Remembers accepted nonces for one process, bounded in time and size. When full of unexpired
 * nonces it refuses new ones ("full") instead of forgetting old ones: forgetting would reopen a
 * replay window. Callers should answer "full" with 503, "replayed" with 401.
 */
export class NonceCache {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  /** nonce -> expiry (ms); insertion order = expiry order, since the TTL is constant. */
  readonly #seen = new Map<string, number>();

  constructor(options: NonceCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 2 * DEFAULT_MAX_SKEW_S * 1000;
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  get size(): number {
    return this.#seen.size;
  }

  /** Record a nonce seen at `nowMs`; "fresh" the first time within the TTL. */
  check(nonce: string, nowMs: number = Date.now()): NonceCheck {
    this.#evictExpired(nowMs);
    if (this.#seen.has(nonce)) return "replayed";
    if (this.#seen.size >= this.#maxEntries) return "full";
    this.#seen.set(nonce, nowMs + this.#ttlMs);
    return "fresh";
  }

  #evictExpired(nowMs: number): void {
    for (const [nonce, expiry] of this.#seen) {
      if (expiry > nowMs) break;
      this.#seen.delete(nonce);
    }
  }
}
