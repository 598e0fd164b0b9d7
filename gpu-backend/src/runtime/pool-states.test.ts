/**
 * The pool's bookkeeping in orders of events that real workers produce only rarely (a retired
 * worker that dies of an error while the cap holds its slot down), driven event by event. The
 * workers here are stand-ins for node:worker_threads' Worker that answer only when told to; the
 * pool itself is the real one. pool.test.ts runs the same pool on real workers and the real model.
 */
import { EventEmitter } from "node:events";
import { expect, it, vi } from "vitest";

class FakeWorker extends EventEmitter {
  static readonly all: FakeWorker[] = [];
  /** The execution provider the next worker says it loaded the model on. */
  static provider = "cpu";
  /** Whether the next worker's model load hangs until `ready()` is called. */
  static hangsLoading = false;
  threadId = 1;
  readonly runs: { id: number }[] = [];
  constructor() {
    super();
    FakeWorker.all.push(this);
    if (!FakeWorker.hangsLoading) setTimeout(() => this.ready(), 5);
  }
  ready(provider = FakeWorker.provider): void {
    this.emit("message", { type: "ready", provider, fallbacks: [] });
  }
  postMessage(m: { type?: string; id?: number } | null): void {
    if (m?.type === "run") this.runs.push({ id: m.id! });
  }
  /** Answer the last run it was given. */
  reply(): void {
    const id = this.runs.at(-1)!.id;
    this.emit("message", { type: "result", id, logits: new Float32Array(1), classes: 7, ms: 1 });
  }
  end(error?: Error): void {
    this.threadId = -1;
    if (error) this.emit("error", error);
    this.emit("exit", error ? 1 : 0);
  }
  async terminate(): Promise<number> {
    this.end();
    return 1;
  }
}

vi.mock("node:worker_threads", () => ({ Worker: FakeWorker }));
const { InferencePool } = await import("./pool.js");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = (pool: Awaited<ReturnType<typeof InferencePool.start>>) =>
  pool.run(new Float32Array(3 * 8 * 8), [1, 3, 8, 8]).then(
    (r) => `ok ${r.classes}`,
    (e: Error) => `failed: ${e.message}`,
  );

it("ends a retired worker once, though it says so twice (error, then exit), while the cap holds slots down", async () => {
  const pool = await InferencePool.start({
    modelPath: "model.onnx",
    executionProviders: ["cpu"],
    workers: 2,
    runTimeoutMs: 30,
  });
  const [w0, w1] = FakeWorker.all;
  // Two hung runs: both workers retired and replaced (two retired for two workers is allowed).
  expect(await Promise.all([run(pool), run(pool)])).toEqual([
    expect.stringMatching(/^failed: an inference run took longer/),
    expect.stringMatching(/^failed: an inference run took longer/),
  ]);
  await sleep(20); // the replacements load
  // Their runs hang too: four retired for two workers, so both slots go down.
  await Promise.all([run(pool), run(pool)]);
  expect([pool.hung, pool.live, pool.replacements]).toEqual([4, 0, 2]);
  // The second slot's own retired worker dies of an error: "error", then "exit".
  const w3 = FakeWorker.all[3]!;
  w3.end(new Error("release failed"));
  await sleep(20);
  // Still three retired for two workers: no slot comes back, nothing is replaced twice.
  expect([pool.hung, pool.live, pool.replacements]).toEqual([3, 0, 2]);
  // The first two retired workers end their runs and exit: both slots load a worker again.
  w0!.end();
  w1!.end();
  await sleep(20);
  expect([pool.hung, pool.live, pool.replacements]).toEqual([1, 2, 4]);
  // A job goes to a new worker and is answered; nothing is left busy.
  const job = run(pool);
  await sleep(5);
  const worker = FakeWorker.all.find((w) => w.runs.length > 0 && FakeWorker.all.indexOf(w) >= 4)!;
  worker.reply();
  expect(await job).toBe("ok 7");
  expect(pool.busy).toBe(0);
  expect(FakeWorker.all).toHaveLength(6);
});

it("tells which execution provider a replacement loaded the model on, and which are in use", async () => {
  FakeWorker.provider = "cuda";
  const replacements: string[] = [];
  const pool = await InferencePool.start({
    modelPath: "model.onnx",
    executionProviders: ["cuda", "cpu"],
    workers: 1,
    runTimeoutMs: 30,
    onReplacementReady: (p) => replacements.push(p),
  });
  expect([pool.provider, [...pool.providersInUse]]).toEqual(["cuda", ["cuda"]]);
  // The hung run keeps the GPU: its replacement falls back to the CPU.
  FakeWorker.provider = "cpu";
  expect(await run(pool)).toMatch(/^failed: an inference run took longer/);
  await sleep(20);
  expect(replacements).toEqual(["cpu"]);
  expect([...pool.providersInUse]).toEqual(["cpu"]);
});

it("counts a replacement whose model load hangs for a minute as down: jobs fail at once, and it serves once loaded", async () => {
  const pool = await InferencePool.start({
    modelPath: "model.onnx",
    executionProviders: ["cpu"],
    workers: 1,
    runTimeoutMs: 30,
  });
  vi.useFakeTimers();
  try {
    FakeWorker.hangsLoading = true;
    const hung = run(pool);
    await vi.advanceTimersByTimeAsync(31);
    expect(await hung).toMatch(/^failed: an inference run took longer/);
    FakeWorker.hangsLoading = false;
    const replacement = FakeWorker.all.at(-1)!;
    // Loading: a job waits for it...
    let waited: string | undefined;
    void run(pool).then((r) => {
      waited = r;
    });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(waited).toBeUndefined();
    // ...until the load has taken a minute: then the slot is down, and nothing waits on it.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(waited).toBe("failed: no inference worker is running");
    expect(await run(pool)).toBe("failed: no inference worker is running");
    // The load ends after all: the worker takes jobs again.
    replacement.ready();
    const job = run(pool);
    await vi.advanceTimersByTimeAsync(1);
    replacement.reply();
    expect(await job).toBe("ok 7");
    expect(pool.live).toBe(1);
  } finally {
    vi.useRealTimers();
  }
});

it("keeps its watchdogs within Node's timer range (a longer timeout would fire at once)", async () => {
  const pool = await InferencePool.start({
    modelPath: "model.onnx",
    executionProviders: ["cpu"],
    workers: 1,
    runTimeoutMs: 2 ** 32,
  });
  // A run of 20 ms is not taken for a hung one.
  const job = run(pool);
  await sleep(20);
  FakeWorker.all.at(-1)!.reply();
  expect(await job).toBe("ok 7");
  // A lost worker's replacement is waited for while it loads, not counted as stalled at once.
  FakeWorker.all.at(-1)!.end(new Error("lost"));
  const next = run(pool);
  await sleep(20);
  FakeWorker.all.at(-1)!.reply();
  expect(await next).toBe("ok 7");
  expect(pool.replacements).toBe(1);
});
