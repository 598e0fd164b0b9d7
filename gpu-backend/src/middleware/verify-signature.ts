/**
 * Accept only requests signed by the edge (HMAC from shared/), within the clock-skew window, and
 * each nonce once: checkSignatureHeaders before the route's body limit (no body read for a request
 * its headers already condemn), then verifySignature reads the body as raw bytes (the signature
 * covers them) and hands it on, and signs every answer to an accepted request for its nonce
 * (shared signResponse).
 *
 * Nonces are remembered by a NonceStore: this process's own NonceCache by default, or with
 * REPLAY_REDIS_URL set, Redis shared by every instance behind the load balancer
 * (replay/redis-nonce-store.ts), so a replay is refused whichever instance it reaches.
 */
import {
  NonceCache,
  problem,
  problemResponse,
  RESPONSE_SIGNATURE_HEADER,
  readSignatureHeaders,
  signResponse,
  verifyRequest,
} from "@lanesegnet/shared";
import type { Context, MiddlewareHandler } from "hono";
import { noteForLog } from "../observability/request-log.js";
import type { NonceStore } from "../replay/redis-nonce-store.js";

export type SignedBodyEnv = { Variables: { rawBody: Uint8Array } };

/** Statuses whose response may not have a body (Fetch): signed over the empty body. */
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

/**
 * The same answer whatever was wrong (a caller without the secret learns nothing from it); the
 * reason (missing_header, malformed_header, timestamp_skew, bad_signature) goes to the log line.
 * `bodyUnread`: refused on its headers, so the connection cannot carry another request.
 */
function unsigned(c: Context, reason: string, bodyUnread = false): Response {
  noteForLog(c, { reason });
  return problemResponse(
    problem(401, { detail: "missing or invalid request signature" }),
    bodyUnread ? { Connection: "close" } : {},
  );
}

function target(c: Context): { method: string; path: string } {
  const url = new URL(c.req.url);
  return { method: c.req.method, path: url.pathname + url.search };
}

/**
 * What the headers alone decide (present, once each, well-formed, timestamp within the skew;
 * shared readSignatureHeaders, which verifyRequest runs too). Mounted before the route's body
 * limit, which reads a chunked body (no Content-Length) in full before anything after it runs:
 * reading costs up to the limit (8 MB for render), which anyone who can reach the backend could
 * otherwise make it spend with no signature at all.
 */
export function checkSignatureHeaders(): MiddlewareHandler {
  return async (c, next) => {
    const read = readSignatureHeaders(c.req.raw.headers);
    if (!read.ok) return unsigned(c, read.reason, true);
    await next();
  };
}

export function verifySignature(
  secret: string,
  nonces: NonceStore = new NonceCache(),
): MiddlewareHandler<SignedBodyEnv> {
  return async (c, next) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const result = await verifyRequest(secret, c.req.raw.headers, { ...target(c), body });
    if (!result.ok) return unsigned(c, result.reason);
    const seen = await nonces.check(result.nonce);
    if (seen === "replayed") {
      noteForLog(c, { reason: "replayed" });
      return problemResponse(problem(401, { detail: "request replayed" }));
    }
    if (seen === "full") {
      noteForLog(c, { reason: "replay_window_full" });
      return problemResponse(problem(503, { detail: "too many signed requests in the replay window" }), {
        "Retry-After": "1",
      });
    }
    c.set("rawBody", body);
    await next();
    // Every answer to an accepted request carries the backend's signature, bound to its nonce
    // (shared signResponse): the edge stores only answers it can verify. The routes behind this
    // answer with buffered bodies (JSON text, a PNG of at most 2048² px), so reading one here
    // costs no stream; a route that streamed would be buffered by this.
    const { status, statusText } = c.res;
    const bytes = new Uint8Array(await c.res.arrayBuffer());
    const headers = new Headers(c.res.headers);
    headers.set(RESPONSE_SIGNATURE_HEADER, await signResponse(secret, result.nonce, status, bytes));
    c.res = new Response(NULL_BODY_STATUSES.has(status) ? null : bytes, { status, statusText, headers });
  };
}
