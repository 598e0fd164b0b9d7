/**
 * The one @upstash/redis client of an isolate, tuned for the hot path: values come back as the
 * exact strings stored (no base64 transport encoding, no JSON.parse of values), no auto-pipelining
 * (explicit pipelines where commands belong together; measured faster on workerd), one retry of
 * a failed connection only, and a per-command timeout so a hung Redis counts as a down one.
 */
import { Redis } from "@upstash/redis/cloudflare";

export interface RedisClientOptions {
  readonly url: string;
  readonly token: string;
  readonly timeoutMs: number;
}

/** One reply of a pipeline: the command's result, or its own error message. */
export interface PipelineReply {
  readonly result?: unknown;
  readonly error?: string;
}

/** A command as Upstash's REST API takes it: the name, then its arguments. */
export type RawCommand = readonly (string | number | boolean)[];

/**
 * @upstash/redis with one addition: a pipeline sent from raw commands. The library's `Pipeline`
 * defines each of its ~300 command methods as an instance field, so every `redis.pipeline()`
 * allocates ~300 closures (~5 KB per request on the hit path, measured with V8's sampling heap
 * profiler in workerd); the request itself (auth header, retries, timeout signal, errors) is the
 * library's own.
 */
export class EdgeRedis extends Redis {
  /** Send `commands` in one `/pipeline` call; replies in order, each with its own error. */
  async pipelineCommands(commands: readonly RawCommand[]): Promise<PipelineReply[]> {
    const replies: unknown = await this.client.request({ path: ["pipeline"], body: commands });
    if (!Array.isArray(replies) || replies.length !== commands.length) {
      throw new Error("the pipeline's reply does not match its commands");
    }
    return replies as PipelineReply[];
  }
}

export function createRedisClient(options: RedisClientOptions): EdgeRedis {
  return new EdgeRedis({
    url: options.url,
    token: options.token,
    // Values are stored and returned as text; with base64 transport the client would decode
    // every value byte by byte (and mangle non-UTF-8 anyway).
    responseEncoding: false,
    automaticDeserialization: false,
    enableAutoPipelining: false,
    enableTelemetry: false,
    // Not read-your-writes tokens: the edge never depends on read-after-write across regions.
    readYourWrites: false,
    // One retry after a connection error (a reused keep-alive socket closed by the server). More
    // retries would stretch an outage into seconds per request, and each retry of a non-idempotent
    // command (the rate limiter's script) may count twice.
    retry: { retries: 1, backoff: () => 25 },
    signal: () => AbortSignal.timeout(options.timeoutMs),
  });
}

export type { Redis };

/** Redis (or the REST layer in front of it) could not answer: unreachable, timed out or refused. */
export class RedisUnavailableError extends Error {
  override readonly name = "RedisUnavailableError";
}

/** Run a Redis operation, turning any failure into RedisUnavailableError (the cause kept for logs). */
export async function redisCall<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw new RedisUnavailableError("redis unavailable", { cause: error });
  }
}
