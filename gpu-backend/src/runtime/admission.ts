/**
 * Load shedding for analyses: at most `concurrent` run at once and at most `queue` wait. Beyond
 * that a request is refused at once (the server answers 503 with Retry-After) instead of letting
 * latency grow without bound. A waiting request whose caller hung up leaves the queue at once, so
 * an overloaded backend does not spend its slots on answers nobody reads.
 */
export class OverloadedError extends Error {
  constructor(readonly retryAfterS: number) {
    super("the inference backend is at capacity");
  }
}

/** The instance is shutting down: a waiting request was never started and may go elsewhere. */
export class DrainingError extends Error {
  constructor() {
    super("the inference backend is shutting down");
  }
}

interface Waiter {
  readonly admit: () => void;
  readonly refuse: (reason: Error) => void;
}

export class Admission {
  private running = 0;
  private draining = false;
  private readonly waiting: Waiter[] = [];
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

  /**
   * Run `task` when admitted; throws OverloadedError when the queue is full, and the signal's
   * reason when it aborts before the task was admitted (the task then never runs).
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    // A request that reached here after drain() (its body arrived late) is new work too.
    if (this.draining) throw new DrainingError();
    if (this.running >= this.concurrent) {
      if (this.waiting.length >= this.queue) throw new OverloadedError(this.retryAfterS());
      await this.wait(signal);
    } else this.running++;
    const started = performance.now();
    try {
      return await task();
    } finally {
      // Exponential moving average of service time, for Retry-After estimates.
      this.recentMs = 0.8 * this.recentMs + 0.2 * (performance.now() - started);
      const next = this.waiting.shift();
      if (next) next.admit();
      else this.running--;
    }
  }

  /**
   * Refuse every waiting request with DrainingError, and every later one (they never started:
   * another instance can take them at once, while this one's grace period is spent on what
   * already runs).
   */
  drain(): number {
    this.draining = true;
    const refused = this.waiting.splice(0);
    for (const w of refused) w.refuse(new DrainingError());
    return refused.length;
  }

  /** Seconds until a retry is likely to be admitted: the queue drained at the recent pace. */
  retryAfterS(): number {
    const ahead = this.waiting.length + this.running;
    return Math.max(1, Math.ceil((ahead * this.recentMs) / this.concurrent / 1_000));
  }

  /** Wait for a running task to hand over its slot (the slot passes on without being freed). */
  private wait(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        admit: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        refuse: (reason) => {
          signal?.removeEventListener("abort", onAbort);
          reject(reason);
        },
      };
      this.waiting.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
