/**
 * Per-response bookkeeping shared by both load runners (run-phase.ts with autocannon,
 * paced-users.ts with fetch): responses by "<status> <X-Cache>" class, client latency by class and
 * by tag, and the server's Server-Timing split, overall and by class.
 */
import type { PhaseResult } from "./run-phase.js";
import { ServerTimingCollector } from "./server-timing.js";
import { percentiles, sortedRecord } from "./stats.js";

export interface TalliedResponse {
  readonly status: number;
  readonly cache: string | undefined;
  readonly serverTiming: string | undefined;
  /** Client-side latency; leave out when the response could not be matched to its request. */
  readonly latencyMs?: number | undefined;
  readonly tag?: string | undefined;
}

export class ResponseTally {
  readonly #classes = new Map<string, number>();
  readonly #byClass = new Map<string, number[]>();
  readonly #byTag = new Map<string, number[]>();
  readonly #timing = new ServerTimingCollector();
  readonly #timingByClass = new Map<string, ServerTimingCollector>();

  add(r: TalliedResponse): void {
    // "-" without X-Cache, as the soak's labels: a class of digits alone ("503") would be an
    // integer-like key, which JavaScript objects list before every other, whatever the sort.
    const cls = `${r.status} ${r.cache || "-"}`;
    this.#classes.set(cls, (this.#classes.get(cls) ?? 0) + 1);
    this.#timing.add(r.serverTiming);
    let c = this.#timingByClass.get(cls);
    if (!c) {
      c = new ServerTimingCollector();
      this.#timingByClass.set(cls, c);
    }
    c.add(r.serverTiming);
    if (r.latencyMs !== undefined) {
      push(this.#byClass, cls, r.latencyMs);
      if (r.tag !== undefined) push(this.#byTag, r.tag, r.latencyMs);
    }
  }

  summary(): Pick<PhaseResult, "classes" | "byClass" | "byTag" | "serverTiming" | "serverTimingByClass"> {
    return {
      classes: sortedRecord(this.#classes, (n) => n),
      byClass: sortedRecord(this.#byClass, percentiles),
      byTag: sortedRecord(this.#byTag, percentiles),
      serverTiming: this.#timing.summary(),
      serverTimingByClass: sortedRecord(this.#timingByClass, (c) => c.summary()),
    };
  }
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
