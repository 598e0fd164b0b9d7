/**
 * A pool of inference workers, each with its own onnxruntime session. Tiles are dispatched to the
 * first idle worker; when all are busy they wait in FIFO order. Admission (how much may wait) is
 * decided a level up, per analysis, by `Admission`.
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
}

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
  readonly worker: Worker;
  job: Job | undefined;
  id: number;
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
  private readonly queue: Job[] = [];
  private closing = false;
  private inferences = 0;

  private constructor(slots: Slot[], ready: WorkerReady) {
    this.slots = slots;
    this.size = slots.length;
    this.provider = ready.provider;
    this.fallbacks = ready.fallbacks;
    for (const slot of slots) this.listen(slot);
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
      slots.push({ worker, job: undefined, id: 0 });
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
    return new InferencePool(slots, (settled[0] as PromiseFulfilledResult<WorkerReady>).value);
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

  /** Run one NCHW batch. The input buffer is transferred to a worker and unusable afterwards. */
  run(input: Float32Array, dims: readonly [number, number, number, number]): Promise<InferenceResult> {
    if (this.closing) return Promise.reject(new Error("inference pool is shutting down"));
    return new Promise((resolve, reject) => {
      this.queue.push({ input, dims, resolve, reject });
      this.dispatch();
    });
  }

  /** Finish what is queued and running, then stop the workers. */
  async close(): Promise<void> {
    this.closing = true;
    while (this.queue.length > 0 || this.busy > 0) await new Promise((r) => setTimeout(r, 10));
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.worker.once("exit", () => resolve());
            s.worker.postMessage({ type: "close" });
            setTimeout(() => void s.worker.terminate().then(() => resolve()), 2_000).unref();
          }),
      ),
    );
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job) continue;
      const job = this.queue.shift();
      if (!job) return;
      slot.job = job;
      slot.id++;
      slot.worker.postMessage({ type: "run", id: slot.id, input: job.input, dims: job.dims }, [
        job.input.buffer as ArrayBuffer,
      ]);
    }
  }

  private listen(slot: Slot): void {
    slot.worker.on("message", (m: RunReply) => {
      const job = slot.job;
      if (!job || m.id !== slot.id) return;
      slot.job = undefined;
      if (m.type === "result") {
        this.inferences++;
        job.resolve({ logits: m.logits, classes: m.classes, ms: m.ms });
      } else job.reject(new Error(m.error));
      this.dispatch();
    });
    slot.worker.on("error", (e) => {
      slot.job?.reject(e);
      slot.job = undefined;
    });
  }
}
