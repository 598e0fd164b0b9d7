/**
 * The page's calls to the API, same origin, with the user's API key or token as a bearer
 * credential. Every failure becomes an ApiError carrying the plain-words message (problems.ts).
 */
import type { Bbox } from "./bbox.js";
import { describeFailure, type FailureMessage, type ProblemBody } from "./problems.js";
import {
  parseRateLimit,
  parseRateLimitPolicy,
  type RateLimitPolicy,
  type RateLimitState,
} from "./ratelimit.js";
import type { LineProperties } from "./summary.js";

export interface AnalysisFeature {
  readonly type: "Feature";
  readonly id: string;
  readonly geometry: { readonly type: "LineString"; readonly coordinates: [number, number][] };
  readonly properties: LineProperties;
}

export interface AnalysisResult {
  readonly type: "FeatureCollection";
  readonly bbox?: Bbox;
  readonly features: AnalysisFeature[];
  readonly analysis: {
    readonly id: string;
    readonly model: { readonly name: string; readonly version: string };
    readonly imagery: {
      readonly provider: string;
      readonly attribution: string;
      readonly resolution_m: number;
      readonly captured?: string;
    };
    readonly area_m2: number;
    readonly totals: Record<string, { count: number; length_m: number }>;
    readonly cache: "HIT" | "MISS";
  };
}

export interface AnalysisReply {
  readonly result: AnalysisResult;
  /** The response text as received (the GeoJSON download). */
  readonly text: string;
  readonly cache: string | null;
  readonly rateLimit: RateLimitState | null;
  readonly policy: RateLimitPolicy | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly failure: FailureMessage,
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

async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch {
    throw new ApiError(0, describeFailure(0, null, new Headers()));
  }
}

function authHeaders(credential: string): Record<string, string> {
  return { Authorization: `Bearer ${credential}` };
}

export async function analyse(credential: string, bbox: Bbox, resolutionM: number): Promise<AnalysisReply> {
  const res = await send("/v1/analyses", {
    method: "POST",
    headers: { ...authHeaders(credential), "Content-Type": "application/json" },
    body: JSON.stringify({ area: { type: "bbox", bbox }, resolution_m: resolutionM }),
  });
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
  };
}

export interface Picture {
  readonly blob: Blob;
  /** The picture's lon/lat extent (X-Image-Bounds), when the API sent it. */
  readonly bounds: string | null;
}

/** GET /v1/analyses/{id}/{imagery|overlay}.png with the credential (not counted against the quota). */
export async function picture(credential: string, id: string, kind: "imagery" | "overlay"): Promise<Picture> {
  const res = await send(`/v1/analyses/${encodeURIComponent(id)}/${kind}.png`, {
    headers: authHeaders(credential),
  });
  if (!res.ok) throw await failure(res);
  return { blob: await res.blob(), bounds: res.headers.get("x-image-bounds") };
}
