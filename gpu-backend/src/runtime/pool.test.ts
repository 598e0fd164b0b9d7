/**
 * The inference pool with the shipped model when a worker dies. Fault injection: the test ends a
 * worker thread from outside (terminate, or a message its handler cannot read), the way running
 * out of memory or an uncaught error in the worker's own code would end it. Before the pool
 * replaced dead workers, the next job went to the dead one and waited for ever.
 */
import { spawn } from "node:child_process";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { InferencePool } from "./pool.js";

const MODEL = new URL("../../../models/lanesegnet-lite.onnx", import.meta.url).pathname;
const pools: InferencePool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close(10_000);
});

async function start(onWorkerLost?: (why: string) => void, runTimeoutMs?: number): Promise<InferencePool> {
  const pool = await InferencePool.start({
    modelPath: MODEL,
    executionProviders: ["cpu"],
    workers: 1,
    threadsPerWorker: 1,
    ...(onWorkerLost ? { onWorkerLost } : {}),
    ...(runTimeoutMs ? { runTimeoutMs } : {}),
  });
  pools.push(pool);
  return pool;
}

/** The pool's only worker (private: reached here to end it, as a crash would). */
function workerOf(pool: InferencePool): Worker {
  return (pool as unknown as { slots: { worker: Worker }[] }).slots[0]!.worker;
}

const tile = (side: number) => ({
  input: new Float32Array(3 * side * side),
  dims: [1, 3, side, side] as const,
});

describe("InferencePool when a worker dies", () => {
  it("a worker that was ended is replaced; jobs wait for the replacement and run", async () => {
    const lost: string[] = [];
    const pool = await start((why) => lost.push(why));
    // Ended while idle: terminating a thread inside onnxruntime's run or load aborts the whole
    // process (a native error, see start()), a fault no pool can survive.
    await workerOf(pool).terminate();
    const a = tile(64);
    const b = tile(64);
    const [ra, rb] = await Promise.all([pool.run(a.input, a.dims), pool.run(b.input, b.dims)]);
    expect(ra.classes).toBe(7);
    expect(rb.logits.length).toBe(7 * 64 * 64);
    expect(pool.replacements).toBe(1);
    expect(pool.live).toBe(1);
    expect(lost).toEqual(["exit code 1"]);
  }, 60_000);

  it("an idle worker ended by an uncaught error is replaced before the next job needs it", async () => {
    const pool = await start();
    const worker = workerOf(pool);
    const exited = new Promise((r) => worker.once("exit", r));
    worker.postMessage(null); // its message handler throws on this: an uncaught error
    await exited;
    const t = tile(64);
    expect((await pool.run(t.input, t.dims)).classes).toBe(7);
    expect(pool.replacements).toBe(1);
    expect(pool.busy).toBe(0);
  }, 60_000);

  it("when the replacement cannot load the model either, waiting and later jobs fail at once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lsn-pool-"));
    const model = join(dir, "model.onnx");
    await copyFile(MODEL, model);
    try {
      const pool = await InferencePool.start({
        modelPath: model,
        executionProviders: ["cpu"],
        workers: 1,
        threadsPerWorker: 1,
      });
      pools.push(pool);
      await rm(model); // the file is gone when the replacement looks for it
      await workerOf(pool).terminate();
      const t = tile(64);
      await expect(pool.run(t.input, t.dims)).rejects.toThrow(/no inference worker is running/);
      expect(pool.live).toBe(0);
      const u = tile(64);
      await expect(pool.run(u.input, u.dims)).rejects.toThrow(/no inference worker is running/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** Wait (bounded) until `done()`; false if it never was. */
async function until(done: () => boolean, ms = 60_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return done();
}

describe("InferencePool when a run hangs", () => {
  // A 2048² tile on one thread runs for seconds (~4 s here): to a watchdog of 400 ms it is a hung run.
  it("fails the hung run's job at once, serves the next job on a replacement, and the retired worker exits after its run", async () => {
    const lost: string[] = [];
    const pool = await start((why) => lost.push(why), 400);
    const hungWorker = workerOf(pool);
    const exited = new Promise((r) => hungWorker.once("exit", r));
    const slow = tile(2048);
    const started = Date.now();
    await expect(pool.run(slow.input, slow.dims)).rejects.toThrow(
      "an inference run took longer than 400 ms; its worker was retired",
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(lost).toEqual(["an inference run took longer than 400 ms"]);
    expect([pool.hung, pool.replacements, pool.busy]).toEqual([1, 1, 0]);
    expect(workerOf(pool)).not.toBe(hungWorker);
    const next = tile(64);
    expect((await pool.run(next.input, next.dims)).classes).toBe(7);
    // Never terminated inside its run (that aborts the process): it exits by itself after it.
    await exited;
    expect(pool.hung).toBe(0);
    expect(pool.live).toBe(1);
  }, 60_000);

  it("goes down rather than pile up workers when more runs hang than it has workers, and comes back when one exits", async () => {
    const pool = await start(undefined, 400);
    // A runs for seconds; its replacement B, hung in a run three times as long, outlives it.
    const a = tile(2048);
    await expect(pool.run(a.input, a.dims)).rejects.toThrow(/took longer than 400 ms/);
    const b = tile(3072);
    await expect(pool.run(b.input, b.dims)).rejects.toThrow(/took longer than 400 ms/);
    expect([pool.hung, pool.live]).toEqual([2, 0]);
    const refused = tile(64);
    await expect(pool.run(refused.input, refused.dims)).rejects.toThrow(/no inference worker is running/);
    // The first retired worker to exit (A, not the slot's own B) brings the slot back.
    expect(await until(() => pool.live === 1)).toBe(true);
    expect(pool.hung).toBe(1);
    const next = tile(64);
    expect((await pool.run(next.input, next.dims)).classes).toBe(7);
    expect(await until(() => pool.hung === 0)).toBe(true);
    expect(pool.live).toBe(1);
  }, 120_000);
});

describe("InferencePool when a caller hangs up", () => {
  it("a queued job whose signal aborts leaves the queue and never runs; the running one finishes", async () => {
    const pool = await start();
    const running = tile(256);
    const queued = tile(64);
    const hangUp = new AbortController();
    const first = pool.run(running.input, running.dims);
    const second = pool.run(queued.input, queued.dims, hangUp.signal);
    expect([pool.busy, pool.queued]).toEqual([1, 1]);
    hangUp.abort(new Error("client closed"));
    await expect(second).rejects.toThrow("client closed");
    expect(pool.queued).toBe(0);
    expect((await first).logits.length).toBe(7 * 256 * 256);
    expect(pool.completed).toBe(1);
    // The worker is free for the next job.
    const next = tile(64);
    expect((await pool.run(next.input, next.dims)).classes).toBe(7);
    expect(pool.completed).toBe(2);
  }, 60_000);

  it("a job whose signal has already aborted is refused without queueing", async () => {
    const pool = await start();
    const t = tile(64);
    await expect(pool.run(t.input, t.dims, AbortSignal.abort(new Error("gone")))).rejects.toThrow("gone");
    expect([pool.queued, pool.busy, pool.completed]).toEqual([0, 0, 0]);
  }, 60_000);
});

describe("InferencePool at shutdown", () => {
  it("a close past its deadline lets the run in progress end, and the process exits cleanly", async () => {
    // In a process of its own: terminating a worker inside onnxruntime's run aborts the whole
    // process (SIGABRT, exit 134), which would take the test runner with it. A 3072² tile runs for
    // seconds on one thread, beyond close's deadline and the 2 s after which it used to terminate.
    const dir = await mkdtemp(join(tmpdir(), "pool-close-"));
    try {
      const script = join(dir, "close.mts");
      await writeFile(
        script,
        `import { InferencePool } from ${JSON.stringify(new URL("./pool.ts", import.meta.url).pathname)};
const pool = await InferencePool.start({ modelPath: ${JSON.stringify(MODEL)}, executionProviders: ["cpu"], workers: 1, threadsPerWorker: 1 });
const job = pool.run(new Float32Array(3 * 3072 * 3072), [1, 3, 3072, 3072]).then(() => "done", (e) => e.message);
await new Promise((r) => setTimeout(r, 300));
await pool.close(100);
console.log(await job);
process.exit(0);
`,
      );
      const child = spawn(process.execPath, ["--import", "tsx", script], {
        cwd: new URL("../../..", import.meta.url).pathname,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        out += d.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
      expect(out).toContain("inference pool stopped before the job finished");
      expect(out).not.toMatch(/terminate called|Napi::Error/);
      expect(code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
