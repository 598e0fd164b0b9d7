/**
 * The Redis commands of one request, sent to Upstash in ONE `/pipeline` call: everything added in
 * the same synchronous turn goes out together on the next microtask (a later command starts a new
 * batch, so nothing is ever lost, only not combined).
 *
 * On a cache hit this is the whole Redis cost of the request: the rate limiter's script and the
 * result GET travel together, so the hit pays one round trip instead of two. Each round trip is a
 * `fetch` from the isolate, which dominates the hit path's CPU time on Workers.
 *
 * It implements the part of @upstash/redis that @upstash/ratelimit's single-region algorithms call
 * (`evalsha`, and `eval` after a NOSCRIPT), so the library runs its own script, keys and result
 * handling unchanged and only the transport is shared. Commands run in order on the server, each
 * succeeding or failing on its own (`{error}` of one command rejects only its own promise); a
 * transport failure (Redis unreachable, timeout) rejects every command of the batch.
 */
import type { Redis } from "./client.js";

type Pipeline = ReturnType<Redis["pipeline"]>;

interface Waiter {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Pending {
  readonly pipeline: Pipeline;
  readonly waiters: Waiter[];
}

/** A command's own error reply (e.g. NOSCRIPT), with Redis's message as the error message. */
export class RedisCommandError extends Error {
  override readonly name = "RedisCommandError";
}

export class RequestBatch {
  #pending: Pending | null = null;
  /** Round trips this batch made (for tests and Server-Timing descriptions). */
  sent = 0;

  constructor(private readonly redis: Redis) {}

  /** The stored string, or null when absent (values come back as stored: no deserialisation). */
  get(key: string): Promise<string | null> {
    return this.#add((p) => p.get(key));
  }

  /** Bytes `start`..`end` (inclusive) of the stored string; "" when the key is absent. */
  getrange(key: string, start: number, end: number): Promise<string> {
    return this.#add((p) => p.getrange(key, start, end));
  }

  evalsha<TArgs extends unknown[], TData = unknown>(
    sha1: string,
    keys: string[],
    args: TArgs,
  ): Promise<TData> {
    return this.#add((p) => p.evalsha(sha1, keys, args));
  }

  eval<TArgs extends unknown[], TData = unknown>(
    script: string,
    keys: string[],
    args: TArgs,
  ): Promise<TData> {
    return this.#add((p) => p.eval(script, keys, args));
  }

  #add<T>(enqueue: (pipeline: Pipeline) => void): Promise<T> {
    let batch = this.#pending;
    if (!batch) {
      const created: Pending = { pipeline: this.redis.pipeline(), waiters: [] };
      this.#pending = batch = created;
      queueMicrotask(() => void this.#flush(created));
    }
    enqueue(batch.pipeline);
    const waiters = batch.waiters;
    return new Promise<T>((resolve, reject) => {
      waiters.push({ resolve: resolve as (value: unknown) => void, reject });
    });
  }

  async #flush(batch: Pending): Promise<void> {
    if (this.#pending === batch) this.#pending = null;
    this.sent++;
    let results: { error?: string | undefined; result?: unknown }[];
    try {
      results = await batch.pipeline.exec({ keepErrors: true });
    } catch (error) {
      for (const w of batch.waiters) w.reject(error);
      return;
    }
    batch.waiters.forEach((w, i) => {
      const item = results[i];
      if (!item) w.reject(new RedisCommandError("no reply for this command"));
      else if (item.error) w.reject(new RedisCommandError(item.error));
      else w.resolve(item.result);
    });
  }
}
