/**
 * Single flight across every isolate: identical concurrent misses cause exactly one backend call.
 *
 * One Lua script decides atomically what a request does for an analysis id:
 *   - the result is stored            -> "hit" (serve it)
 *   - a leader failed moments ago     -> "failed" (share its problem; negative cache of a few s)
 *   - no lock                         -> take the lock (with expiry) -> "leader" (compute)
 *   - another request holds the lock  -> "wait" (poll with backoff until one of the above)
 * The leader stores the result (or its failure) and releases its lock in one more script call. A
 * result it cannot store turns its lock into a short-lived mark instead: the waiters
 * ("uncacheable") then compute at once, side by side, instead of taking the lock one after another
 * (each would wait out the one before, and the last ones time out). In the lock, not beside it, an
 * isolate still running the previous release reads the mark as a lock held and waits as it did.
 * A leader that dies leaves a lock that expires after lockTtlMs; a waiter then becomes leader.
 * Waiting is bounded by waitMs, after which the caller answers 503 with Retry-After.
 */
import { randomHex } from "@lanesegnet/shared";
import { type Redis, RedisUnavailableError, redisCall } from "../redis/client.js";
import type { KeySpace } from "../redis/keys.js";

/** Where a flight keeps its result, shared failure and lock (KeySpace's, or another family's). */
export type FlightKeys = Pick<KeySpace, "result" | "failure" | "lock">;

const DECIDE = `
local r = redis.call('GET', KEYS[1])
if r then return {'hit', r} end
local f = redis.call('GET', KEYS[2])
if f then return {'failed', f} end
if redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'leader'} end
if redis.call('GET', KEYS[3]) == ARGV[3] then return {'uncacheable'} end
return {'wait'}`;

// Store value (unless empty) under KEYS[2] for ARGV[3] ms, then release the lock if still ours. With
// ARGV[4] = 'owned' the value is stored only while the lock is ours: a failure from a leader whose
// lock expired would turn away the waiters of the leader who holds it now. With ARGV[4] = 'mark'
// the lock, if still ours, becomes the value (the uncacheable mark) for ARGV[3] ms.
const FINISH = `
local ours = redis.call('GET', KEYS[1]) == ARGV[1]
if ARGV[4] == 'mark' then
  if ours then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
  return 1
end
if ARGV[2] ~= '' and (ARGV[4] ~= 'owned' or ours) then redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) end
if ours then redis.call('DEL', KEYS[1]) end
return 1`;

/** What a lock holds once its leader's result could not be stored (a token is hex: never this). */
const UNCACHEABLE_MARK = "uncacheable";

/** How FINISH treats the value: a result (stored whoever holds the lock), a failure, the mark. */
type FinishMode = "any" | "owned" | "mark";

/** What the leader computed, and what to leave in Redis for the others. */
export type LeaderResult<T> =
  /**
   * Store `entry` as the result (null: not cacheable; waiters will compute themselves, at once), for
   * `ttlMs` when given, else resultTtlMs.
   */
  | { readonly value: T; readonly entry: string | null; readonly ttlMs?: number }
  /** Share `failure` (a small JSON text) with waiters and the next requests for failureTtlMs. */
  | { readonly value: T; readonly failure: string };

export type FlightOutcome<T> =
  | { readonly role: "hit"; readonly stored: string }
  /** `saved`: whether the result (or failure) reached Redis. */
  | { readonly role: "leader"; readonly value: T; readonly saved: boolean }
  | { readonly role: "failed"; readonly failure: string }
  /** The leader's result could not be stored: compute without the flight. */
  | { readonly role: "uncacheable" }
  | { readonly role: "timeout" };

export interface SingleFlightOptions {
  readonly lockTtlMs: number;
  readonly waitMs: number;
  readonly resultTtlMs: number;
  /** How long a leader's failure answers identical requests (default 5 s). */
  readonly failureTtlMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class SingleFlight {
  readonly #keys: FlightKeys;
  readonly #options: SingleFlightOptions;
  readonly #decide;
  readonly #finish;

  constructor(redis: Redis, keys: FlightKeys, options: SingleFlightOptions) {
    this.#keys = keys;
    this.#options = options;
    this.#decide = redis.createScript<[string, string?]>(DECIDE);
    this.#finish = redis.createScript<number>(FINISH);
  }

  /**
   * Get the stored result of `id`, or compute it once for everyone asking at the same time.
   * Throws RedisUnavailableError when Redis fails (the caller applies the Redis-down policy).
   */
  async run<T>(id: string, compute: () => Promise<LeaderResult<T>>): Promise<FlightOutcome<T>> {
    const { lockTtlMs, waitMs } = this.#options;
    const sleep = this.#options.sleep ?? defaultSleep;
    const now = this.#options.now ?? Date.now;
    const keys = [this.#keys.result(id), this.#keys.failure(id), this.#keys.lock(id)];
    const token = randomHex(16);
    const deadline = now() + waitMs;
    let delay = 20;
    for (;;) {
      const reply: unknown = await redisCall(() =>
        this.#decide.exec(keys, [token, String(lockTtlMs), UNCACHEABLE_MARK]),
      );
      // The script answers a list; anything else is a store that does not work as it should.
      if (!Array.isArray(reply)) throw new RedisUnavailableError("the single-flight script answered no list");
      const [decision, payload] = reply as [string, string?];
      if (decision === "hit" && payload !== undefined) return { role: "hit", stored: payload };
      if (decision === "uncacheable") return { role: "uncacheable" };
      if (decision === "failed" && payload !== undefined) return { role: "failed", failure: payload };
      if (decision === "leader") return { role: "leader", ...(await this.#lead(id, token, compute)) };
      if (now() + delay > deadline) return { role: "timeout" };
      await sleep(delay);
      delay = Math.min(Math.round(delay * 1.5), 250);
    }
  }

  async #lead<T>(
    id: string,
    token: string,
    compute: () => Promise<LeaderResult<T>>,
  ): Promise<{ value: T; saved: boolean }> {
    let result: LeaderResult<T>;
    try {
      result = await compute();
    } catch (error) {
      // A bug, not a backend failure: free the lock so others can try, then rethrow.
      await this.#release(id, token, this.#keys.result(id), "", 0, "any").catch(() => {});
      throw error;
    }
    // The leader answers with what it computed even if Redis fails now; the lock then expires.
    const release =
      "failure" in result
        ? this.#release(
            id,
            token,
            this.#keys.failure(id),
            result.failure,
            this.#options.failureTtlMs ?? 5_000,
            "owned",
          )
        : result.entry === null
          ? this.#release(
              id,
              token,
              this.#keys.result(id),
              UNCACHEABLE_MARK,
              this.#options.failureTtlMs ?? 5_000,
              "mark",
            )
          : this.#release(
              id,
              token,
              this.#keys.result(id),
              result.entry,
              result.ttlMs ?? this.#options.resultTtlMs,
              "any",
            );
    const saved = await release.then(
      () => !("entry" in result) || result.entry !== null,
      () => false,
    );
    return { value: result.value, saved };
  }

  /** `key` is always one of this id's (a cluster needs every key a script touches named). */
  #release(
    id: string,
    token: string,
    key: string,
    value: string,
    ttlMs: number,
    mode: FinishMode,
  ): Promise<number> {
    return redisCall(() =>
      this.#finish.exec(
        [this.#keys.lock(id), key],
        [token, value, String(Math.max(1, Math.round(ttlMs))), mode],
      ),
    );
  }
}
