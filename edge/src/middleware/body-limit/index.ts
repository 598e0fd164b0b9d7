/**
 * Bodies larger than LIMITS.maxRequestBytes get 413 problem+json: at once when Content-Length
 * says so, else (a chunked body) as soon as the bytes read pass the limit.
 *
 * Written here rather than with hono's bodyLimit, which it follows, for what happens to the rest
 * of a chunked body over the limit: hono answers with the stream half read, and `wrangler dev`'s
 * proxy then broke the connection's next request (a plain-text 503 "Your worker restarted
 * mid-request", or a GET that hung until another request came; cancelling the stream did not
 * help). So the rest is read and dropped, up to DRAIN_MAX_BYTES, which keeps the connection usable
 * for any client that merely sent too much; beyond that the stream is cancelled, so an endless body
 * costs the isolate no more than that.
 */
import { BodyTooLargeError, LIMITS, readCappedBytes } from "@lanesegnet/shared";
import type { MiddlewareHandler } from "hono";
import { EDGE_PROBLEM_TYPES, instanceOf, problemJson } from "../../problems.js";

/** How much of a chunked body beyond the limit is read and dropped before the stream is cancelled. */
export const DRAIN_MAX_BYTES = 1024 * 1024;

export function bodyLimit(maxBytes: number = LIMITS.maxRequestBytes): MiddlewareHandler {
  const tooLarge = (instance: string) =>
    problemJson(413, {
      type: EDGE_PROBLEM_TYPES.bodyTooLarge,
      detail: `The request body is larger than ${maxBytes} bytes.`,
      instance,
    });
  return async (c, next) => {
    const body = c.req.raw.body;
    if (!body) return next();
    const declared = c.req.raw.headers.get("content-length");
    if (declared !== null && !c.req.raw.headers.has("transfer-encoding")) {
      return Number.parseInt(declared, 10) > maxBytes ? tooLarge(instanceOf(c)) : next();
    }
    let whole: Uint8Array;
    try {
      // Its length is not declared here: only the bytes read count.
      whole = await readCappedBytes({ headers: new Headers(), body }, maxBytes, (rest) =>
        drain(rest, DRAIN_MAX_BYTES),
      );
    } catch (error) {
      if (error instanceof BodyTooLargeError) return tooLarge(instanceOf(c));
      throw error;
    }
    // A copy: the stream's chunks are typed as possibly shared memory, which a body may not be.
    c.req.raw = new Request(c.req.raw, { body: new Uint8Array(whole) });
    return next();
  };
}

/** Read and drop up to `maxBytes` more of a stream, then cancel what is left (if anything). */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, maxBytes: number): Promise<void> {
  let dropped = 0;
  try {
    while (dropped <= maxBytes) {
      const { done, value } = await reader.read();
      if (done) return;
      dropped += value.byteLength;
    }
    await reader.cancel("request body over the limit");
  } catch {
    // The client went away: nothing left to drain.
  }
}
