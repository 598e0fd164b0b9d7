/**
 * Load shedding for analyses: at most `concurrent` run at once and at most `queue` wait. Beyond
 * that a request is refused at once (the server answers 503 with Retry-After) instead of letting
 * latency grow without bound.
 */
export class OverloadedError extends Error {
  constructor(readonly retryAfterS: number) {
    super("the inference backend is at capacity");
  }
}

export class Admission {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private recentMs = 1_000;

  constructor(
    private readonly concurrent: number,
    private readonly queue: number,
  ) {}

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Run `task` when admitted; throws OverloadedError when the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrent) {
      if (this.waiting.length >= this.queue) throw new OverloadedError(this.retryAfterS());
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    const started = performance.now();
    try {
      return await task();
    } finally {
      // Exponential moving average of service time, for Retry-After estimates.
      this.recentMs = 0.8 * this.recentMs + 0.2 * (performance.now() - started);
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Seconds until a retry is likely to be admitted: the queue drained at the recent pace. */
  retryAfterS(): number {
    const ahead = this.waiting.length + this.running;
    return Math.max(1, Math.ceil((ahead * this.recentMs) / this.concurrent / 1_000));
  }
}
