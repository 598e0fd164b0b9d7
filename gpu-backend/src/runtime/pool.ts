/**
 * A pool of inference workers, each with its own onnxruntime session. Tiles are dispatched to the
 * first idle worker; when all are busy they wait in FIFO order. Admission (how much may wait) is
 * decided a level up, per analysis, by `Admission`.
 *
 * A worker that dies (an uncaught error, running out of memory, terminated from outside) fails the
 * one job it was running and is replaced by a new worker that loads the model again; jobs wait for
 * the live workers meanwhile. When no worker is left and none is loading, every waiting and every
 * later job fails at once instead of waiting for ever.
 *
 * A run that takes longer than `runTimeoutMs` is taken to be hung (a stuck GPU driver, a runaway
 * kernel): its job fails at once and its worker is retired and replaced. A retired worker cannot be
 * terminated (terminating a thread inside onnxruntime's run aborts the whole process), so it is
 * asked to exit once its run ends, and it holds its threads and memory until then. At most `size`
 * retired workers may still be running: beyond that the slot goes down instead of being replaced,
 * and with no live worker left /readyz says so, for the orchestrator to restart the process.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { RunReply, WorkerFailed, WorkerInit, WorkerReady } from "./protocol.js";

export interface PoolOptions {
  readonly modelPath: string;
  readonly executionProviders: readonly string[];
  /** Number of workers; each runs one session. */
  readonly workers?: number;
  /** Threads per session; default splits the machine's cores across the workers. */
  readonly threadsPerWorker?: number;
  /** Told when a worker dies (it is being replaced); for the log and the metrics. */
  readonly onWorkerLost?: (why: string) => void;
  /** Told after every completed model run (one per batch); for the metrics. */
  readonly onInference?: () => void;
  /**
   * A run longer than this per tile of its batch is hung: its job fails and its worker is replaced.
   * A replacement that takes longer to load the model (and at least a minute) counts as down until
   * it answers.
   */
  readonly runTimeoutMs?: number;
  /** Told when a run outlived `runTimeoutMs` (instead of `onWorkerLost`); for the log and the metrics. */
  readonly onRunHung?: (why: string) => void;
  /**
   * Told when a replacement has loaded the model, with its execution provider: it may differ from
   * the pool's (a GPU still held by a retired worker: the replacement falls back to the CPU).
   */
  readonly onReplacementReady?: (provider: string) => void;
}

/** Node's timers take at most this; a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** A model load (a CUDA session's start included) gets at least this long before it counts as stalled. */
const MIN_LOAD_TIMEOUT_MS = 60_000;

/** Far beyond any healthy run (one 1024² tile: ~0.2 s on 2 CPU cores, ~0.02 s on a GPU). */
export const DEFAULT_RUN_TIMEOUT_MS = 60_000;

/**
 * The job could not run for a reason of the pool's, not of its input (no live worker, a worker lost
 * or hung, a shutdown): the same request can succeed again shortly.
 */
export class InferenceUnavailableError extends Error {}

export interface InferenceResult {
  /** Raw NCHW logits of the batch (no softmax: see worker.ts). */
  readonly logits: Float32Array;
  readonly classes: number;
  readonly ms: number;
}

interface Job {
  readonly input: Float32Array;
  readonly dims: readonly [number, number, number, number];
  resolve(r: InferenceResult): void;
  reject(e: Error): void;
}

interface Slot {
  /** Replaced when it dies. */
  worker: Worker;
  job: Job | undefined;
  /**
   * A run is on the worker (until its reply), even once its job was given up at shutdown:
   * terminating a worker inside onnxruntime's run aborts the whole process (SIGABRT).
   */
  running: boolean;
  id: number;
  /** "loading": a replacement is loading the model; "down": it could not. */
  state: "ready" | "loading" | "down";
  /** The watchdog of the run in progress, or of a replacement's model load. */
  watchdog: ReturnType<typeof setTimeout> | undefined;
  /** Down because too many retired workers still run (see `hang`): back when one of them exits. */
  cappedDown: boolean;
  /** A replacement still loading after the watchdog's time: counted as down until it answers. */
  stalled: boolean;
  /** The execution provider its worker loaded the model on. */
  provider: string;
}

/**
 * Worker entry: the bundled worker.js in production builds; under tsx/vitest the TypeScript source,
 * loaded through a tiny bootstrap that registers tsx in the worker (loader flags in a worker's
 * execArgv are not honoured by Node 20).
 */
function spawnWorker(init: WorkerInit): Worker {
  const self = import.meta.url;
  if (!self.endsWith(".ts")) return new Worker(new URL("./worker.js", self), { workerData: init });
  const tsx = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./worker.ts", self).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: init });
}

export class InferencePool {
  readonly provider: string;
  readonly fallbacks: readonly { provider: string; error: string }[];
  readonly size: number;
  private readonly slots: Slot[];
  private readonly init: WorkerInit;
  private readonly onWorkerLost: ((why: string) => void) | undefined;
  private readonly onInference: (() => void) | undefined;
  private readonly onRunHung: ((why: string) => void) | undefined;
  private readonly onReplacementReady: ((provider: string) => void) | undefined;
  private readonly runTimeoutMs: number;
  /** Workers retired in a hung run, until they exit. */
  private readonly retired = new Set<Worker>();
  /** Workers whose end was handled. */
  private readonly ended = new WeakSet<Worker>();
  private readonly queue: Job[] = [];
  private closing = false;
  private inferences = 0;
  private replaced = 0;

  private constructor(
    slots: Slot[],
    ready: WorkerReady,
    init: WorkerInit,
    hooks: Pick<
      PoolOptions,
      "onWorkerLost" | "onInference" | "onRunHung" | "onReplacementReady" | "runTimeoutMs"
    >,
  ) {
    this.slots = slots;
    this.init = init;
    this.onWorkerLost = hooks.onWorkerLost;
    this.onInference = hooks.onInference;
    this.runTimeoutMs = hooks.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
    this.onRunHung = hooks.onRunHung;
    this.onReplacementReady = hooks.onReplacementReady;
    this.size = slots.length;
    this.provider = ready.provider;
    this.fallbacks = ready.fallbacks;
    for (const slot of slots) this.listen(slot, slot.worker);
  }

  static async start(opts: PoolOptions): Promise<InferencePool> {
    const cores = availableParallelism();
    const workers = Math.max(1, opts.workers ?? 1);
    const threads = Math.max(1, opts.threadsPerWorker ?? Math.floor(cores / workers));
    const init: WorkerInit = {
      modelPath: opts.modelPath,
      executionProviders: opts.executionProviders,
      intraOpNumThreads: threads,
    };
    const slots: Slot[] = [];
    const readies: Promise<WorkerReady>[] = [];
    for (let i = 0; i < workers; i++) {
      const worker = spawnWorker(init);
      slots.push({
        worker,
        job: undefined,
        running: false,
        id: 0,
        state: "ready",
        watchdog: undefined,
        cappedDown: false,
        stalled: false,
        provider: "",
      });
      readies.push(
        new Promise((resolve, reject) => {
          const onMessage = (m: WorkerReady | WorkerFailed) => {
            worker.off("error", reject);
            if (m.type === "ready") resolve(m);
            else reject(new Error(m.error));
          };
          worker.once("message", onMessage);
          worker.once("error", reject);
        }),
      );
    }
    // Every worker answers before any is terminated: terminating one while onnxruntime is still
    // loading the model in it aborts the whole process (a native error thrown into a torn-down
    // worker: "terminate called after throwing an instance of 'Napi::Error'"), so a model that
    // fails in the first worker to answer must not cut the others short.
    const settled = await Promise.allSettled(readies);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw failed.reason;
    }
    settled.forEach((r, i) => {
      slots[i]!.provider = (r as PromiseFulfilledResult<WorkerReady>).value.provider;
    });
    return new InferencePool(slots, (settled[0] as PromiseFulfilledResult<WorkerReady>).value, init, opts);
  }

  get queued(): number {
    return this.queue.length;
  }

  get busy(): number {
    return this.slots.filter((s) => s.job).length;
  }

  get completed(): number {
    return this.inferences;
  }

  /** Workers that died, or were retired in a hung run, and were replaced since the start. */
  get replacements(): number {
    return this.replaced;
  }

  /** Workers retired in a hung run that have not exited yet. */
  get hung(): number {
    return this.retired.size;
  }

  /** The execution providers that live workers run on (the pool's, and a replacement's fallback). */
  get providersInUse(): ReadonlySet<string> {
    return new Set(this.slots.filter((s) => s.state === "ready").map((s) => s.provider));
  }

  /** Workers that run jobs now (the others are loading a replacement, or could not). */
  get live(): number {
    return this.slots.filter((s) => s.state === "ready").length;
  }

  /**
   * Run one NCHW batch. The input buffer is transferred to a worker and unusable afterwards.
   * A job still queued when `signal` aborts leaves the queue and fails with the signal's reason;
   * one already on a worker runs to its end (onnxruntime cannot stop a run part-way).
   */
  run(
    input: Float32Array,
    dims: readonly [number, number, number, number],
    signal?: AbortSignal,
  ): Promise<InferenceResult> {
    if (this.closing) return Promise.reject(new InferenceUnavailableError("inference pool is shutting down"));
    if (this.slots.every(unusable))
      return Promise.reject(new InferenceUnavailableError("no inference worker is running"));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const at = this.queue.indexOf(job);
        if (at < 0) return;
        this.queue.splice(at, 1);
        reject(signal!.reason);
      };
      const settled = () => signal?.removeEventListener("abort", onAbort);
      const job: Job = {
        input,
        dims,
        resolve: (r) => {
          settled();
          resolve(r);
        },
        reject: (e) => {
          settled();
          reject(e);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(job);
      this.dispatch();
    });
  }

  /**
   * Finish what is queued and running, then stop the workers. After `timeoutMs` whatever has not
   * finished fails, so a stuck inference cannot hold a shutdown for ever.
   */
  async close(timeoutMs = 30_000): Promise<void> {
    this.closing = true;
    const deadline = Date.now() + timeoutMs;
    while ((this.queue.length > 0 || this.busy > 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    const stopped = new InferenceUnavailableError("inference pool stopped before the job finished");
    for (const job of this.queue.splice(0)) job.reject(stopped);
    for (const slot of this.slots) {
      clearTimeout(slot.watchdog);
      slot.job?.reject(stopped);
      slot.job = undefined;
    }
    // Each worker finishes the run it is in (one tile, bounded), releases its session and exits.
    // Only a worker that is in no run is terminated when it does not exit by itself; one stuck in
    // a run for a minute more (a hung GPU) is terminated too, as the lesser evil.
    await Promise.all([
      // A replacement still loading the model is as untouchable as a run (see start()).
      ...this.slots
        .filter((s) => !this.retired.has(s.worker))
        .map((s) => stopWorker(s.worker, () => s.running || s.state === "loading")),
      // A retired worker was asked to exit when it was retired; it is in its hung run until then.
      ...[...this.retired].map((w) => stopWorker(w, () => this.retired.has(w), false)),
    ]);
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job || slot.state !== "ready") continue;
      const job = this.queue.shift();
      if (!job) return;
      slot.job = job;
      slot.running = true;
      slot.id++;
      const { worker, id } = slot;
      // Per tile: a batch of eight may take eight times one tile's time.
      const limitMs = Math.min(this.runTimeoutMs * Math.max(1, job.dims[0]), MAX_TIMER_MS);
      slot.watchdog = setTimeout(() => this.hang(slot, worker, id, limitMs), limitMs);
      slot.worker.postMessage({ type: "run", id: slot.id, input: job.input, dims: job.dims }, [
        job.input.buffer as ArrayBuffer,
      ]);
    }
  }

  private listen(slot: Slot, worker: Worker): void {
    worker.on("message", (m: RunReply) => {
      if (slot.worker === worker && m.id === slot.id) {
        slot.running = false;
        clearTimeout(slot.watchdog);
      }
      const job = slot.job;
      if (slot.worker !== worker || !job || m.id !== slot.id) return;
      slot.job = undefined;
      if (m.type === "result") {
        this.inferences++;
        this.onInference?.();
        job.resolve({ logits: m.logits, classes: m.classes, ms: m.ms });
      } else job.reject(new Error(m.error));
      this.dispatch();
    });
    // An uncaught error is followed by "exit"; either one alone also ends the worker.
    worker.on("error", (e) => this.lost(slot, worker, e.message));
    worker.on("exit", (code) => this.lost(slot, worker, `exit code ${code}`));
  }

  /**
   * A run outlived the watchdog: fail its job now, retire its worker (asked to exit after the run,
   * never terminated inside it) and load a replacement while few enough retired workers still run.
   */
  private hang(slot: Slot, worker: Worker, id: number, limitMs: number): void {
    if (slot.worker !== worker || slot.id !== id || !slot.running || this.closing) return;
    const why = `an inference run took longer than ${limitMs} ms`;
    const job = slot.job;
    slot.job = undefined;
    slot.running = false;
    this.retired.add(worker);
    worker.postMessage({ type: "close" });
    job?.reject(new InferenceUnavailableError(`${why}; its worker was retired`));
    (this.onRunHung ?? this.onWorkerLost)?.(why);
    if (this.retired.size > this.size) {
      // A new worker per hung one would pile up threads and memory: down until a retired one exits.
      slot.state = "down";
      slot.cappedDown = true;
      this.failWaitingIfNoneLeft();
      return;
    }
    this.replaced++;
    this.replace(slot);
  }

  /** A worker ended: fail its job and load a replacement (not while closing: then it was asked to stop). */
  private lost(slot: Slot, worker: Worker, why: string): void {
    // "error" is followed by "exit": one end per worker (a second one replaced its slot again).
    if (this.ended.has(worker)) return;
    this.ended.add(worker);
    if (this.retired.delete(worker)) {
      // A retired worker's hung run ended and it exited as asked: one slot the cap holds down (its
      // own or another's) loads a worker again.
      const capped = this.slots.find((s) => s.cappedDown);
      if (capped && !this.closing && this.retired.size <= this.size) {
        capped.cappedDown = false;
        this.replaced++;
        this.replace(capped);
      }
      return;
    }
    if (slot.worker === worker) {
      slot.running = false;
      clearTimeout(slot.watchdog);
    }
    if (slot.worker !== worker || this.closing) return;
    const job = slot.job;
    slot.job = undefined;
    job?.reject(new InferenceUnavailableError(`inference worker stopped (${why})`));
    this.replaced++;
    this.onWorkerLost?.(why);
    this.replace(slot);
  }

  private failWaitingIfNoneLeft(): void {
    if (!this.slots.every(unusable)) return;
    const none = new InferenceUnavailableError("no inference worker is running");
    for (const job of this.queue.splice(0)) job.reject(none);
  }

  private replace(slot: Slot): void {
    const worker = spawnWorker(this.init);
    slot.worker = worker;
    slot.state = "loading";
    slot.stalled = false;
    slot.cappedDown = false;
    // A load that hangs (a stuck driver) cannot be cut off either (terminating a thread inside it
    // aborts the process): the slot counts as down meanwhile, so jobs fail instead of waiting.
    clearTimeout(slot.watchdog);
    slot.watchdog = setTimeout(
      () => {
        if (slot.worker !== worker || slot.state !== "loading") return;
        slot.stalled = true;
        this.failWaitingIfNoneLeft();
      },
      Math.min(Math.max(this.runTimeoutMs, MIN_LOAD_TIMEOUT_MS), MAX_TIMER_MS),
    );
    const down = () => {
      if (slot.worker !== worker || slot.state !== "loading") return;
      clearTimeout(slot.watchdog);
      slot.state = "down";
      slot.stalled = false;
      void worker.terminate();
      this.failWaitingIfNoneLeft();
    };
    worker.once("message", (m: WorkerReady | WorkerFailed) => {
      if (m.type !== "ready") return down();
      if (slot.worker !== worker) return;
      clearTimeout(slot.watchdog);
      slot.stalled = false;
      if (this.closing) {
        void worker.terminate();
        return;
      }
      slot.provider = m.provider;
      slot.state = "ready";
      this.onReplacementReady?.(m.provider);
      this.listen(slot, worker);
      this.dispatch();
    });
    worker.once("error", down);
    worker.once("exit", down);
  }
}

/** A slot no job can go to now or soon: down, or a replacement whose load has stalled. */
const unusable = (s: Slot) => s.state === "down" || (s.state === "loading" && s.stalled);

/**
 * Ask a worker to exit and wait until it has. While `inRun()` it is inside onnxruntime's run, where
 * terminating it aborts the process: it is left to finish for up to a minute (then terminated, as
 * the lesser evil at shutdown). Out of its run it gets 2 s to release its session by itself.
 */
function stopWorker(worker: Worker, inRun: () => boolean, ask = true): Promise<void> {
  return new Promise<void>((resolve) => {
    // One that already exited (a replacement that loaded while the pool was closing) emits no "exit".
    if (worker.threadId < 0) return resolve();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    worker.once("exit", done);
    if (ask) worker.postMessage({ type: "close" });
    const until = Date.now() + 60_000;
    // Not unref'd: the process must stay up until the worker is gone, or close() never settles.
    const terminate = () => void worker.terminate().then(done);
    const check = () => {
      if (!inRun()) timer = setTimeout(terminate, 2_000);
      else if (Date.now() >= until) terminate();
      else timer = setTimeout(check, 100);
    };
    check();
  });
}
