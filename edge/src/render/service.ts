/**
 * Pictures of an analysis (its imagery, or the imagery with the markings drawn): cached copy ->
 * stored result -> backend render -> cache. They need the stored result (or, for the
 * compatibility route, the result just computed), and cost no quota: they are part of an analysis
 * the user already paid for. So that free does not mean unbounded, identical renders in flight at
 * once are one render (a single flight in Redis, as for analyses): the others wait for its picture,
 * or share its failure for a few seconds.
 */
import type { Problem } from "@lanesegnet/shared";
import { problem } from "@lanesegnet/shared";
import type { AnalysisService } from "../analyses/service.js";
import { encodeSharedFailure, sharedFailure, stillPending } from "../cache/flight-problems.js";
import type { FlightOutcome, SingleFlight } from "../cache/single-flight.js";
import { EDGE_PROBLEM_TYPES } from "../problems.js";
import { RedisUnavailableError } from "../redis/client.js";
import type { RenderClient } from "./client.js";
import { pictureGrid, type RenderKind, renderBodyOf, type StoredResult } from "./from-result.js";
import { decodePicture, type PictureHead, type PictureStore, pictureEtag } from "./store.js";

export type PictureOutcome =
  | {
      readonly kind: "picture";
      readonly png: Uint8Array;
      readonly etag: string;
      readonly bounds: string;
      readonly cache: "HIT" | "MISS";
    }
  | {
      readonly kind: "problem";
      readonly problem: Problem;
      readonly retryAfterS: number | undefined;
      readonly cause: string;
    };

export interface PictureContext {
  readonly requestId: string;
  readonly waitUntil: (p: Promise<unknown>) => void;
  /** The result, when the caller has it already (else it is read from the store by id). */
  readonly result?: StoredResult;
}

/** "west,south,east,north" with 8 decimals (about 1 mm). */
export function formatBounds(b: readonly number[]): string {
  return b.map((v) => v.toFixed(8)).join(",");
}

export class PictureService {
  constructor(
    private readonly deps: {
      readonly analyses: AnalysisService;
      readonly store: PictureStore;
      readonly client: RenderClient;
      /** Over the store's flightKeys(). */
      readonly flight: SingleFlight;
      /** Retry-After for a request that waited its whole bound for an identical render. */
      readonly pendingRetryAfterS?: number;
    },
  ) {}

  /**
   * The cached picture's ETag and bounds, read without the picture itself (for a conditional
   * request); null when none is cached or Redis cannot answer (picture() then decides).
   */
  async cachedHead(kind: RenderKind, id: string): Promise<PictureHead | null> {
    return this.deps.store.head(kind, id).catch((error: unknown) => {
      if (error instanceof RedisUnavailableError) return null;
      throw error;
    });
  }

  /** Throws RedisUnavailableError when the result is needed from Redis and Redis cannot answer. */
  async picture(kind: RenderKind, id: string, ctx: PictureContext): Promise<PictureOutcome> {
    // A picture cache that cannot answer is a miss; the result store below decides about Redis.
    const cached = await this.deps.store.get(kind, id).catch((error: unknown) => {
      if (error instanceof RedisUnavailableError) return null;
      throw error;
    });
    if (cached) return { kind: "picture", cache: "HIT", ...cached };

    let result = ctx.result;
    if (!result) {
      const stored = await this.deps.analyses.stored(id);
      if (!stored) {
        return {
          kind: "problem",
          problem: problem(404, {
            type: EDGE_PROBLEM_TYPES.notFound,
            detail: "No stored result has this id; results expire after the cache TTL.",
          }),
          retryAfterS: undefined,
          cause: "not_found",
        };
      }
      result = JSON.parse(stored.body) as StoredResult;
    }
    const body = renderBodyOf(kind, result, id);
    const picture = pictureGrid(result);
    if (!body || !picture) {
      return {
        kind: "problem",
        problem: problem(422, {
          type: EDGE_PROBLEM_TYPES.noImagery,
          detail: "This result has no area to draw.",
        }),
        retryAfterS: undefined,
        cause: "no_bbox",
      };
    }
    const render = async (): Promise<PictureOutcome> => {
      const reply = await this.deps.client.render(body, ctx.requestId);
      if (!reply.ok) {
        return {
          kind: "problem",
          problem: reply.problem,
          retryAfterS: reply.retryAfterS,
          cause: reply.cause,
        };
      }
      const png = reply.png;
      return {
        kind: "picture",
        cache: "MISS",
        png,
        etag: await pictureEtag(png),
        bounds: formatBounds(picture.extent),
      };
    };

    let outcome: FlightOutcome<PictureOutcome>;
    try {
      outcome = await this.deps.flight.run<PictureOutcome>(`${kind}:${id}`, async () => {
        const made = await render();
        if (made.kind === "problem")
          return { value: made, failure: encodeSharedFailure(made.problem, made.retryAfterS) };
        const entry = await this.deps.store.entryFor(id, made).catch(() => null);
        return entry ? { value: made, entry: entry.text, ttlMs: entry.ttlMs } : { value: made, entry: null };
      });
    } catch (error) {
      // Redis cannot run the flight: draw it anyway when the result is at hand (the compatibility
      // route's just-computed one); without Redis it cannot be stored.
      if (!(error instanceof RedisUnavailableError) || !ctx.result) throw error;
      const made = await render();
      if (made.kind === "picture") ctx.waitUntil(this.deps.store.put(kind, id, made));
      return made;
    }
    switch (outcome.role) {
      case "leader":
        return outcome.value;
      case "hit": {
        const stored = decodePicture(outcome.stored);
        if (stored) return { kind: "picture", cache: "HIT", ...stored };
        // Not a picture we can read (another format): draw it for this request alone.
        return render();
      }
      case "failed":
        return sharedFailure(outcome.failure);
      case "uncacheable":
        // Too large to store: each waiter draws its own, at once.
        return render();
      case "timeout":
        return stillPending(
          "Picture in progress",
          "An identical picture is still being drawn; retry to get it.",
          this.deps.pendingRetryAfterS ?? 5,
        );
    }
  }
}
