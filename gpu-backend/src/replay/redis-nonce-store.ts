/**
 * Replay protection shared by every backend instance: each accepted nonce is claimed in Redis with
 * `SET key 1 NX PX ttl`, so a signed request captured and replayed within the skew window is refused
 * by whichever instance the load balancer picks, not only by the one that served it first.
 *
 * Redis is an aid here, not a dependency of serving: every nonce is also recorded in this process's
 * own NonceCache, and when Redis cannot answer in time (down, slow, not yet connected) the local cache
 * decides alone, which is the per-process guarantee the backend has without Redis. Each such decision
 * is reported through `onFallback` (a metric and a log line), so an outage is visible.
 */
import { NonceCache, type NonceCheck } from "@lanesegnet/shared";
import { createClient } from "redis";

/** What verify-signature needs: a decision per nonce (the local NonceCache is one, synchronously). */
export interface NonceStore {
  check(nonce: string): NonceCheck | Promise<NonceCheck>;
}

export interface RedisNonceStoreOptions {
  readonly url: string;
  /** Prepended to each nonce's key (deployments can share one Redis). */
  readonly keyPrefix: string;
  /** How long a nonce stays claimed; at least twice the signature's clock-skew window. */
  readonly ttlMs: number;
  /** Longest wait for Redis per request before the local cache decides alone. */
  readonly timeoutMs: number;
  readonly onFallback?: (error: unknown) => void;
}

function clientFor(url: string) {
  return createClient({
    url,
    // Commands fail at once while disconnected instead of queueing behind the reconnect.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2_000,
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 5_000),
    },
  });
}

type Client = ReturnType<typeof clientFor>;

export class RedisNonceStore implements NonceStore {
  readonly #client: Client;
  readonly #local: NonceCache;
  readonly #opts: RedisNonceStoreOptions;

  private constructor(opts: RedisNonceStoreOptions) {
    this.#opts = opts;
    this.#local = new NonceCache({ ttlMs: opts.ttlMs });
    this.#client = clientFor(opts.url);
  }

  /**
   * Connect in the background: the backend starts and serves (local decisions, reported) even when
   * Redis is not reachable yet; node-redis keeps reconnecting.
   */
  static open(opts: RedisNonceStoreOptions): RedisNonceStore {
    const store = new RedisNonceStore(opts);
    // Connection errors surface as failed commands (and onFallback); the event only needs a listener.
    store.#client.on("error", () => {});
    store.#client.connect().catch(() => {});
    return store;
  }

  async check(nonce: string): Promise<NonceCheck> {
    const local = this.#local.check(nonce);
    if (local === "replayed") return "replayed";
    try {
      const claimed = await this.#claim(nonce);
      return claimed ? "fresh" : "replayed";
    } catch (error) {
      this.#opts.onFallback?.(error);
      return local;
    }
  }

  async close(): Promise<void> {
    try {
      await this.#client.close();
    } catch {
      this.#client.destroy();
    }
  }

  async #claim(nonce: string): Promise<boolean> {
    if (!this.#client.isReady) throw new Error("replay store: redis not connected");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("replay store: redis timed out")), this.#opts.timeoutMs);
    });
    try {
      const reply = await Promise.race([
        this.#client.set(this.#opts.keyPrefix + nonce, "1", {
          condition: "NX",
          expiration: { type: "PX", value: this.#opts.ttlMs },
        }),
        timeout,
      ]);
      return reply === "OK";
    } finally {
      clearTimeout(timer);
    }
  }
}
