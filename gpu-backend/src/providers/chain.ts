/**
 * Try imagery providers in order and return the first success, with the reasons the earlier
 * ones failed: an error, missing coverage, or imagery coarser than the accepted limit. A caller
 * abort stops the chain at once (it is not a provider failure).
 */
import { ProviderError, type ProviderFailureCode } from "./errors.js";
import { centreLatitude, type ImageryProvider, type ImageryRequest, type ImageryResult } from "./types.js";

export interface ChainFailure {
  readonly provider: string;
  /** Machine-friendly code; "unexpected" for errors that are not ProviderErrors (bugs). */
  readonly reason: ProviderFailureCode | "unexpected";
  /** Human message; built from facts we chose, never containing a key or a keyed URL. */
  readonly message: string;
  /** The HTTP status, for reason "http_status". */
  readonly status?: number;
}

export interface ChainResult {
  readonly result: ImageryResult;
  /** Providers tried before the one that served, in order. */
  readonly failures: readonly ChainFailure[];
}

/** Every provider failed; `failures` says why, one entry per provider. */
export class AllProvidersFailedError extends Error {
  override readonly name = "AllProvidersFailedError";
  constructor(readonly failures: readonly ChainFailure[]) {
    super(
      failures.length === 0
        ? "no imagery provider configured"
        : `no imagery provider could serve the area: ${failures.map((f) => `${f.provider} ${f.reason}`).join(", ")}`,
    );
  }
}

export interface ChainOptions {
  /** Coarsest native ground resolution (m/px) accepted from any provider. */
  readonly maxGroundResolutionM?: number;
  /**
   * Told of a provider's failure that is no ProviderError: a bug, which the chain falls back from
   * like any failure and reports to the client only by type, so the operator must see it here.
   */
  readonly onUnexpected?: (provider: string, error: unknown) => void;
}

function describeFailure(provider: ImageryProvider, e: unknown): ChainFailure {
  if (e instanceof ProviderError) {
    const status = (e as { status?: unknown }).status;
    return {
      provider: provider.name,
      reason: e.code,
      message: e.message,
      ...(typeof status === "number" ? { status } : {}),
    };
  }
  // Anything else is a bug; its message is not ours to vouch for, so only its type is reported.
  const type = e instanceof Error ? e.name : typeof e;
  return { provider: provider.name, reason: "unexpected", message: `${provider.name}: unexpected ${type}` };
}

export async function fetchFromChain(
  providers: readonly ImageryProvider[],
  request: ImageryRequest,
  options: ChainOptions = {},
): Promise<ChainResult> {
  const limit = options.maxGroundResolutionM ?? request.maxGroundResolutionM;
  const lat = centreLatitude(request.bboxLonLat);
  const failures: ChainFailure[] = [];
  for (const provider of providers) {
    request.signal?.throwIfAborted();
    if (limit !== undefined) {
      const native = provider.nativeGroundResolution(lat);
      // NaN (unknown before looking) is not a reason to skip.
      if (native > limit * (1 + 1e-9)) {
        failures.push({
          provider: provider.name,
          reason: "too_coarse",
          message: `${provider.name}: native resolution ${native.toFixed(3)} m/px is coarser than the limit ${limit} m/px`,
        });
        continue;
      }
    }
    try {
      const result = await provider.fetch(
        limit === undefined ? request : { ...request, maxGroundResolutionM: limit },
      );
      if (limit !== undefined && result.groundResolutionM > limit * (1 + 1e-9)) {
        failures.push({
          provider: provider.name,
          reason: "too_coarse",
          message: `${provider.name}: delivered ${result.groundResolutionM.toFixed(3)} m/px, coarser than the limit ${limit} m/px`,
        });
        continue;
      }
      return { result, failures };
    } catch (e) {
      if (request.signal?.aborted) throw e;
      const failure = describeFailure(provider, e);
      if (failure.reason === "unexpected") options.onUnexpected?.(provider.name, e);
      failures.push(failure);
    }
  }
  throw new AllProvidersFailedError(failures);
}
