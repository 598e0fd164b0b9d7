/**
 * What each internal route runs before its handler, and how the handler reads the body:
 * the signature headers (no body read for a request they already condemn), the body limit, the
 * signature over the body (verify-signature.ts), then the media type (415 unless JSON: the body is
 * parsed as JSON whatever it claims to be; checked after the signature, so a caller without the
 * secret learns nothing but 401), then `parseSignedJson` in the handler: JSON, then its schema.
 */
import { fieldErrorsFromZod, jsonContentTypeProblem, problem, problemResponse } from "@lanesegnet/shared";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
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
): [MiddlewareHandler, MiddlewareHandler, MiddlewareHandler<SignedBodyEnv>, MiddlewareHandler] {
  return [
    checkSignatureHeaders(),
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
    requireJsonBody(),
  ];
}

/** The signed body as JSON checked against `schema`, or the 400 to answer (noted for the log). */
export function parseSignedJson<S extends z.ZodType>(
  c: Context<SignedBodyEnv>,
  schema: S,
): { ok: true; data: z.output<S> } | { ok: false; response: Response } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(c.get("rawBody")));
  } catch {
    noteForLog(c, { reason: "invalid_json" });
    return {
      ok: false,
      response: problemResponse(problem(400, { title: "Invalid request", detail: "body is not valid JSON" })),
    };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, data: parsed.data };
  const errors = fieldErrorsFromZod(parsed.error);
  noteForLog(c, { reason: "invalid_request", errors: errors.slice(0, 5) });
  return { ok: false, response: problemResponse(problem(400, { title: "Invalid request", errors })) };
}
