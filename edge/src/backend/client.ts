/**
 * The signed client of the inference backend:
 *   POST {BACKEND_URL}/internal/v1/analyze   {request, providers, request_id, analysis_id}
 * HMAC-signed with shared/signing, the answer's own signature verified before a result (or a
 * problem whose body is read) is used, one time budget for the whole call (BACKEND_TIMEOUT_MS), one
 * retry when the connection fails (never after an answer or a timeout), and every failure mapped
 * to the edge's own problem (502/503/504; Retry-After where a retry can help). Nothing the backend
 * says in an error reaches the client: only its status class and, for 503, its Retry-After.
 */
import {
  BodyTooLargeError,
  type ImageryProviderName,
  ImageryProviderSchema,
  PROBLEM_TYPES,
  type Problem,
  type ProviderAttempt,
  ProviderAttemptSchema,
  problem,
  type ResolvedAnalysisRequest,
  readCapped,
  signRequest,
  verifyResponse,
} from "@lanesegnet/shared";
import { z } from "zod";
import { DEPENDENCY_RETRY_AFTER_S, EDGE_PROBLEM_TYPES } from "../problems.js";

export const ANALYZE_PATH = "/internal/v1/analyze";
/** The backend's readiness route (200 once its model is loaded and it is not draining). */
export const HEALTH_PATH = "/readyz";

/**
 * Most bytes read from the backend. A result is GeoJSON of at most LIMITS.maxPixels of imagery:
 * a dense 0.5 km² area measures a few MB, so 32 MiB only stops a broken or hostile peer (and keeps
 * well inside a Worker's 128 MB). An error answer is a small problem+json.
 */
export const MAX_RESULT_BYTES = 32 * 2 ** 20;
export const MAX_ERROR_BYTES = 64 * 2 ** 10;

export interface BackendOptions {
  readonly url: string;
  readonly signingSecret: string;
  readonly timeoutMs: number;
}

/** What the edge relies on in a backend answer; everything else is passed through unchecked. */
const BackendAnalysisSchema = z.looseObject({
  type: z.literal("FeatureCollection"),
  features: z.array(z.unknown()),
  analysis: z.looseObject({
    imagery: z.looseObject({ provider: ImageryProviderSchema }),
    providers_tried: z.array(ProviderAttemptSchema),
  }),
});
export type BackendAnalysis = z.infer<typeof BackendAnalysisSchema>;
const AttemptsSchema = z.array(ProviderAttemptSchema);

/** What the edge reads of GET /readyz: the imagery providers the backend can use (newer backends). */
const ReadinessSchema = z.looseObject({ imagery_providers: z.array(ImageryProviderSchema).optional() });

export interface BackendReadiness {
  readonly state: "up" | "down";
  /** Providers the backend can use (enabled and configured there); null when it did not say. */
  readonly imageryProviders: readonly ImageryProviderName[] | null;
}

export type BackendFailureCause =
  | "connect"
  | "timeout"
  | "overloaded"
  | "no_imagery"
  | "area_too_large"
  | "bad_status"
  | "bad_body"
  /** A 200, or a no-imagery / area-too-large problem, without the backend's valid signature for this request. */
  | "bad_signature";

export type BackendReply =
  | { readonly ok: true; readonly body: BackendAnalysis }
  | {
      readonly ok: false;
      readonly problem: Problem;
      readonly retryAfterS: number | undefined;
      /** For the audit log (never sent to the client). */
      readonly cause: BackendFailureCause;
      readonly backendStatus: number | undefined;
      /** What the backend tried before giving up (no-imagery answers), for provider health. */
      readonly attempts?: readonly ProviderAttempt[];
    };

function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || !/^\d{1,5}$/.test(value.trim())) return undefined;
  const s = Number(value);
  return s >= 1 && s <= 3600 ? s : undefined;
}

/** The title of every /problems/no-imagery answer, whether the edge or the backend found it. */
export const NO_IMAGERY_TITLE = "No imagery for this area";

function failure(
  status: number,
  type: string,
  detail: string,
  cause: BackendFailureCause,
  retryAfterS?: number,
  backendStatus?: number,
  title?: string,
): BackendReply {
  return {
    ok: false,
    problem: problem(status, { type, detail, ...(title === undefined ? {} : { title }) }),
    retryAfterS,
    cause,
    backendStatus,
  };
}

export class BackendClient {
  constructor(
    private readonly options: BackendOptions,
    private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  async analyze(
    request: ResolvedAnalysisRequest,
    providers: readonly ImageryProviderName[],
    ids: { readonly requestId: string; readonly analysisId: string },
  ): Promise<BackendReply> {
    const url = this.options.url + ANALYZE_PATH;
    const path = new URL(url).pathname;
    const requestId = ids.requestId;
    const body = JSON.stringify({ request, providers, request_id: requestId, analysis_id: ids.analysisId });
    const signal = AbortSignal.timeout(this.options.timeoutMs);

    let res: Response | undefined;
    let nonce = "";
    for (let attempt = 0; attempt < 2 && !res; attempt++) {
      // A fresh nonce per attempt: the backend may have seen the first one before the connection broke.
      const headers = await signRequest(this.options.signingSecret, { method: "POST", path, body });
      nonce = headers["X-LSN-Nonce"];
      try {
        res = await this.fetchImpl(url, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json", "x-request-id": requestId },
          body,
          signal,
          // Never re-send a signed request to wherever a Location header points: a 3xx is a 502.
          redirect: "manual",
        });
      } catch {
        if (signal.aborted) return this.#timeout();
        // Connection failure: retry once (the loop), then give up below.
      }
    }
    if (!res) {
      return failure(
        503,
        EDGE_PROBLEM_TYPES.backendUnavailable,
        "The analysis service is unreachable; cached results are still served. Try again shortly.",
        "connect",
        DEPENDENCY_RETRY_AFTER_S,
      );
    }

    let text: string;
    try {
      text = await readCapped(res, res.status === 200 ? MAX_RESULT_BYTES : MAX_ERROR_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        return failure(
          502,
          EDGE_PROBLEM_TYPES.badGateway,
          "The analysis service gave an oversized answer.",
          "bad_body",
          undefined,
          res.status,
        );
      }
      return signal.aborted
        ? this.#timeout()
        : failure(
            502,
            EDGE_PROBLEM_TYPES.badGateway,
            "The analysis service gave an incomplete answer.",
            "bad_body",
          );
    }
    // Only what the backend signed for this request is stored, shared or passed on (shared
    // verifyResponse): an answer changed on the way, or recorded for another request, is a bad
    // gateway. That is a 200, and a backend problem whose body the edge acts on (no imagery, area
    // too large); other statuses are told by the status alone (a load balancer's own 502 or 503
    // carries no signature and is no integrity failure).
    const signed = await verifyResponse(this.options.signingSecret, nonce, res.status, res.headers, text);
    if (!signed && (res.status === 200 || actsOnBody(res.status, text))) {
      return failure(
        502,
        EDGE_PROBLEM_TYPES.badGateway,
        "The analysis service gave an answer that failed its integrity check.",
        "bad_signature",
        undefined,
        res.status,
      );
    }
    if (res.status === 200) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const checked = BackendAnalysisSchema.safeParse(parsed);
      if (checked.success) return { ok: true, body: checked.data };
      return failure(
        502,
        EDGE_PROBLEM_TYPES.badGateway,
        "The analysis service gave an invalid answer.",
        "bad_body",
        undefined,
        200,
      );
    }
    return this.#mapStatus(res.status, res.headers, text);
  }

  /**
   * Readiness of the backend (GET /readyz within 2 s), for GET /health of the edge, with the
   * imagery providers it can use (for GET /v1/providers; null when it did not say).
   */
  async health(): Promise<BackendReadiness> {
    const down = { state: "down", imageryProviders: null } as const;
    try {
      const url = this.options.url + HEALTH_PATH;
      const headers = await signRequest(this.options.signingSecret, {
        method: "GET",
        path: new URL(url).pathname,
      });
      const res = await this.fetchImpl(url, {
        headers,
        signal: AbortSignal.timeout(2_000),
        redirect: "manual",
      });
      if (!res.ok) {
        await res.body?.cancel();
        return down;
      }
      const text = await res.text();
      const said = text.length <= 4_096 ? ReadinessSchema.safeParse(parseJson(text)) : null;
      return { state: "up", imageryProviders: said?.success ? (said.data.imagery_providers ?? null) : null };
    } catch {
      return down;
    }
  }

  #timeout(): BackendReply {
    return failure(
      504,
      EDGE_PROBLEM_TYPES.backendTimeout,
      "The analysis took too long and was abandoned; a smaller area or coarser resolution is faster.",
      "timeout",
    );
  }

  #mapStatus(status: number, headers: Headers, text: string): BackendReply {
    if (status === 503 || status === 429) {
      return failure(
        503,
        PROBLEM_TYPES.overloaded,
        "The analysis service is busy; try again after the time in Retry-After.",
        "overloaded",
        parseRetryAfter(headers.get("retry-after")) ?? DEPENDENCY_RETRY_AFTER_S,
        status,
      );
    }
    const body = parseJson(text) as { type?: unknown; providers_tried?: unknown } | undefined;
    if ((status === 422 || status === 502) && body?.type === PROBLEM_TYPES.noImagery) {
      const tried = AttemptsSchema.safeParse(body.providers_tried);
      const attempts = tried.success ? { attempts: tried.data } : {};
      // 422: nothing covers the area (the caller's matter); 502: providers failed (retry later).
      return status === 422
        ? {
            ...failure(
              422,
              PROBLEM_TYPES.noImagery,
              "No imagery provider could supply imagery for this area; see providers_tried and GET /v1/providers.",
              "no_imagery",
              undefined,
              status,
              NO_IMAGERY_TITLE,
            ),
            ...attempts,
          }
        : {
            ...failure(
              502,
              PROBLEM_TYPES.noImagery,
              "No imagery provider could deliver imagery for this area right now; providers_tried says why each failed. Try again later.",
              "no_imagery",
              parseRetryAfter(headers.get("retry-after")) ?? DEPENDENCY_RETRY_AFTER_S,
              status,
              NO_IMAGERY_TITLE,
            ),
            ...attempts,
          };
    }
    if (status === 422 && body?.type === PROBLEM_TYPES.areaTooLarge) {
      // The edge's own words, as for every backend answer (the backend's detail is not passed on).
      return failure(
        422,
        PROBLEM_TYPES.areaTooLarge,
        "The model analyses imagery no coarser than its trained ground resolution, and at that resolution this area is over the pixel limit; request a smaller area.",
        "area_too_large",
        undefined,
        status,
      );
    }
    if (status === 504) {
      return { ...(this.#timeout() as Extract<BackendReply, { ok: false }>), backendStatus: status };
    }
    // Any other answer (4xx: the edge and backend disagree about the contract; 5xx: a backend
    // fault) is a bad gateway from the client's point of view.
    return failure(
      502,
      EDGE_PROBLEM_TYPES.badGateway,
      "The analysis service failed.",
      "bad_status",
      undefined,
      status,
    );
  }
}

/** Whether #mapStatus reads this answer's body: a no-imagery or area-too-large problem. */
function actsOnBody(status: number, text: string): boolean {
  if (status !== 422 && status !== 502) return false;
  const type = (parseJson(text) as { type?: unknown } | undefined)?.type;
  return type === PROBLEM_TYPES.noImagery || type === PROBLEM_TYPES.areaTooLarge;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
