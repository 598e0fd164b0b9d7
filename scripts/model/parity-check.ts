/**
 * ONNX parity check in the production runtime (onnxruntime-node) against PyTorch reference outputs
 * written by models/training/parity.py (CLI: parity.ts).
 *
 * For each sample it normalises the raw RGB bytes with the backend's own pre-processing and the
 * normalisation recorded in the model JSON (so the recorded contract and the production code are
 * checked too: `inputMaxAbsDiff` against PyTorch's input), runs the ONNX model on the CPU provider
 * and compares the logits with PyTorch's.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { z } from "zod";
import { inputNormalisation } from "../../gpu-backend/src/runtime/model-manifest.js";
import { rgbWindowToCHW } from "../../gpu-backend/src/runtime/preprocess.js";

const Triple = z.tuple([z.number(), z.number(), z.number()]);
const Normalization = z.object({ scale: z.enum(["0-255", "0-1"]), mean: Triple, std: Triple });

const ModelJson = z.object({
  name: z.string(),
  sha256: z.string(),
  input: z.object({
    name: z.string(),
    layout: z.literal("NCHW"),
    channel_order: z.literal("RGB"),
    normalization: Normalization,
  }),
  output: z.object({ name: z.string(), num_classes: z.number().int() }),
});

const ParityJson = z.object({
  num_classes: z.number().int(),
  items: z.array(
    z.object({
      id: z.string(),
      height: z.number().int(),
      width: z.number().int(),
      image_u8: z.string(),
      input: z.string(),
      logits: z.string(),
    }),
  ),
});

export interface ParityResult {
  id: string;
  maxAbsDiff: number;
  tolerance: number;
  argmaxAgreement: number;
  inputMaxAbsDiff: number;
}

function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function argmaxAgreement(a: Float32Array, b: Float32Array, classes: number, plane: number): number {
  let same = 0;
  for (let i = 0; i < plane; i++) {
    let ba = 0;
    let bb = 0;
    for (let c = 1; c < classes; c++) {
      if (a[c * plane + i]! > a[ba * plane + i]!) ba = c;
      if (b[c * plane + i]! > b[bb * plane + i]!) bb = c;
    }
    if (ba === bb) same++;
  }
  return same / plane;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

export async function checkParity(opts: {
  onnx: string;
  modelJson: string;
  parityDir: string;
  maxDiff: number;
  threads: number;
}): Promise<{ results: ParityResult[]; shaOk: boolean }> {
  const model = ModelJson.parse(JSON.parse(readFileSync(opts.modelJson, "utf8")));
  const parity = ParityJson.parse(JSON.parse(readFileSync(join(opts.parityDir, "parity.json"), "utf8")));
  const sha = createHash("sha256").update(readFileSync(opts.onnx)).digest("hex");
  const session = await InferenceSession.create(opts.onnx, {
    intraOpNumThreads: opts.threads,
    graphOptimizationLevel: "all",
  });
  const results: ParityResult[] = [];
  try {
    for (const item of parity.items) {
      const rgb = new Uint8Array(readFileSync(join(opts.parityDir, item.image_u8)));
      const norm = inputNormalisation(model.input.normalization);
      const input = rgbWindowToCHW(rgb, item.width, item.height, 0, 0, item.width, item.height, norm);
      const refInput = readF32(join(opts.parityDir, item.input));
      const ref = readF32(join(opts.parityDir, item.logits));
      const feeds = {
        [model.input.name]: new Tensor("float32", input, [1, 3, item.height, item.width]),
      };
      const out = await session.run(feeds);
      const logits = out[model.output.name];
      if (!logits) throw new Error(`model has no output ${model.output.name}`);
      const got = logits.data as Float32Array;
      if (got.length !== ref.length) {
        throw new Error(`${item.id}: ONNX logits have ${got.length} values, PyTorch ${ref.length}`);
      }
      results.push({
        id: item.id,
        maxAbsDiff: maxAbsDiff(ref, got),
        tolerance: opts.maxDiff * Math.max(1, maxAbs(ref)),
        argmaxAgreement: argmaxAgreement(ref, got, parity.num_classes, item.height * item.width),
        inputMaxAbsDiff: maxAbsDiff(refInput, input),
      });
    }
  } finally {
    await session.release();
  }
  return { results, shaOk: sha === model.sha256 };
}

/** A sample passes when argmax agrees on >= minAgreement of pixels and the logits are close. */
export function samplePasses(r: ParityResult, minAgreement: number): boolean {
  return r.argmaxAgreement >= minAgreement && r.maxAbsDiff <= r.tolerance && r.inputMaxAbsDiff < 1e-4;
}
