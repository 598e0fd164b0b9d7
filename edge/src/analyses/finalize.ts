/**
 * Turn the backend's answer into the response body the edge serves and stores: the analysis id is
 * the edge's (the cache key's hash), `providers_tried` includes the edge's own skips, and the body
 * is serialised with `analysis` right after `type` and `cache` first inside it, so it starts with
 * BODY_PREFIX_MISS (see cache/entry.ts). Everything else the backend sent passes through as is.
 */
import type { ImageryProviderName, ProviderAttempt } from "@lanesegnet/shared";
import type { BackendAnalysis } from "../backend/client.js";
import { BODY_PREFIX_MISS } from "../cache/entry.js";
import { mergeAttempts } from "../providers/choose.js";

export interface FinalizedBody {
  readonly body: string;
  readonly provider: ImageryProviderName;
  readonly attempts: readonly ProviderAttempt[];
}

export function finalizeBody(
  reply: BackendAnalysis,
  id: string,
  preference: readonly ImageryProviderName[],
  skipped: readonly ProviderAttempt[],
): FinalizedBody {
  const { type: _type, analysis, features, bbox, ...otherMembers } = reply;
  const { cache: _cache, id: _id, providers_tried: tried, ...info } = analysis;
  const attempts = mergeAttempts(preference, skipped, tried);
  const out = {
    type: "FeatureCollection",
    analysis: { cache: "MISS", id, ...info, providers_tried: attempts },
    ...(bbox === undefined ? {} : { bbox }),
    features,
    ...otherMembers,
  };
  const body = JSON.stringify(out);
  // Guaranteed by the construction above; checked because the hit path relies on it blindly.
  if (!body.startsWith(BODY_PREFIX_MISS)) throw new Error("finalized body lacks the MISS prefix");
  return { body, provider: analysis.imagery.provider, attempts };
}
