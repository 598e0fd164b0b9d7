/**
 * The coordinate-to-image index of the local imagery store (shared/coverage), loaded by the Worker
 * from COVERAGE_INDEX_URL once per isolate and kept in memory (loading only lays typed arrays over
 * the buffer). Used for GET /v1/coverage and to decide whether `local` can serve an area.
 * Without a URL, local coverage is "unknown" and the backend decides; a failed load is retried
 * after RETRY_AFTER_FAILURE_MS, meanwhile coverage is "unknown" too.
 */
import { type Area, areaBbox, CoverageIndex } from "@lanesegnet/shared";
import type { LocalCoverage } from "./choose.js";

const RETRY_AFTER_FAILURE_MS = 30_000;
export const COVERAGE_FETCH_TIMEOUT_MS = 10_000;
/** Largest index accepted (a Worker isolate has 128 MB); about a million images. */
export const MAX_INDEX_BYTES = 96 * 1024 * 1024;

export type CoverageState =
  | { readonly state: "ready"; readonly index: CoverageIndex }
  | { readonly state: "not_configured" }
  | { readonly state: "unavailable" }
  /** Another request of this isolate is loading it now. */
  | { readonly state: "loading" };

export class CoverageSource {
  // Settled values only, never a shared in-flight promise: in workerd a promise settled by another
  // request's I/O may hang. So one request loads the index and the others, meanwhile, go on
  // without it ("loading"): each loading it too held up to 96 MB per request in a 128 MB isolate,
  // and anyone could start that with concurrent GET /health.
  #index: CoverageIndex | undefined;
  #failedAt = Number.NEGATIVE_INFINITY;
  #loadingSince = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly url: string | undefined,
    private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init),
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<CoverageState> {
    if (this.#index) return { state: "ready", index: this.#index };
    if (this.url === undefined) return { state: "not_configured" };
    if (this.now() - this.#failedAt < RETRY_AFTER_FAILURE_MS) return { state: "unavailable" };
    // A load is bounded by its fetch's timeout: one started longer ago than that (its isolate's
    // request gone) no longer holds the others back.
    if (this.now() - this.#loadingSince < COVERAGE_FETCH_TIMEOUT_MS + 1_000) return { state: "loading" };
    this.#loadingSince = this.now();
    try {
      const index = await this.#load(this.url);
      this.#index ??= index;
      return { state: "ready", index: this.#index };
    } catch {
      this.#failedAt = this.now();
      return { state: "unavailable" };
    } finally {
      this.#loadingSince = Number.NEGATIVE_INFINITY;
    }
  }

  async #load(url: string): Promise<CoverageIndex> {
    const res = await this.fetchImpl(url, { signal: AbortSignal.timeout(COVERAGE_FETCH_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`coverage index answered ${res.status}`);
    const declared = Number(res.headers.get("content-length") ?? 0);
    if (declared > MAX_INDEX_BYTES) throw new Error("coverage index too large");
    const buf = await res.arrayBuffer();
    if (buf.byteLength > MAX_INDEX_BYTES) throw new Error("coverage index too large");
    return CoverageIndex.from(buf);
  }
}

/**
 * Whether local imagery covers the area. A polygon is judged by its bbox: "full" is then certain,
 * "partial" may be pessimistic for a polygon that avoids the uncovered corners.
 */
export function localCoverageOf(state: CoverageState, area: Area): LocalCoverage {
  if (state.state !== "ready") return "unknown";
  const report = state.index.covers({ lonLat: areaBbox(area) });
  if (report.fully) return "full";
  return report.coveredFraction > 0 ? "partial" : "none";
}
