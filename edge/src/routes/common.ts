/** OpenAPI pieces shared by the routes: problem responses and documented headers. */
import { z } from "@hono/zod-openapi";
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from "@lanesegnet/shared";
import { ANALYSIS_ID_PATTERN } from "../redis/keys.js";

export const problemContent = { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } as const;

export function problemSpec(description: string, headers?: z.ZodObject) {
  return { description, content: problemContent, ...(headers ? { headers } : {}) };
}

export const RATE_LIMIT_HEADERS = z.object({
  "RateLimit-Policy": z
    .string()
    .describe('The quota: `"hourly";q=<requests>;w=3600` (draft-ietf-httpapi-ratelimit-headers).'),
  RateLimit: z
    .string()
    .describe(
      'What is left: `"hourly";r=<remaining>;t=<seconds>`, t being the seconds until the current window resets, or on a 429 until a request is admitted again (as Retry-After).',
    ),
});

export const RETRY_AFTER_HEADER = z.object({
  "Retry-After": z.int().min(1).describe("Seconds to wait before retrying."),
});

/**
 * What an answer after the rate limit carries (every one but the 401s and 413s, which come before
 * it, and a 503 for Redis, which carries only the policy): the quota, always, and Retry-After
 * where one is given.
 */
export const COUNTED_ERROR_HEADERS = RATE_LIMIT_HEADERS;
export const COUNTED_RETRYABLE_HEADERS = RATE_LIMIT_HEADERS.extend(RETRY_AFTER_HEADER.partial().shape);

/** The 503 of the routes that analyse (both behind the rate limit). */
export const UNAVAILABLE_ANALYSIS = problemSpec(
  "Redis or the analysis service is unavailable or busy (RateLimit-Policy without RateLimit when Redis could not count).",
  RATE_LIMIT_HEADERS.partial().extend(RETRY_AFTER_HEADER.shape),
);

/** The 415 of the routes that take a JSON body (middleware/require-json). */
export const UNSUPPORTED_BODY = problemSpec(
  "The body is not sent as JSON (Content-Type), declares a charset other than UTF-8, or is compressed (a Content-Encoding other than identity).",
  COUNTED_ERROR_HEADERS.extend({
    "Accept-Encoding": z
      .literal("identity")
      .optional()
      .describe("On a compressed body: the only content coding accepted (RFC 9110 §12.5.3)."),
  }),
);

export const COMMON_ERRORS = {
  401: problemSpec(
    "Missing, unknown, revoked or invalid credential (WWW-Authenticate says which).",
    z.object({
      "WWW-Authenticate": z
        .string()
        .describe(
          'The challenge (RFC 6750): `Bearer realm="lanesegnet"`, with `error="invalid_token"` when one was sent.',
        ),
    }),
  ),
  500: problemSpec("An unexpected error (no details are exposed)."),
  503: problemSpec("Redis or the token issuer is unreachable.", RETRY_AFTER_HEADER),
} as const;

export const SECURITY = [{ bearerAuth: [] }];

/** The conditional request header the stored results and pictures honour (lower case: Hono reads headers so). */
export const CONDITIONAL_REQUEST_HEADERS = z.object({
  "if-none-match": z
    .string()
    .optional()
    .describe("ETags (or *) of a copy the client holds: a match is answered 304 without a body."),
});

/**
 * The routes answer finished bodies (cached JSON strings, problem+json) as plain Responses. When
 * every declared response has content, @hono/zod-openapi only accepts its typed responses, which
 * cannot carry a pre-serialised body; the declared responses still document these. This is the
 * one place that bridges the two.
 */
export function asRouteResponse<T>(res: Response): T {
  return res as unknown as T;
}

/** The `{id}` of the routes under /v1/analyses/{id}. */
export const AnalysisIdParamSchema = z.object({
  id: z
    .string()
    .regex(ANALYSIS_ID_PATTERN, {
      error: "an analysis id is 64 lowercase hex characters, as the end of Content-Location gives it",
    })
    .openapi({ param: { name: "id", in: "path" }, description: "Analysis id (64 hex characters)." }),
});
