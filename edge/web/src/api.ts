/**
 * The page's calls to the API, same origin, with the user's API key or token as a bearer
 * credential. Every failure becomes an ApiError carrying the plain-words message (problems.ts).
 * Each call has one time budget for the answer and its body (REQUEST_TIMEOUT_MS) and can be
 * cancelled with an AbortSignal; both end as an ApiError that says which (`aborted`).
 */
import type { AnalysisResponse, LaneFeature } from "../../../shared/src/schemas/response.js";
import type { Bbox } from "./bbox.js";
import { abortedFailure, describeFailure, type FailureMessage, type ProblemBody } from "./problems.js";
import {
  parseRateLimit,
  parseRateLimitPolicy,
  type RateLimitPolicy,
  type RateLimitState,
} from "./ratelimit.js";

/** The API's own types (type-only: nothing of shared's zod schemas reaches the bundle). */
export type AnalysisFeature = LaneFeature;
export type AnalysisResult = AnalysisResponse;

export interface AnalysisReply {
  readonly result: AnalysisResult;
  /** The response text as received (the GeoJSON download). */
  readonly text: string;
  readonly cache: string | null;
  readonly rateLimit: RateLimitState | null;
  readonly policy: RateLimitPolicy | null;
  /** Whether the call counted against the hourly quota (an analysis; not a result fetched by id). */
  readonly counted: boolean;
}

/**
 * How long the page waits for one call: longer than the edge's own time budget for the backend
 * (BACKEND_TIMEOUT_MS, 30 s by default), which answers 504 in plain words first.
 */
export const REQUEST_TIMEOUT_MS = 60_000;

export interface RequestOptions {
  /** Cancels the call (the Cancel button). */
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly failure: FailureMessage,
    /** Set when the page stopped the call: the user cancelled it, or it ran out of time. */
    readonly aborted: "cancelled" | "timeout" | null = null,
  ) {
    super(failure.title);
  }
}

async function failure(res: Response): Promise<ApiError> {
  let body: ProblemBody | null = null;
  try {
    body = (await res.json()) as ProblemBody;
  } catch {
    body = null;
  }
  return new ApiError(res.status, describeFailure(res.status, body, res.headers));
}

/** fetch, then `read` the answer, within one time budget; a cancel or the timeout aborts both. */
async function send<T>(
  url: string,
  init: RequestInit,
  options: RequestOptions,
  read: (res: Response) => Promise<T>,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const cancel = () => controller.abort();
  options.signal?.addEventListener("abort", cancel);
  if (options.signal?.aborted) cancel();
  try {
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal: controller.signal });
    } catch (error) {
      if (controller.signal.aborted) throw error;
      throw new ApiError(0, describeFailure(0, null, new Headers()));
    }
    return await read(res);
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    const reason = timedOut ? "timeout" : "cancelled";
    throw new ApiError(0, abortedFailure(reason, timeoutMs), reason);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", cancel);
  }
}

function authHeaders(credential: string): Record<string, string> {
  return { Authorization: `Bearer ${credential}` };
}

export function analyse(
  credential: string,
  bbox: Bbox,
  resolutionM: number,
  options: RequestOptions = {},
): Promise<AnalysisReply> {
  const init: RequestInit = {
    method: "POST",
    headers: { ...authHeaders(credential), "Content-Type": "application/json" },
    body: JSON.stringify({ area: { type: "bbox", bbox }, resolution_m: resolutionM }),
  };
  return send("/v1/analyses", init, options, (res) => readAnalysis(res, true));
}

/** The model's analysed resolutions from GET /health (no credential); null when it cannot say. */
export async function analysedRange(
  options: RequestOptions = {},
): Promise<{ min: number; max: number } | null> {
  try {
    return await send("/health", {}, options, async (res) => {
      if (!res.ok) return null;
      const body = (await res.json()) as {
        model?: { analysed_resolution_m?: { min?: unknown; max?: unknown } };
      };
      const range = body.model?.analysed_resolution_m;
      return typeof range?.min === "number" && typeof range.max === "number"
        ? { min: range.min, max: range.max }
        : null;
    });
  } catch {
    return null;
  }
}

/** GET /v1/analyses/{id}: a result again, by its id (not counted against the quota). */
export function storedAnalysis(
  credential: string,
  id: string,
  options: RequestOptions = {},
): Promise<AnalysisReply> {
  const url = `/v1/analyses/${encodeURIComponent(id)}`;
  return send(url, { headers: authHeaders(credential) }, options, (res) => readAnalysis(res, false));
}

async function readAnalysis(res: Response, counted: boolean): Promise<AnalysisReply> {
  const rateLimit = parseRateLimit(res.headers.get("ratelimit"));
  const policy = parseRateLimitPolicy(res.headers.get("ratelimit-policy"));
  if (!res.ok) {
    const error = await failure(res);
    // Keep what is left of the quota visible even on failure.
    Object.assign(error, { rateLimit, policy });
    throw error;
  }
  const text = await res.text();
  return {
    result: JSON.parse(text) as AnalysisResult,
    text,
    cache: res.headers.get("x-cache"),
    rateLimit,
    policy,
    counted,
  };
}

export interface Picture {
  readonly blob: Blob;
  /** The picture's lon/lat extent (X-Image-Bounds), when the API sent it. */
  readonly bounds: string | null;
}

/** GET /v1/analyses/{id}/{imagery|overlay}.png with the credential (not counted against the quota). */
export function picture(
  credential: string,
  id: string,
  kind: "imagery" | "overlay",
  options: RequestOptions = {},
): Promise<Picture> {
  const url = `/v1/analyses/${encodeURIComponent(id)}/${kind}.png`;
  return send(url, { headers: authHeaders(credential) }, options, async (res) => {
    if (!res.ok) throw await failure(res);
    return { blob: await res.blob(), bounds: res.headers.get("x-image-bounds") };
  });
}
