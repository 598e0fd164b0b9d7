/**
 * One inference worker: one long-lived onnxruntime session (creating and releasing sessions
 * repeatedly leaks in onnxruntime-node), `session.run()` off the main event loop. It returns the
 * raw logits: no softmax over the whole raster (7 exps per pixel took ~150 ms of a 1 Mpx analysis
 * on 2 cores, more than the GPU's whole forward pass), because the vectoriser only needs
 * probabilities at its centreline samples and takes the softmax there (postprocess/scores.ts).
 */
import { parentPort, workerData } from "node:worker_threads";
import * as ort from "onnxruntime-node";
import type { RunReply, RunRequest, WorkerInit, WorkerReady } from "./protocol.js";

const init = workerData as WorkerInit;
const port = parentPort!;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function createSession(): Promise<{ session: ort.InferenceSession; ready: WorkerReady }> {
  const fallbacks: { provider: string; error: string }[] = [];
  for (const provider of init.executionProviders) {
    try {
      const session = await ort.InferenceSession.create(init.modelPath, {
        executionProviders: [provider],
        intraOpNumThreads: init.intraOpNumThreads,
        interOpNumThreads: 1,
        graphOptimizationLevel: "all",
        executionMode: "sequential",
        // The arena keeps each worker's activation buffers between runs (~260 MB per worker after
        // the 1024² warm-up). Without it the RSS under load was ~185 MB lower with two workers, but
        // every run took fresh pages from the kernel: median inference of a 1024² tile 254-262 →
        // 390-406 ms (docs/PERFORMANCE.md, eighteenth session).
        enableCpuMemArena: true,
        // The memory pattern is traced per input shape ("if the input shapes are the same", in
        // onnxruntime's own words); tile shapes here change with every area's size, and each new
        // one cost a 500-740 ms inference instead of ~250 (docs/PERFORMANCE.md).
        enableMemPattern: false,
      });
      return { session, ready: { type: "ready", provider, fallbacks } };
    } catch (e) {
      fallbacks.push({ provider, error: errorText(e) });
    }
  }
  throw new Error(
    `no execution provider could load the model: ${fallbacks.map((f) => `${f.provider}: ${f.error}`).join("; ")}`,
  );
}

async function main(): Promise<void> {
  let session: ort.InferenceSession;
  try {
    const created = await createSession();
    session = created.session;
    port.postMessage(created.ready);
  } catch (e) {
    port.postMessage({ type: "failed", error: errorText(e) });
    return;
  }
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  // The run in progress: "close" waits for it, as releasing the session (or the thread ending)
  // under a run aborts the whole process.
  let running: Promise<unknown> = Promise.resolve();
  port.on("message", async (msg: RunRequest | { type: "close" }) => {
    if (msg.type === "close") {
      await running;
      await session.release();
      port.close();
      return;
    }
    const run = runOne(msg);
    running = run;
    await run;
  });

  async function runOne(msg: RunRequest): Promise<void> {
    const started = performance.now();
    try {
      const tensor = new ort.Tensor("float32", msg.input, [...msg.dims]);
      const out = await session.run({ [inputName]: tensor });
      const logits = out[outputName]!;
      const c = logits.dims[1]!;
      // Copy: the output buffer belongs to onnxruntime; ours is transferred to the main thread.
      const copy = new Float32Array(logits.data as Float32Array);
      logits.dispose();
      const reply: RunReply = {
        type: "result",
        id: msg.id,
        logits: copy,
        classes: c,
        ms: performance.now() - started,
      };
      port.postMessage(reply, [copy.buffer as ArrayBuffer]);
    } catch (e) {
      const reply: RunReply = { type: "error", id: msg.id, error: errorText(e) };
      port.postMessage(reply);
    }
  }
}

void main();
