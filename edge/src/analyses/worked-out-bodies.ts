/**
 * What this isolate has worked out from valid POST /v1/analyses bodies, by their exact text: the
 * resolved request, its analysis id and its area hash. A repeat of a body (a client asking for an
 * area again: exactly what a cache hit is) then skips JSON parsing, schema and area validation
 * and the two digests (the id's HMAC and the area's SHA-256), about a tenth of a hit's CPU in workerd (docs/PERFORMANCE.md).
 *
 * Nothing can be decided differently: the outcome depends only on the body's text and on the
 * isolate's configuration, which an isolate never changes (a new configuration builds a new app,
 * index.ts). Invalid bodies are not held. The held requests are frozen, so code that tried to
 * change one would fail loudly instead of changing what later requests see.
 */
import type { ResolvedAnalysisRequest } from "@lanesegnet/shared";
import { LRUCache } from "lru-cache";

export interface WorkedOut {
  readonly request: ResolvedAnalysisRequest;
  readonly id: string;
  readonly areaHash: string;
}

/**
 * What all held bodies may take: their text (UTF-16 code units) plus a fixed cost per entry. The
 * parsed request beside a large polygon takes more than that (a few MB in the worst case, of an
 * isolate's 128 MB).
 */
const MAX_SIZE = 2 * 1024 * 1024;
/** Bodies longer than this (large polygons) are worked out every time. */
const MAX_BODY_LENGTH = 16 * 1024;
/** The resolved request, id and hashes beside each body text, roughly. */
const ENTRY_OVERHEAD = 1024;

export class WorkedOutBodies {
  readonly #entries = new LRUCache<string, WorkedOut>({
    maxSize: MAX_SIZE,
    maxEntrySize: MAX_BODY_LENGTH + ENTRY_OVERHEAD,
    sizeCalculation: (_value, body) => body.length + ENTRY_OVERHEAD,
  });

  get(body: string): WorkedOut | undefined {
    return this.#entries.get(body);
  }

  put(body: string, workedOut: WorkedOut): void {
    if (body.length > MAX_BODY_LENGTH) return;
    this.#entries.set(body, deepFreeze(workedOut));
  }
}

function deepFreeze<T>(value: T, seen = new WeakSet<object>()): T {
  if (typeof value === "object" && value !== null && !seen.has(value)) {
    seen.add(value);
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v, seen);
  }
  return value;
}
