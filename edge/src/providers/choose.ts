/**
 * Which imagery providers the backend should try, in which order. Pure: the inputs are the
 * request's preference (already defaulted to the configured chain), the configured chain, local
 * coverage from the index and provider health from Redis.
 *
 * - a provider not in the chain is skipped ("not_configured");
 * - `local` is skipped when the index says the area is not fully covered ("no_coverage"); when
 *   coverage is unknown (no index loaded) the backend decides;
 * - a provider with recent failures goes to the end of the list ("unhealthy"): the others are tried
 *   first, but it is never dropped. Health is shared by every user and one failure is enough, so
 *   dropping it would let one request (a huge area that times out) refuse everybody's analyses
 *   whenever the providers left cannot serve them (not configured on the backend, too coarse).
 */
import type { ImageryProviderName, ProviderAttempt } from "@lanesegnet/shared";

export type LocalCoverage = "full" | "partial" | "none" | "unknown";

export interface ProviderChoiceInput {
  readonly preference: readonly ImageryProviderName[];
  readonly chain: readonly ImageryProviderName[];
  readonly localCoverage: LocalCoverage;
  readonly unhealthy: ReadonlySet<ImageryProviderName>;
}

export interface ProviderChoice {
  /** In order; empty when no provider can serve the area. */
  readonly candidates: readonly ImageryProviderName[];
  /** Providers of the preference left out here, with why (merged into `providers_tried`). */
  readonly skipped: readonly ProviderAttempt[];
}

export function chooseProviders(input: ProviderChoiceInput): ProviderChoice {
  const enabled = new Set(input.chain);
  const skipped: ProviderAttempt[] = [];
  const healthy: ImageryProviderName[] = [];
  const unhealthy: ImageryProviderName[] = [];
  for (const p of input.preference) {
    if (!enabled.has(p)) {
      skipped.push({ provider: p, outcome: "not_configured", reason: "not enabled on this server" });
    } else if (p === "local" && (input.localCoverage === "none" || input.localCoverage === "partial")) {
      skipped.push({
        provider: p,
        outcome: "no_coverage",
        reason:
          input.localCoverage === "none"
            ? "no local imagery intersects the area"
            : "local imagery covers only part of the area",
      });
    } else if (input.unhealthy.has(p)) {
      unhealthy.push(p);
    } else {
      healthy.push(p);
    }
  }
  if (healthy.length === 0) return { candidates: unhealthy, skipped };
  // Reported as "unhealthy" unless the backend reaches it and says what happened (mergeAttempts).
  for (const p of unhealthy) {
    skipped.push({
      provider: p,
      outcome: "unhealthy",
      reason: "recent failures: tried only after the others",
    });
  }
  return { candidates: [...healthy, ...unhealthy], skipped };
}

/**
 * The `providers_tried` list of a response: first the edge's skips that explain why a provider
 * preferred to the one that served was not used (or all of them when none served), in preference
 * order; then the backend's report, in the order it tried the providers (an unhealthy provider is
 * tried after the others, whatever the preference). The backend's word wins for a provider both
 * mention. A skip after the provider that served was never going to be reached: left out.
 */
export function mergeAttempts(
  preference: readonly ImageryProviderName[],
  skipped: readonly ProviderAttempt[],
  backend: readonly ProviderAttempt[],
): ProviderAttempt[] {
  const reported = new Set(backend.map((a) => a.provider));
  const used = backend.find((a) => a.outcome === "used")?.provider;
  const usedAt = used === undefined ? preference.length : preference.indexOf(used);
  const skips = skipped
    .filter((a) => !reported.has(a.provider))
    .filter((a) => {
      const at = preference.indexOf(a.provider);
      return at < 0 || at < usedAt;
    })
    .sort((a, b) => preference.indexOf(a.provider) - preference.indexOf(b.provider));
  return [...skips, ...backend];
}
