/**
 * GET /v1/analyses/{id}/imagery.png  the imagery the analysis used, on its grid
 * GET /v1/analyses/{id}/overlay.png  the same with the markings, a legend and the attribution
 * Part of the analysis they picture: authenticated, but not counted against the hourly quota.
 * `X-Image-Bounds: west,south,east,north` is the picture's lon/lat extent (a map places it there).
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { SingleFlight } from "../cache/single-flight.js";
import type { EdgeDeps } from "../deps.js";
import type { AppEnv } from "../env.js";
import { instanceOf, problemResponse, storageUnavailable } from "../problems.js";
import { RedisUnavailableError } from "../redis/client.js";
import { RenderClient } from "../render/client.js";
import type { RenderKind } from "../render/from-result.js";
import { type PictureOutcome, PictureService } from "../render/service.js";
import { type PictureHead, PictureStore } from "../render/store.js";
import { waitUntilOf } from "../wait-until.js";
import { ifNoneMatch } from "./analyses.js";
import {
  AnalysisIdParamSchema,
  asRouteResponse,
  COMMON_ERRORS,
  CONDITIONAL_REQUEST_HEADERS,
  problemSpec,
  RETRY_AFTER_HEADER,
  SECURITY,
} from "./common.js";

export const PNG_CONTENT_TYPE = "image/png";

const PICTURE_HEADERS = z.object({
  ETag: z.string().describe("Entity tag of the picture."),
  "X-Cache": z.enum(["HIT", "MISS"]).describe("HIT: served from the cache; MISS: drawn for this request."),
  "X-Image-Bounds": z
    .string()
    .describe("Lon/lat extent of the picture: `west,south,east,north` (WGS84 degrees, Web Mercator pixels)."),
});

/** The picture service of an app (built once per app from its deps). */
export function pictureServiceOf(deps: EdgeDeps): PictureService {
  const store = new PictureStore(deps.redis, deps.keys, deps.config.cache.maxEntryBytes);
  // A waiter waits as long as the leader's render may take, then a little for the picture to land.
  const lockTtlMs = deps.config.backend.timeoutMs + 5_000;
  const flight = new SingleFlight(deps.redis, store.flightKeys(), {
    lockTtlMs,
    waitMs: lockTtlMs + 1_000,
    resultTtlMs: deps.config.cache.ttlS * 1000,
    failureTtlMs: deps.config.failureShareS * 1000,
  });
  return new PictureService({
    analyses: deps.analyses,
    store,
    client: new RenderClient(deps.config.backend),
    flight,
  });
}

function pictureHeaders(picture: PictureHead, cache: "HIT" | "MISS"): Record<string, string> {
  return {
    etag: picture.etag,
    // The id is an HMAC of the request and model: its picture does not change while it lives.
    "cache-control": "private, max-age=3600",
    "x-cache": cache,
    "x-image-bounds": picture.bounds,
  };
}

/**
 * 304 when If-None-Match matches the cached picture, judged from its entry's header line alone.
 * Pictures are not counted against any quota, and a cached one is megabytes: were it loaded only
 * to answer 304, repeated revalidations would cost Redis transfer and decoding while the client
 * downloads nothing. null otherwise (no condition, no match, nothing cached): go the whole way.
 */
async function notModified(
  c: Context<AppEnv>,
  pictures: PictureService,
  kind: RenderKind,
  id: string,
): Promise<Response | null> {
  const condition = c.req.header("if-none-match");
  if (!condition) return null;
  const head = await pictures.cachedHead(kind, id);
  if (!head || !ifNoneMatch(condition, head.etag)) return null;
  c.get("audit").cache = "HIT";
  return new Response(null, { status: 304, headers: pictureHeaders(head, "HIT") });
}

/** A picture outcome as a Response (304 when If-None-Match matches). */
export function pictureResponse(c: Context<AppEnv>, outcome: PictureOutcome): Response {
  if (outcome.kind === "problem") {
    Object.assign(c.get("audit"), { error: outcome.problem.type, cause: outcome.cause });
    const headers: Record<string, string> = {};
    if (outcome.retryAfterS !== undefined) headers["Retry-After"] = String(outcome.retryAfterS);
    return problemResponse({ ...outcome.problem, instance: instanceOf(c) }, headers);
  }
  c.get("audit").cache = outcome.cache;
  const headers = pictureHeaders(outcome, outcome.cache);
  // Only a GET or HEAD is answered 304 (RFC 9110 §13.1.2): a POST (the compatibility route's
  // picture) ran its analysis and is answered in full.
  const safe = c.req.method === "GET" || c.req.method === "HEAD";
  if (safe && ifNoneMatch(c.req.header("if-none-match"), outcome.etag)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(outcome.png as Uint8Array<ArrayBuffer>, {
    status: 200,
    headers: { ...headers, "content-type": PNG_CONTENT_TYPE },
  });
}

export function registerOverlayRoutes(app: OpenAPIHono<AppEnv>, pictures: PictureService): void {
  const routes: [RenderKind, string, string][] = [
    [
      "imagery",
      "The imagery an analysis used",
      "The analysed imagery, fetched again from the same provider onto the area's grid at analysis.imagery.resolution_m (the analysed grid's resolution, or the imagery's own where that is coarser; at most 2048 px on its longer side); X-Image-Bounds gives its extent. Does not count against the hourly quota.",
    ],
    [
      "overlay",
      "The analysed imagery with the markings drawn",
      "The analysed imagery with the markings in their class colours, a legend with per-class counts and lengths, and the imagery attribution. Does not count against the hourly quota.",
    ],
  ];
  for (const [kind, summary, description] of routes) {
    const route = createRoute({
      method: "get",
      path: `/v1/analyses/{id}/${kind}.png`,
      tags: ["analyses"],
      summary,
      description,
      security: SECURITY,
      request: { params: AnalysisIdParamSchema, headers: CONDITIONAL_REQUEST_HEADERS },
      responses: {
        200: {
          description: "The picture (PNG).",
          headers: PICTURE_HEADERS,
          content: { [PNG_CONTENT_TYPE]: { schema: z.string().openapi({ format: "binary" }) } },
        },
        304: {
          description: "Not modified (the ETag matches If-None-Match); no body.",
          headers: z.object({ ETag: z.string().describe("Strong entity tag of the picture.") }),
        },
        400: problemSpec("The id is malformed."),
        404: problemSpec("No stored result has this id (never made, or expired)."),
        422: problemSpec("The imagery of this analysis is no longer available."),
        502: problemSpec("The imagery could not be fetched or drawn."),
        504: problemSpec("Drawing took too long."),
        ...COMMON_ERRORS,
        503: problemSpec("Redis or the imaging service is unavailable or busy.", RETRY_AFTER_HEADER),
      },
    });
    app.openapi(route, async (c) => {
      const { id } = c.req.valid("param");
      c.get("audit").analysis_id = id;
      try {
        const unchanged = await notModified(c, pictures, kind, id);
        if (unchanged) return asRouteResponse(unchanged);
        const outcome = await pictures.picture(kind, id, {
          requestId: c.get("requestId"),
          waitUntil: waitUntilOf(c),
        });
        return asRouteResponse(pictureResponse(c, outcome));
      } catch (error) {
        if (!(error instanceof RedisUnavailableError)) throw error;
        c.get("audit").cause = "storage";
        return asRouteResponse(storageUnavailable(instanceOf(c)));
      }
    });
  }
}
