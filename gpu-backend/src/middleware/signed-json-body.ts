/**
 * What each internal route runs before its handler: the signature headers (no body read for a
 * request they already condemn), the media type (415 unless JSON: the body is parsed as JSON
 * whatever it claims to be), the body limit, then the signature over the body (verify-signature.ts).
 */
import { jsonContentTypeProblem, problem, problemResponse } from "@lanesegnet/shared";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { noteForLog } from "../observability/request-log.js";
import type { NonceStore } from "../replay/redis-nonce-store.js";
import { checkSignatureHeaders, type SignedBodyEnv, verifySignature } from "./verify-signature.js";

export interface SignedJsonBodyOptions {
  readonly maxBytes: number;
  readonly secret: string;
  readonly nonces?: NonceStore;
}

function requireJsonBody(): MiddlewareHandler {
  return async (c, next) => {
    const why = jsonContentTypeProblem(c.req.header("content-type"));
    if (why === null) return next();
    noteForLog(c, { reason: "unsupported_media_type" });
    return problemResponse(problem(415, { detail: why }));
  };
}

export function signedJsonBody(
  opts: SignedJsonBodyOptions,
): [MiddlewareHandler, MiddlewareHandler, MiddlewareHandler, MiddlewareHandler<SignedBodyEnv>] {
  return [
    checkSignatureHeaders(),
    requireJsonBody(),
    bodyLimit({
      maxSize: opts.maxBytes,
      onError: (c) => {
        noteForLog(c, { reason: "body_too_large" });
        // The rest of the body is not read: the connection cannot carry another request after it.
        return problemResponse(problem(413, { detail: `request body over ${opts.maxBytes} bytes` }), {
          Connection: "close",
        });
      },
    }),
    verifySignature(opts.secret, opts.nonces),
  ];
}
