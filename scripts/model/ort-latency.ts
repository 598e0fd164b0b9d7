/**
 * Latency of an ONNX segmentation model in onnxruntime-node, the production runtime.
 *
 *   npx tsx scripts/model/ort-latency.ts models/foo.onnx [more.onnx ...] [--size 1024] [--batch 1]
 *        [--runs 10] [--warmup 2] [--threads 2] [--ep cpu|webgpu|cuda] [--json]
 *
 * Times session.run() on a random float32 [batch,3,size,size] input named `image` after warm-up
 * runs and prints the median (plus min/max) per model. --size must be a multiple of each model's
 * size multiple where its card (MODEL.json beside MODEL.onnx) states one. Several models are timed
 * round-robin and compared with the first (e.g. a baseline): the CPU is shared with other work, so
 * run it more than once and trust medians and ratios rather than one figure. `--ep` names one execution provider
 * (no fallback: a figure labelled webgpu must come from webgpu); the GPU figures in
 * `models/MODEL_CARD.md` come from `--ep webgpu` on the lent GPU machine.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { numberFlag, runCli, UsageError } from "../cli/run.js";

export interface LatencyResult {
  model: string;
  shape: number[];
  threads: number;
  ep: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function makeInput(shape: number[]): Float32Array {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  // Deterministic pseudo-random input in the normalised range; content does not change the cost.
  let state = 12345;
  for (let i = 0; i < data.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    data[i] = (state / 0xffffffff) * 4 - 2;
  }
  return data;
}

/**
 * Times several models round-robin (A, B, C, A, B, C, ...) so they share the same background load:
 * on a machine shared with other work the ratios are more trustworthy than the absolute figures.
 */
export async function measureLatency(
  modelPaths: string[],
  opts: { size: number; batch: number; runs: number; warmup: number; threads: number; ep?: string },
): Promise<LatencyResult[]> {
  const shape = [opts.batch, 3, opts.size, opts.size];
  const data = makeInput(shape);
  const sessions: InferenceSession[] = [];
  try {
    for (const p of modelPaths) {
      sessions.push(
        await InferenceSession.create(p, {
          intraOpNumThreads: opts.threads,
          interOpNumThreads: 1,
          graphOptimizationLevel: "all",
          executionMode: "sequential",
          executionProviders: [opts.ep ?? "cpu"],
        }),
      );
    }
    const feeds = sessions.map((s) => ({ [s.inputNames[0] ?? "image"]: new Tensor("float32", data, shape) }));
    for (let i = 0; i < opts.warmup; i++) {
      for (let m = 0; m < sessions.length; m++) await sessions[m]!.run(feeds[m]!);
    }
    const times: number[][] = sessions.map(() => []);
    for (let i = 0; i < opts.runs; i++) {
      for (let m = 0; m < sessions.length; m++) {
        const t0 = performance.now();
        await sessions[m]!.run(feeds[m]!);
        times[m]!.push(performance.now() - t0);
      }
    }
    return modelPaths.map((model, m) => {
      const t = times[m]!;
      return {
        model,
        shape,
        threads: opts.threads,
        ep: opts.ep ?? "cpu",
        runs: opts.runs,
        medianMs: median(t),
        minMs: Math.min(...t),
        maxMs: Math.max(...t),
      };
    });
  } finally {
    for (const s of sessions) await s.release();
  }
}

/**
 * `input.size_multiple` of the model card export.py writes beside MODEL.onnx (MODEL.json), if the
 * card is there and states one; a model without a card (a baseline) keeps only --size's bounds.
 */
async function cardSizeMultiple(model: string): Promise<{ card: string; multiple: number } | undefined> {
  if (!model.endsWith(".onnx")) return undefined;
  const card = model.replace(/\.onnx$/, ".json");
  let json: unknown;
  try {
    json = JSON.parse(await readFile(card, "utf8"));
  } catch {
    return undefined;
  }
  const multiple = (json as { input?: { size_multiple?: unknown } } | null)?.input?.size_multiple;
  return typeof multiple === "number" && Number.isInteger(multiple) && multiple > 0
    ? { card, multiple }
    : undefined;
}

const USAGE =
  "usage: npx tsx scripts/model/ort-latency.ts MODEL.onnx [MORE.onnx ...] [--size 1024] [--batch 1] [--runs 10] [--warmup 2] [--threads 2] [--ep cpu|webgpu|cuda] [--json]";

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      size: { type: "string", default: "1024" },
      batch: { type: "string", default: "1" },
      runs: { type: "string", default: "10" },
      warmup: { type: "string", default: "2" },
      threads: { type: "string", default: "2" },
      ep: { type: "string", default: "cpu" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.info(USAGE);
    return;
  }
  if (positionals.length === 0) throw new UsageError(`name at least one model (${USAGE})`);
  if (!["cpu", "webgpu", "cuda"].includes(values.ep)) {
    throw new UsageError(`--ep must be cpu, webgpu or cuda, got ${values.ep}`);
  }
  const opts = {
    size: numberFlag("size", values.size, { min: 32, max: 8192, integer: true }),
    batch: numberFlag("batch", values.batch, { min: 1, max: 64, integer: true }),
    runs: numberFlag("runs", values.runs, { min: 1, max: 10_000, integer: true }),
    warmup: numberFlag("warmup", values.warmup, { min: 0, max: 1_000, integer: true }),
    threads: numberFlag("threads", values.threads, { min: 1, max: 256, integer: true }),
    ep: values.ep,
  };
  // Checked here: onnxruntime reports a size the network cannot take as a multi-line shape error.
  for (const model of positionals) {
    const found = await cardSizeMultiple(model);
    if (found && opts.size % found.multiple !== 0) {
      throw new UsageError(
        `--size ${opts.size} is not a multiple of ${found.multiple}, the size multiple of ${model} (${found.card})`,
      );
    }
  }
  const results = await measureLatency(positionals, opts);
  const base = results[0]!;
  for (const r of results) {
    if (values.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else
      console.info(
        `${r.model} ${r.shape.join("x")} ep=${r.ep} threads=${r.threads}: median ${r.medianMs.toFixed(1)} ms ` +
          `(min ${r.minMs.toFixed(1)}, max ${r.maxMs.toFixed(1)}, n=${r.runs})` +
          (results.length > 1 ? ` = ${(r.medianMs / base.medianMs).toFixed(2)}x the first model` : ""),
      );
  }
}

// One line, no stack: e.g. "Failed to get a WebGPU adapter" where the machine has no GPU.
runCli("ort-latency", main);
