/**
 * The edge's problem+json responses (RFC 9457, built with shared/schemas/problem). Problem types
 * beyond shared's PROBLEM_TYPES are edge-specific; every detail here is written for the client and
 * never carries a backend message, a stack trace or a secret.
 */

import { PROBLEM_TYPES, type Problem, type ProblemInit, problem, problemResponse } from "@lanesegnet/shared";
import type { Context } from "hono";

export const EDGE_PROBLEM_TYPES = {
  ...PROBLEM_TYPES,
  unauthorized: "/problems/unauthorized",
  backendUnavailable: "/problems/backend-unavailable",
  backendTimeout: "/problems/backend-timeout",
  badGateway: "/problems/bad-gateway",
  storageUnavailable: "/problems/storage-unavailable",
  authUnavailable: "/problems/auth-unavailable",
  analysisPending: "/problems/analysis-pending",
  notFound: "/problems/not-found",
  methodNotAllowed: "/problems/method-not-allowed",
  unsupportedMediaType: "/problems/unsupported-media-type",
  bodyTooLarge: "/problems/body-too-large",
  misconfigured: "/problems/misconfigured",
} as const;

/** Seconds a client should wait before retrying when Redis or the backend is down. */
export const DEPENDENCY_RETRY_AFTER_S = 30;

export function problemJson(status: number, init: ProblemInit, headers?: HeadersInit): Response {
  return problemResponse(problem(status, init), headers);
}

export { type Problem, problem, problemResponse };

export function storageUnavailable(instance?: string): Response {
  return problemJson(
    503,
    {
      type: EDGE_PROBLEM_TYPES.storageUnavailable,
      title: "Service temporarily unavailable",
      detail: "The result store is unreachable; try again shortly.",
      ...(instance === undefined ? {} : { instance }),
    },
    { "Retry-After": String(DEPENDENCY_RETRY_AFTER_S) },
  );
}

/** Seconds until `resetMs` (epoch ms), at least 1: a Retry-After value. */
export function retryAfterSeconds(resetMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((resetMs - nowMs) / 1000));
}

/**
 * A problem's `instance`: the request's path as sent, percent-encoded (a URI reference, RFC 9457
 * §3.1.5). Hono's `c.req.path` is decoded with decodeURI, which decodes some escapes (%41) and
 * keeps others (%2F), so the same resource was named two ways.
 */
export function instanceOf(c: Context): string {
  return new URL(c.req.url).pathname;
}
