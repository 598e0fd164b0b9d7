/**
 * The API's rate-limit headers (draft-ietf-httpapi-ratelimit-headers, structured fields):
 *   RateLimit-Policy: "hourly";q=50;w=3600     RateLimit: "hourly";r=49;t=1800
 */

export interface RateLimitState {
  /** Requests left in the window. */
  readonly remaining: number;
  /** Seconds until the window resets. */
  readonly resetS: number;
}

export interface RateLimitPolicy {
  readonly quota: number;
  readonly windowS: number;
}

function params(header: string): Map<string, string> {
  const out = new Map<string, string>();
  // The first item only; its parameters follow `;`.
  const item = header.split(",")[0] ?? "";
  for (const part of item.split(";").slice(1)) {
    const [k, v] = part.split("=").map((s) => s.trim());
    if (k && v !== undefined) out.set(k, v);
  }
  return out;
}

function int(v: string | undefined): number | undefined {
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

export function parseRateLimit(header: string | null): RateLimitState | null {
  if (!header) return null;
  const p = params(header);
  const remaining = int(p.get("r"));
  const resetS = int(p.get("t"));
  return remaining === undefined || resetS === undefined ? null : { remaining, resetS };
}

export function parseRateLimitPolicy(header: string | null): RateLimitPolicy | null {
  if (!header) return null;
  const p = params(header);
  const quota = int(p.get("q"));
  const windowS = int(p.get("w"));
  return quota === undefined || windowS === undefined ? null : { quota, windowS };
}
