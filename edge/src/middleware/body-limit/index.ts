/**
 * Bodies larger than LIMITS.maxRequestBytes get 413 problem+json, before and while they are read
 * (hono's bodyLimit checks Content-Length and counts streamed bytes).
 */
import { LIMITS } from "@lanesegnet/shared";
import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { EDGE_PROBLEM_TYPES, problemJson } from "../../problems.js";

export function bodyLimit(maxBytes: number = LIMITS.maxRequestBytes): MiddlewareHandler {
  return honoBodyLimit({
    maxSize: maxBytes,
    onError: () =>
      problemJson(413, {
        type: EDGE_PROBLEM_TYPES.bodyTooLarge,
        detail: `The request body is larger than ${maxBytes} bytes.`,
      }),
  });
}
