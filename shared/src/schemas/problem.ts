/**
 * Errors as RFC 9457 problem details (application/problem+json). Every 4xx/5xx of the API is one
 * of these: a stable `type`, a human `title`/`detail`, and for validation errors the list of
 * fields at fault as JSON Pointers. Never model internals or stack traces.
 */
import { z } from "zod";
import { toJsonPointer } from "../json-pointer.js";
import { type ProviderAttempt, ProviderAttemptSchema } from "./response.js";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/**
 * Problem types of this API, as URI references relative to the API origin (RFC 9457 §3.1.1
 * allows relative references); the edge can serve a human page at each.
 */
export const PROBLEM_TYPES = {
  invalidRequest: "/problems/invalid-request",
  rateLimited: "/problems/rate-limited",
  overloaded: "/problems/overloaded",
  noImagery: "/problems/no-imagery",
  /** The request asked for a resolution coarser than the model analyses, and at the coarsest it does the area is over the pixel limit. */
  areaTooLarge: "/problems/area-too-large",
} as const;

export const FieldErrorSchema = z
  .object({
    path: z
      .string()
      .describe('JSON Pointer (RFC 6901) of the field at fault, e.g. "/area/bbox/0"; "" is the whole body.'),
    message: z.string(),
  })
  .meta({ id: "FieldError" });

export const ProblemSchema = z
  .object({
    type: z
      .string()
      .describe('A URI identifying the problem type; "about:blank" when the status says it all.'),
    title: z.string(),
    status: z.int().min(100).max(599),
    detail: z.string().optional(),
    instance: z.string().optional().describe("The request path or id this problem is about."),
    errors: z
      .array(FieldErrorSchema)
      .optional()
      .describe("The fields at fault, at most 20 (the first ones found; errors_omitted counts the rest)."),
    errors_omitted: z.int().positive().optional().describe("Field errors found but not listed in errors."),
    providers_tried: z
      .array(ProviderAttemptSchema)
      .optional()
      .describe(
        "On /problems/no-imagery: each imagery provider considered, and why it did not serve the area.",
      ),
  })
  .meta({ id: "Problem", description: "An RFC 9457 problem details object." });

export type FieldError = z.infer<typeof FieldErrorSchema>;
export type Problem = z.infer<typeof ProblemSchema>;

const STATUS_TITLES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

export interface ProblemInit {
  type?: string;
  title?: string;
  detail?: string;
  instance?: string;
  errors?: readonly FieldError[];
  providers_tried?: readonly ProviderAttempt[];
}

/** Build a problem object; title defaults to the status's reason phrase, type to about:blank. */
export function problem(status: number, init: ProblemInit = {}): Problem {
  const out: Problem = {
    type: init.type ?? "about:blank",
    title: init.title ?? STATUS_TITLES[status] ?? "Error",
    status,
  };
  if (init.detail !== undefined) out.detail = init.detail;
  if (init.instance !== undefined) out.instance = init.instance;
  if (init.providers_tried !== undefined) out.providers_tried = [...init.providers_tried];
  if (init.errors !== undefined && init.errors.length > 0) {
    // Capped: a 64 KiB body can hold tens of thousands of bad items, and one entry each made a 400
    // a hundred times the size of the request.
    out.errors = init.errors.slice(0, MAX_FIELD_ERRORS);
    const omitted = init.errors.length - out.errors.length;
    if (omitted > 0) out.errors_omitted = omitted;
  }
  return out;
}

/** At most this many field errors are listed in a problem; errors_omitted counts the rest. */
export const MAX_FIELD_ERRORS = 20;

/** Field errors from a zod error, with paths as JSON Pointers. */
export function fieldErrorsFromZod(error: z.ZodError): FieldError[] {
  // Outer members first (a stable sort by depth): what is wrong with a member as a whole (a ring
  // without its brackets) explains the errors of its parts.
  const issues = [...error.issues].sort((a, b) => a.path.length - b.path.length);
  // An unknown member is reported at its own path ("/foo"), not at the object holding it (""),
  // unless its name is too long to echo (unknownField).
  const errors = issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((k) => unknownField(issue.path, k))
      : [{ path: toJsonPointer(issue.path), message: plainMessage(issue) }],
  );
  // One entry per fault: zod can raise the same issue twice (the ring-count refinement of a
  // Polygon with holes did).
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path}\n${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * zod's own words for a member that is absent ("Invalid input: expected string, received
 * undefined") read as if something had been sent: say it is required. Only zod's default message
 * is replaced; a schema's own message for the case stays.
 */
export function plainMessage(issue: z.core.$ZodIssue): string {
  if (
    issue.code === "invalid_type" &&
    /^Invalid input: expected \w+, received undefined$/.test(issue.message)
  ) {
    return `required: ${/^[aeiou]/.test(issue.expected) ? "an" : "a"} ${issue.expected}`;
  }
  return issue.message;
}

/** Longest unknown member name echoed in full; a longer one is named by its start and length. */
const MAX_ECHOED_NAME = 64;

function unknownField(at: readonly PropertyKey[], name: string): FieldError {
  if (name.length <= MAX_ECHOED_NAME)
    return { path: toJsonPointer([...at, name]), message: `unknown field "${name}"` };
  // Not echoed whole: an error should not repeat a body's worth of a name back.
  return {
    path: toJsonPointer(at),
    message: `unknown field "${name.slice(0, 40)}…" (a name of ${name.length} characters)`,
  };
}

/**
 * A 400 validation problem from a failed zod parse of a part of the request (its body unless
 * `part` says otherwise: "query string", "path", "headers").
 */
export function validationProblem(
  error: z.ZodError,
  init: Omit<ProblemInit, "errors"> = {},
  part = "body",
): Problem {
  return problem(400, {
    type: PROBLEM_TYPES.invalidRequest,
    title: "Invalid request",
    detail: `The request ${part} does not match the API: see errors for each field at fault.`,
    ...init,
    errors: fieldErrorsFromZod(error),
  });
}

/**
 * A problem as a Fetch API Response (workerd and Node 18+), never stored by a cache unless `headers` say otherwise (RFC 9111 lets
 * caches keep a 404 or 405 heuristically): the same request may succeed a moment later (a result
 * being made, a quota window rolling over, Redis back).
 */
export function problemResponse(p: Problem, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("content-type", PROBLEM_CONTENT_TYPE);
  if (!h.has("cache-control")) h.set("cache-control", "no-store");
  return new Response(JSON.stringify(p), { status: p.status, headers: h });
}
