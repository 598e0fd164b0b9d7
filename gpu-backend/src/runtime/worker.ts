/**
 * One inference worker: one long-lived onnxruntime session (creating and releasing sessions
 * repeatedly leaks in onnxruntime-node), `session.run()` off the main event loop, softmax here so
 * the main thread only stitches.
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
        enableCpuMemArena: true,
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

/** In-place softmax over the class axis of NCHW logits. */
function softmaxChannels(data: Float32Array, n: number, c: number, plane: number): void {
  for (let b = 0; b < n; b++) {
    const base = b * c * plane;
    for (let p = 0; p < plane; p++) {
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < c; k++) {
        const v = data[base + k * plane + p]!;
        if (v > max) max = v;
      }
      let sum = 0;
      for (let k = 0; k < c; k++) {
        const i = base + k * plane + p;
        const e = Math.exp(data[i]! - max);
        data[i] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let k = 0; k < c; k++) data[base + k * plane + p]! *= inv;
    }
  }
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
  port.on("message", async (msg: RunRequest | { type: "close" }) => {
    if (msg.type === "close") {
      await session.release();
      port.close();
      return;
    }
    const started = performance.now();
    try {
      const tensor = new ort.Tensor("float32", msg.input, [...msg.dims]);
      const out = await session.run({ [inputName]: tensor });
      const logits = out[outputName]!;
      const [n, c, h, w] = logits.dims as [number, number, number, number];
      // Copy: the output buffer belongs to onnxruntime; ours is transferred to the main thread.
      const probs = new Float32Array(logits.data as Float32Array);
      logits.dispose();
      softmaxChannels(probs, n, c, h * w);
      const reply: RunReply = {
        type: "result",
        id: msg.id,
        probs,
        classes: c,
        ms: performance.now() - started,
      };
      port.postMessage(reply, [probs.buffer as ArrayBuffer]);
    } catch (e) {
      const reply: RunReply = { type: "error", id: msg.id, error: errorText(e) };
      port.postMessage(reply);
    }
  });
}

void main();
