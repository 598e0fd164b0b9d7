/**
 * GET /problems/{name}: what each problem type means, for a person who followed an error's `type`.
 * RFC 9457 §3.1.1: a type URI that is a locator should lead to human-readable documentation; the
 * types are relative references ("/problems/rate-limited"), so they resolve here, on the API's own
 * origin. Plain HTML without scripts or styles (a strict CSP), public like /docs, not in the
 * OpenAPI document (which documents the API, not its documentation).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { LIMITS } from "@lanesegnet/shared";
import type { AppEnv } from "../env.js";
import { EDGE_PROBLEM_TYPES, instanceOf, problemJson } from "../problems.js";

type ProblemTypeName = keyof typeof EDGE_PROBLEM_TYPES;

interface ProblemTypeDoc {
  readonly title: string;
  /** The HTTP statuses it comes with. */
  readonly statuses: readonly number[];
  readonly means: string;
  readonly todo: string;
}

/** One entry per problem type the API answers with (the Record type keeps the two lists equal). */
export const PROBLEM_TYPE_DOCS: Record<ProblemTypeName, ProblemTypeDoc> = {
  invalidRequest: {
    title: "Invalid request",
    statuses: [400],
    means:
      "The body, query or path does not match the API. `errors` lists each field at fault as a JSON Pointer (`path`) with what is wrong (`message`), outer members first, at most 20 (`errors_omitted` counts the rest). A body that is not JSON or not UTF-8 is said so in `detail`.",
    todo: "Correct the request; sent again unchanged it gets the same answer. On POST /v1/analyses it still counted against the hourly quota.",
  },
  rateLimited: {
    title: "Too many analyses",
    statuses: [429],
    means:
      "Your hourly quota of analyses (POST /v1/analyses and the compatibility route; a sliding window of one hour per user) is spent.",
    todo: "Wait the seconds in `Retry-After` (the `RateLimit` header says the same as `t`). Fetching a stored result by id (GET /v1/analyses/{id}) is not counted.",
  },
  overloaded: {
    title: "Service busy",
    statuses: [503],
    means:
      "The analysis service is running as many analyses as it can and its queue is full: it sheds load rather than let every answer slow down.",
    todo: "Retry after the seconds in `Retry-After`.",
  },
  noImagery: {
    title: "No imagery for this area",
    statuses: [422, 502],
    means:
      "422: none of the requested imagery providers is enabled or covers the area. 502: the providers that cover it failed just now. `providers_tried` says, per provider, what happened.",
    todo: "422: choose another area or other providers (GET /v1/providers lists them; GET /v1/coverage shows local imagery). 502: retry after `Retry-After`.",
  },
  areaTooLarge: {
    title: "Area too large",
    statuses: [422],
    means:
      "The model analyses imagery no coarser than its trained ground resolution; at that resolution this area has more pixels than one analysis may.",
    todo: "Request a smaller area, or split it into several.",
  },
  unauthorized: {
    title: "Unauthorized",
    statuses: [401],
    means:
      'The credential is missing, unknown, revoked or invalid. `WWW-Authenticate` says which (`error="invalid_token"` when one was sent).',
    todo: "Send `Authorization: Bearer <API key or token>` with a valid credential.",
  },
  backendUnavailable: {
    title: "Analysis service unavailable",
    statuses: [503],
    means:
      "The analysis service cannot be reached. Results already made are still served, from the cache and by id.",
    todo: "Retry after `Retry-After`.",
  },
  backendTimeout: {
    title: "Analysis took too long",
    statuses: [504],
    means: "The analysis did not finish in the time allowed and was abandoned.",
    todo: "A smaller area or a coarser resolution is faster.",
  },
  badGateway: {
    title: "Bad gateway",
    statuses: [502],
    means:
      "The analysis service gave an answer that was incomplete, invalid or failed its integrity check. Nothing of it was stored or passed on.",
    todo: "Retry later; if it persists, tell the operators the `X-Request-Id` of the answer.",
  },
  storageUnavailable: {
    title: "Service temporarily unavailable",
    statuses: [503],
    means:
      "A store the answer needs cannot be read: the result store (results, API keys and quotas are there), or, for GET /v1/coverage, the local imagery index (not configured, being loaded, or failed to load).",
    todo: "Retry after `Retry-After`. Without `Retry-After` (no coverage index configured) retrying will not help.",
  },
  authUnavailable: {
    title: "Service temporarily unavailable",
    statuses: [503],
    means: "The keys that sign tokens could not be fetched, so a token cannot be checked right now.",
    todo: "Retry after `Retry-After`; API keys are not affected.",
  },
  analysisPending: {
    title: "Analysis still running",
    statuses: [503],
    means:
      "An identical request is being analysed already (identical requests at once make one analysis), and it had not finished when this request stopped waiting for it.",
    todo: "Retry after `Retry-After`: the result is then usually there.",
  },
  notFound: {
    title: "Not found",
    statuses: [404],
    means:
      "No such resource: an unknown path, or an analysis id that was never made or whose result has expired.",
    todo: "Check the path; run the analysis again (POST /v1/analyses) for an expired result.",
  },
  methodNotAllowed: {
    title: "Method not allowed",
    statuses: [405],
    means: "The path exists but does not serve this method.",
    todo: "Use a method that `Allow` lists.",
  },
  unsupportedMediaType: {
    title: "Unsupported media type",
    statuses: [415],
    means: "The body is not sent as JSON, is declared in a charset other than UTF-8, or is compressed.",
    todo: "Send it as UTF-8, uncompressed, with `Content-Type: application/json`.",
  },
  bodyTooLarge: {
    title: "Body too large",
    statuses: [413],
    means: `The request body is larger than ${LIMITS.maxRequestBytes} bytes.`,
    todo: "Send a smaller body: a polygon of at most a few hundred vertices fits well within it.",
  },
  misconfigured: {
    title: "Server misconfigured",
    statuses: [500],
    means: "The service is missing or has a wrong setting; its operators have been told.",
    todo: "Nothing on your side: retry later.",
  },
};

const CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`).replace(/`([^`]+)`/g, "<code>$1</code>");

function page(type: string, doc: ProblemTypeDoc): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${escapeHtml(doc.title)} — LaneSegNet API</title>
  </head>
  <body>
    <h1>${escapeHtml(doc.title)}</h1>
    <p>Problem type <code>${escapeHtml(type)}</code>, with HTTP status ${doc.statuses.join(" or ")}, in an
      <code>application/problem+json</code> answer (RFC 9457).</p>
    <h2>What it means</h2>
    <p>${escapeHtml(doc.means)}</p>
    <h2>What to do</h2>
    <p>${escapeHtml(doc.todo)}</p>
    <p><a href="/docs">API documentation</a></p>
  </body>
</html>
`;
}

export function registerProblemTypeRoutes(app: OpenAPIHono<AppEnv>): void {
  const pages = new Map(
    (Object.keys(PROBLEM_TYPE_DOCS) as ProblemTypeName[]).map((name) => {
      const type = EDGE_PROBLEM_TYPES[name];
      return [type.slice("/problems/".length), page(type, PROBLEM_TYPE_DOCS[name])] as const;
    }),
  );
  app.get("/problems/:name", (c) => {
    const html = pages.get(c.req.param("name"));
    if (!html) {
      return problemJson(404, {
        type: EDGE_PROBLEM_TYPES.notFound,
        detail: "No such problem type.",
        instance: instanceOf(c),
      });
    }
    return c.html(html, 200, { "content-security-policy": CSP, "cache-control": "public, max-age=3600" });
  });
}
