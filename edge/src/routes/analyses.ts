/**
 * POST /v1/analyses (counts against the hourly quota) and GET /v1/analyses/{id} (does not).
 * The result body comes from the service as a finished JSON string and is sent as is.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { AnalysisRequestSchema, AnalysisResponseSchema, analysisRequestSchema } from "@lanesegnet/shared";
import type { MiddlewareHandler } from "hono";
import { endTime, startTime } from "hono/timing";
import type { AnalysisOutcome } from "../analyses/service.js";
import { analysisInput, requireValidAnalysis } from "../analyses/target.js";
import { WorkedOutBodies } from "../analyses/worked-out-bodies.js";
import type { EdgeDeps } from "../deps.js";
import type { AppEnv } from "../env.js";
import { requireJson } from "../middleware/require-json/index.js";
import {
  EDGE_PROBLEM_TYPES,
  instanceOf,
  problemJson,
  problemResponse,
  storageUnavailable,
} from "../problems.js";
import { RedisUnavailableError } from "../redis/client.js";
import { waitUntilOf } from "../wait-until.js";
import {
  AnalysisIdParamSchema,
  COMMON_ERRORS,
  CONDITIONAL_REQUEST_HEADERS,
  COUNTED_ERROR_HEADERS,
  COUNTED_RETRYABLE_HEADERS,
  problemSpec,
  RATE_LIMIT_HEADERS,
  RETRY_AFTER_HEADER,
  SECURITY,
  UNAVAILABLE_ANALYSIS,
  UNSUPPORTED_BODY,
} from "./common.js";

export const GEOJSON_CONTENT_TYPE = "application/geo+json";

const RESULT_HEADERS = z.object({
  "X-Cache": z
    .enum(["HIT", "MISS"])
    .describe("HIT: served from the cache without a backend call by this request; MISS: computed for it."),
  ETag: z.string().describe("Weak entity tag of the result."),
  "Content-Location": z
    .string()
    .optional()
    .describe("Where GET returns this result again; absent when the result could not be stored."),
});

function resultResponse(outcome: Extract<AnalysisOutcome, { kind: "result" }>, id: string) {
  const headers: Record<string, string> = {
    "content-type": GEOJSON_CONTENT_TYPE,
    "x-cache": outcome.cache,
    etag: outcome.etag,
    "cache-control": "private, no-cache",
  };
  // Only where GET /v1/analyses/{id} will find it: a result served but not stored (too large,
  // made by another model, Redis down) has no address.
  if (outcome.stored !== false) headers["content-location"] = `/v1/analyses/${id}`;
  return new Response(outcome.body, { status: 200, headers });
}

export function registerAnalysisRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: EdgeDeps,
  rateLimitMiddleware: MiddlewareHandler<AppEnv>,
): void {
  const requestDefaults = {
    providers: deps.config.providerChain,
    minConfidence: deps.config.defaultMinConfidence,
    coarsestAnalysedM: deps.config.modelMaxGsdM,
    finestAnalysedM: deps.config.modelMinGsdM,
  };

  const post = createRoute({
    method: "post",
    path: "/v1/analyses",
    tags: ["analyses"],
    summary: "Find lane markings in an area",
    description:
      "Counts against the hourly quota of the user (also when the answer is an error after authentication). Identical requests share one result: a repeat is served from the cache (`X-Cache: HIT`).",
    security: SECURITY,
    request: {
      body: { required: true, content: { "application/json": { schema: AnalysisRequestSchema } } },
    },
    responses: {
      200: {
        description: "Lane markings found in the area.",
        headers: RESULT_HEADERS.extend(RATE_LIMIT_HEADERS.shape),
        content: { [GEOJSON_CONTENT_TYPE]: { schema: AnalysisResponseSchema } },
      },
      400: problemSpec(
        "The body is not valid JSON or breaks the schema or the area limits (applied at the resolution that will be analysed: the requested one kept inside the model's range, MODEL_MIN_GSD_M–MODEL_MAX_GSD_M); `errors` lists the fields at fault (the first 20; `errors_omitted` counts the rest).",
        COUNTED_ERROR_HEADERS,
      ),
      413: problemSpec("The body is too large."),
      415: UNSUPPORTED_BODY,
      422: problemSpec(
        "No enabled imagery provider covers the area (`/problems/no-imagery`), or the backend's model analyses no coarser than a finer resolution than the edge's MODEL_MAX_GSD_M says, and there the area is over the pixel or side limit (`/problems/area-too-large`; only with a stale MODEL_MAX_GSD_M).",
        COUNTED_ERROR_HEADERS,
      ),
      429: problemSpec("The hourly quota is spent.", RATE_LIMIT_HEADERS.extend(RETRY_AFTER_HEADER.shape)),
      502: problemSpec(
        "The analysis service failed, or every imagery provider tried failed (`/problems/no-imagery`, with Retry-After).",
        COUNTED_RETRYABLE_HEADERS,
      ),
      504: problemSpec("The analysis took too long.", COUNTED_ERROR_HEADERS),
      ...COMMON_ERRORS,
      503: UNAVAILABLE_ANALYSIS,
    },
  });

  // The route is described from `post` (OpenAPI document) but validated by analyses/target.ts, once:
  // the body is read and validated before the rate limit, so the limiter's script and the result
  // GET share one Redis round trip, and answered (400) only after the rate limit and the JSON check,
  // as documented. zod-openapi's own validator would validate the same body a second time.
  const inputDeps = {
    results: deps.analyses,
    model: deps.config.model,
    idKey: deps.resultIdKey,
    defaults: requestDefaults,
    schema: analysisRequestSchema(requestDefaults),
    workedOut: new WorkedOutBodies(),
  };
  app.openAPIRegistry.registerPath(post);
  app.post(
    post.path,
    analysisInput(inputDeps),
    rateLimitMiddleware,
    requireJson(),
    requireValidAnalysis(inputDeps),
    async (c) => {
      const input = c.get("analysisInput");
      if (input?.kind !== "valid") throw new Error("unreachable: requireValidAnalysis answered it");
      const target = input.target;
      const { request, id } = target;
      Object.assign(c.get("audit"), { area_hash: target.areaHash, analysis_id: id });

      startTime(c, "analysis");
      const outcome = await deps.analyses.analyze(request, {
        id,
        requestId: c.get("requestId"),
        waitUntil: waitUntilOf(c),
        ...(target.stored ? { stored: target.stored } : {}),
      });
      endTime(c, "analysis");
      if (outcome.kind === "problem") {
        Object.assign(c.get("audit"), { error: outcome.problem.type, cause: outcome.cause });
        const headers: Record<string, string> = {};
        if (outcome.retryAfterS !== undefined) headers["Retry-After"] = String(outcome.retryAfterS);
        return problemResponse({ ...outcome.problem, instance: instanceOf(c) }, headers);
      }
      Object.assign(c.get("audit"), {
        cache: outcome.cache,
        provider: outcome.provider,
        ...(outcome.stored === undefined ? {} : { stored: outcome.stored }),
      });
      return resultResponse(outcome, id);
    },
  );

  const get = createRoute({
    method: "get",
    path: "/v1/analyses/{id}",
    tags: ["analyses"],
    summary: "A stored result again",
    description: "Does not count against the hourly quota. Supports If-None-Match (304).",
    security: SECURITY,
    request: { params: AnalysisIdParamSchema, headers: CONDITIONAL_REQUEST_HEADERS },
    responses: {
      200: {
        description: "The stored result (`analysis.cache` is HIT).",
        headers: RESULT_HEADERS,
        content: { [GEOJSON_CONTENT_TYPE]: { schema: AnalysisResponseSchema } },
      },
      304: {
        description: "Not modified (the ETag matches If-None-Match); no body.",
        headers: z.object({
          ETag: z.string().describe("Weak entity tag of the result."),
          "Content-Location": z.string().describe("Where GET returns this result."),
        }),
      },
      400: problemSpec("The id is malformed."),
      404: problemSpec("No stored result has this id (never made, or expired)."),
      ...COMMON_ERRORS,
    },
  });

  app.openapi(get, async (c): Promise<Response> => {
    const { id } = c.req.valid("param");
    c.get("audit").analysis_id = id;
    const condition = c.req.header("if-none-match");
    let stored: Awaited<ReturnType<typeof deps.analyses.stored>>;
    try {
      // A client that holds the result is answered from the entry's header line alone: free GETs
      // must not each read and decompress a result of megabytes to say "not modified".
      const head = condition ? await deps.analyses.storedHead(id) : null;
      if (head && ifNoneMatch(condition, head.etag)) {
        Object.assign(c.get("audit"), { cache: "HIT", provider: head.provider });
        return notModified(head.etag, id);
      }
      stored = await deps.analyses.stored(id);
    } catch (error) {
      if (!(error instanceof RedisUnavailableError)) throw error;
      c.get("audit").cause = "storage";
      return storageUnavailable(instanceOf(c));
    }
    if (!stored) {
      return problemJson(404, {
        type: EDGE_PROBLEM_TYPES.notFound,
        detail: "No stored result has this id; results expire after the cache TTL.",
        instance: instanceOf(c),
      });
    }
    Object.assign(c.get("audit"), { cache: "HIT", provider: stored.provider });
    if (ifNoneMatch(condition, stored.etag)) return notModified(stored.etag, id);
    return resultResponse({ kind: "result", cache: "HIT", ...stored }, id);
  });
}

/** RFC 9110 §15.4.5: a 304 carries the Content-Location, ETag and Cache-Control a 200 would. */
function notModified(etag: string, id: string): Response {
  return new Response(null, {
    status: 304,
    headers: { etag, "cache-control": "private, no-cache", "content-location": `/v1/analyses/${id}` },
  });
}

/** RFC 9110 weak comparison of If-None-Match against an ETag. */
export function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  const opaque = (t: string) => t.trim().replace(/^W\//, "");
  const mine = opaque(etag);
  return header.split(",").some((t) => opaque(t) === mine);
}
