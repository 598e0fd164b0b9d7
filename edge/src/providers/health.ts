/**
 * Provider health, shared by every isolate through Redis: each failure the backend reports
 * (outcome failed/timeout) increments `{prefix}provider-failures:{name}` and restarts its expiry
 * (the cooldown); a success deletes it. A provider with at least `failureThreshold` failures is
 * unhealthy until the key expires, i.e. `cooldownS` after its last failure.
 */
import type { ImageryProviderName, ProviderAttempt } from "@lanesegnet/shared";
import type { Redis } from "../redis/client.js";
import type { KeySpace } from "../redis/keys.js";

export interface ProviderHealth {
  readonly provider: ImageryProviderName;
  readonly healthy: boolean;
  readonly recentFailures: number;
  /** Seconds until a failing provider is tried again (0 when healthy). */
  readonly retryInS: number;
}

export class ProviderHealthStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
    private readonly failureThreshold: number,
    private readonly cooldownS: number,
  ) {}

  /** Health of each provider (one pipelined round trip). Throws when Redis fails. */
  async read(providers: readonly ImageryProviderName[]): Promise<ProviderHealth[]> {
    if (providers.length === 0) return [];
    const p = this.redis.pipeline();
    for (const name of providers) {
      p.get(this.keys.providerFailures(name));
      p.ttl(this.keys.providerFailures(name));
    }
    const replies = await p.exec<(string | number | null)[]>();
    return providers.map((provider, i) => {
      const failures = Number(replies[2 * i] ?? 0) || 0;
      const ttl = Number(replies[2 * i + 1] ?? -2);
      const healthy = failures < this.failureThreshold;
      return { provider, healthy, recentFailures: failures, retryInS: healthy ? 0 : Math.max(0, ttl) };
    });
  }

  /** Record what the backend reported (one pipelined round trip; nothing to do: no request). */
  async record(attempts: readonly ProviderAttempt[]): Promise<void> {
    const p = this.redis.pipeline();
    let n = 0;
    for (const a of attempts) {
      const key = this.keys.providerFailures(a.provider);
      if (a.outcome === "failed" || a.outcome === "timeout") {
        p.incr(key);
        p.expire(key, this.cooldownS);
        n++;
      } else if (a.outcome === "used") {
        p.del(key);
        n++;
      }
    }
    if (n > 0) await p.exec();
  }
}
