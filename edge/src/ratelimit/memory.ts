/**
 * The fallback limiter of the fail-open Redis policy: the same sliding-window approximation as
 * @upstash/ratelimit (weighted previous window + current window), kept in this isolate's memory.
 * It bounds one user's load on the backend per isolate while Redis is down; it is not global.
 */
export interface LimitDecision {
  readonly success: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** End of the current window, epoch ms. */
  readonly reset: number;
}

interface Counter {
  window: number;
  current: number;
  previous: number;
}

export class MemorySlidingWindow {
  readonly #counters = new Map<string, Counter>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxUsers = 10_000,
  ) {}

  check(user: string, now: number = Date.now()): LimitDecision {
    const window = Math.floor(now / this.windowMs);
    let c = this.#counters.get(user);
    if (!c) {
      if (this.#counters.size >= this.maxUsers) {
        // Forget the least recently inserted user: bounded memory matters more than their count.
        const oldest = this.#counters.keys().next().value;
        if (oldest !== undefined) this.#counters.delete(oldest);
      }
      c = { window, current: 0, previous: 0 };
      this.#counters.set(user, c);
    }
    if (c.window !== window) {
      c.previous = c.window === window - 1 ? c.current : 0;
      c.current = 0;
      c.window = window;
    }
    const fraction = (now % this.windowMs) / this.windowMs;
    const used = Math.ceil(c.previous * (1 - fraction)) + c.current;
    const reset = (window + 1) * this.windowMs;
    if (used >= this.limit) return { success: false, limit: this.limit, remaining: 0, reset };
    c.current++;
    return { success: true, limit: this.limit, remaining: this.limit - used - 1, reset };
  }
}
