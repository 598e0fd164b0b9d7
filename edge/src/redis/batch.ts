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
import type { EdgeRedis, PipelineReply, RawCommand } from "./client.js";

interface Waiter {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Pending {
  readonly commands: RawCommand[];
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

  constructor(private readonly redis: EdgeRedis) {}

  /** The stored string, or null when absent (values come back as stored: no deserialisation). */
  get(key: string): Promise<string | null> {
    return this.#add(["get", key]);
  }

  /** Bytes `start`..`end` (inclusive) of the stored string; "" when the key is absent. */
  getrange(key: string, start: number, end: number): Promise<string> {
    return this.#add(["getrange", key, start, end]);
  }

  evalsha<TArgs extends unknown[], TData = unknown>(
    sha1: string,
    keys: string[],
    args: TArgs,
  ): Promise<TData> {
    return this.#add(["evalsha", sha1, keys.length, ...keys, ...args.map(argument)]);
  }

  eval<TArgs extends unknown[], TData = unknown>(
    script: string,
    keys: string[],
    args: TArgs,
  ): Promise<TData> {
    return this.#add(["eval", script, keys.length, ...keys, ...args.map(argument)]);
  }

  #add<T>(command: RawCommand): Promise<T> {
    let batch = this.#pending;
    if (!batch) {
      const created: Pending = { commands: [], waiters: [] };
      this.#pending = batch = created;
      queueMicrotask(() => void this.#flush(created));
    }
    batch.commands.push(command);
    const waiters = batch.waiters;
    return new Promise<T>((resolve, reject) => {
      waiters.push({ resolve: resolve as (value: unknown) => void, reject });
    });
  }

  async #flush(batch: Pending): Promise<void> {
    if (this.#pending === batch) this.#pending = null;
    this.sent++;
    let results: PipelineReply[];
    try {
      results = await this.redis.pipelineCommands(batch.commands);
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

/** A script argument as @upstash/redis sends it: strings, numbers and booleans as they are, the rest as JSON. */
function argument(value: unknown): string | number | boolean {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  return JSON.stringify(value) ?? "null";
}
