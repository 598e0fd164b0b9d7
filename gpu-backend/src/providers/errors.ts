/**
 * Typed provider failures. Each carries a short machine-friendly `code` (what the fallback chain
 * and the audit log record) and a human message. Messages are composed here from facts we chose
 * (provider name, status, what was being fetched), never from URLs, headers or upstream error
 * text that might contain a key.
 */

export type ProviderFailureCode =
  | "no_coverage"
  | "too_coarse"
  | "timeout"
  | "http_status"
  | "bad_data"
  | "network"
  | "not_configured";

export abstract class ProviderError extends Error {
  abstract readonly code: ProviderFailureCode;
  constructor(
    readonly provider: string,
    message: string,
  ) {
    super(`${provider}: ${message}`);
  }
}

/** The provider has no imagery (or not enough) for the area. */
export class NoCoverageError extends ProviderError {
  override readonly name = "NoCoverageError";
  readonly code = "no_coverage";
  constructor(
    provider: string,
    /** Fraction of the target grid the provider could fill, in [0, 1]. */
    readonly coverage: number,
    detail = "",
  ) {
    super(
      provider,
      `imagery covers ${(coverage * 100).toFixed(2)} % of the area${detail ? ` (${detail})` : ""}`,
    );
  }
}

/** The provider's best imagery is coarser than the caller accepts. */
export class TooCoarseError extends ProviderError {
  override readonly name = "TooCoarseError";
  readonly code = "too_coarse";
  constructor(
    provider: string,
    readonly nativeGroundResolutionM: number,
    readonly limitM: number,
  ) {
    super(
      provider,
      `native resolution ${nativeGroundResolutionM.toFixed(3)} m/px is coarser than the limit ${limitM} m/px`,
    );
  }
}

/** The provider did not answer within its time budget. */
export class ProviderTimeoutError extends ProviderError {
  override readonly name = "ProviderTimeoutError";
  readonly code = "timeout";
  constructor(
    provider: string,
    readonly timeoutMs: number,
  ) {
    super(provider, `no answer within ${timeoutMs} ms`);
  }
}

/** The provider answered with an HTTP status we cannot use (after any retries). */
export class ProviderHttpError extends ProviderError {
  override readonly name = "ProviderHttpError";
  readonly code = "http_status";
  constructor(
    provider: string,
    readonly status: number,
    what: string,
  ) {
    super(provider, `HTTP ${status} for ${what}`);
  }
}

/** The provider answered 2xx with something that is not the imagery we asked for. */
export class ProviderBadDataError extends ProviderError {
  override readonly name = "ProviderBadDataError";
  readonly code = "bad_data";
}

/** The connection failed (refused, reset, DNS) after any retries. */
export class ProviderNetworkError extends ProviderError {
  override readonly name = "ProviderNetworkError";
  readonly code = "network";
  constructor(
    provider: string,
    what: string,
    /** The system error code (ECONNREFUSED, ...) when there is one. */
    readonly errno: string | undefined,
  ) {
    super(provider, `network error for ${what}${errno ? ` (${errno})` : ""}`);
  }
}

/** The provider lacks configuration it needs (a key, a project). */
export class ProviderConfigError extends ProviderError {
  override readonly name = "ProviderConfigError";
  readonly code = "not_configured";
}
