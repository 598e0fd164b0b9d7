/**
 * HTTP plumbing shared by the remote providers: a per-provider deadline combined with the
 * caller's signal, bounded retries with full jitter, bounded response bodies, and a concurrency
 * cap for parallel tile fetches. Error messages name what was fetched ("tile 19/1/2"), never the
 * URL, which may carry a key.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { BodyTooLargeError, readCappedBytes } from "@lanesegnet/shared";
import pLimit from "p-limit";
import {
  ProviderBadDataError,
  ProviderHttpError,
  ProviderNetworkError,
  ProviderTimeoutError,
} from "./errors.js";

export interface RetryPolicy {
  /** Retries after the first attempt (0 = none). */
  readonly retries: number;
  /** Full jitter: the k-th retry waits uniformly in [0, min(maxDelayMs, baseDelayMs * 2^k)). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 2, baseDelayMs: 100, maxDelayMs: 1_000 };

/**
 * Run `work` under a deadline of `timeoutMs` combined with the caller's signal. When the deadline
 * fires, whatever `work` threw is replaced by ProviderTimeoutError; when the caller aborts, the
 * caller's abort reason is rethrown unchanged (that is not a provider failure).
 */
export async function withDeadline<T>(
  provider: string,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  callerSignal?.throwIfAborted();
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = callerSignal ? AbortSignal.any([callerSignal, deadline]) : deadline;
  try {
    // Raced against the signal too: steps that cannot be aborted (a decode, an injected lookup)
    // must not hold the caller past the deadline. They finish in the background.
    return await untilAborted(work(signal), signal);
  } catch (e) {
    if (callerSignal?.aborted) throw callerSignal.reason;
    if (deadline.aborted) throw new ProviderTimeoutError(provider, timeoutMs);
    throw e;
  }
}

/** `work`'s outcome, or the signal's reason as soon as it aborts (work then goes on unwatched). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // `work` is handled before anything else: abandoned on an aborted signal, its later rejection
    // would otherwise be unhandled, which ends the Node process (a shared image load that fails
    // after the request that wanted it was aborted did exactly that).
    const onAbort = () => reject(signal.reason);
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export interface HttpRequest {
  readonly url: string;
  readonly method?: "GET" | "POST";
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** What is being fetched, for error messages ("tile 19/1/2"). Must not contain secrets. */
  readonly what: string;
  /**
   * Whether repeating the request is harmless. Only such requests are retried (GETs, and POSTs
   * that only compute, like Earth Engine's computePixels or an OAuth token exchange).
   */
  readonly idempotent: boolean;
  /** Statuses returned to the caller instead of thrown (2xx always are), e.g. 404 for a missing tile. */
  readonly passStatuses?: readonly number[];
  /** Largest body accepted; larger ones are ProviderBadDataError. */
  readonly maxBytes: number;
}

export interface HttpResponse {
  readonly status: number;
  /** Lower-cased media type without parameters ("image/jpeg"), "" when absent. */
  readonly contentType: string;
  readonly body: Uint8Array;
}

/** Statuses that say "try again": too many requests, and the gateway / overload family. */
function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/**
 * How long to wait before the next attempt, or null when the server asked for a longer wait than
 * the policy allows: retrying sooner would ignore what it asked (and multiply the traffic of a
 * provider that is shedding load by the number of tiles); failing at once lets the chain fall back.
 */
function retryDelay(policy: RetryPolicy, attempt: number, retryAfter: string | null): number | null {
  const seconds = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : Number.NaN;
  // The server's wait, plus jitter: tiles refused together must not all retry at once.
  if (Number.isFinite(seconds)) {
    return seconds * 1000 > policy.maxDelayMs ? null : seconds * 1000 + Math.random() * policy.baseDelayMs;
  }
  return Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
}

function errnoOf(e: unknown): string | undefined {
  const cause = (e as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === "string" ? cause.code : undefined;
}

/**
 * One HTTP exchange with retries. Throws ProviderHttpError / ProviderNetworkError /
 * ProviderBadDataError, or the signal's abort reason (withDeadline turns that into a timeout).
 */
export async function httpRequest(
  provider: string,
  req: HttpRequest,
  signal: AbortSignal,
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<HttpResponse> {
  const attempts = 1 + (req.idempotent ? Math.max(0, retry.retries) : 0);
  for (let attempt = 0; ; attempt++) {
    const last = attempt === attempts - 1;
    let res: Response;
    try {
      res = await fetch(req.url, {
        method: req.method ?? "GET",
        ...(req.headers ? { headers: req.headers } : {}),
        ...(req.body !== undefined ? { body: req.body } : {}),
        signal,
        redirect: "follow",
      });
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      if (last) throw new ProviderNetworkError(provider, req.what, errnoOf(e));
      await sleep(retryDelay(retry, attempt, null) ?? 0, undefined, { signal });
      continue;
    }
    const { status } = res;
    if ((status >= 200 && status < 300) || req.passStatuses?.includes(status)) {
      const contentType = (res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      let body: Uint8Array;
      try {
        body = await readBody(provider, res, req);
      } catch (e) {
        if (e instanceof ProviderBadDataError) throw e;
        if (signal.aborted) throw signal.reason;
        // The connection broke part-way through the body (undici: "terminated"): a network
        // failure like any other, retried where the request may be repeated.
        if (last) throw new ProviderNetworkError(provider, req.what, errnoOf(e) ?? "terminated");
        await sleep(retryDelay(retry, attempt, null) ?? 0, undefined, { signal });
        continue;
      }
      return { status, contentType, body };
    }
    await res.body?.cancel().catch(() => undefined);
    const wait =
      last || !isRetryableStatus(status) ? null : retryDelay(retry, attempt, res.headers.get("retry-after"));
    if (wait === null) throw new ProviderHttpError(provider, status, req.what);
    await sleep(wait, undefined, { signal });
  }
}

async function readBody(provider: string, res: Response, req: HttpRequest): Promise<Uint8Array> {
  try {
    return await readCappedBytes(res, req.maxBytes);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    const size = error.declaredBytes === undefined ? "" : ` of ${error.declaredBytes} bytes`;
    throw new ProviderBadDataError(provider, `${req.what}: response${size} exceeds ${req.maxBytes} bytes`);
  }
}

/**
 * Map over items with at most `concurrency` in flight (p-limit). The first failure aborts the
 * signal handed to the others, so a failed tile fetch does not leave the rest downloading.
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  signal: AbortSignal,
  fn: (item: T, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
  const limit = pLimit(Math.max(1, concurrency));
  const stop = new AbortController();
  const inner = AbortSignal.any([signal, stop.signal]);
  try {
    return await Promise.all(
      items.map((item) =>
        limit(() => {
          inner.throwIfAborted();
          return fn(item, inner);
        }),
      ),
    );
  } catch (e) {
    // Promise.all rejects with the first failure; the others see the abort and settle quietly.
    stop.abort(e);
    limit.clearQueue();
    throw e;
  }
}

/** Replace every occurrence of each secret in a text (for messages that quote upstream text). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join("[redacted]");
  return out;
}
