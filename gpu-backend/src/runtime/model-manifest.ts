/**
 * The JSON card written beside every exported ONNX model (models/training/export.py). The runtime
 * reads only what it needs and checks it, so a model whose card disagrees with the registry or the
 * file fails at start with a clear message, not with wrong answers later.
 */
import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { LANE_CLASSES } from "@lanesegnet/shared";
import { z } from "zod";
import type { InputNormalisation } from "./preprocess.js";

const Triple = z.tuple([z.number(), z.number(), z.number()]);

const ManifestSchema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  classes: z.array(z.object({ id: z.number().int(), name: z.string() })),
  input: z.object({
    name: z.string(),
    layout: z.literal("NCHW"),
    channel_order: z.literal("RGB"),
    normalization: z.object({ scale: z.enum(["0-255", "0-1"]), mean: Triple, std: Triple }),
    size_multiple: z.number().int().positive(),
  }),
  output: z.object({ name: z.string(), num_classes: z.number().int().positive() }),
  trained_gsd_m: z.object({ min: z.number(), max: z.number() }).nullable().optional(),
  metrics: z.record(z.string(), z.unknown()).optional(),
});

export type ModelManifest = z.infer<typeof ManifestSchema>;

/** The card's `input.normalization` as the pre-processing applies it (preprocess.ts). */
export function inputNormalisation(n: ModelManifest["input"]["normalization"]): InputNormalisation {
  return { scale: n.scale === "0-255" ? 1 : 1 / 255, mean: n.mean, std: n.std };
}

export interface LoadedModel {
  readonly manifest: ModelManifest;
  readonly normalisation: InputNormalisation;
  readonly sizeMultiple: number;
}

export async function loadModelManifest(modelPath: string, manifestPath: string): Promise<LoadedModel> {
  // The model first: without it, a missing card beside it is not the news.
  try {
    await access(modelPath, constants.R_OK);
  } catch {
    throw new Error(`model file not found or not readable: ${modelPath} (MODEL_PATH)`);
  }
  let raw: string;
  try {
    raw = await readFile(manifestPath, "utf8");
  } catch {
    throw new Error(`model card not found: ${manifestPath} (expected beside the .onnx file)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`model card is not valid JSON: ${manifestPath}`);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`model card ${manifestPath} is invalid at ${i.path.join(".")}: ${i.message}`);
  }
  const manifest = parsed.data;
  for (const c of LANE_CLASSES) {
    const m = manifest.classes.find((x) => x.id === c.id);
    if (!m || m.name !== c.name)
      throw new Error(`model card classes disagree with the registry at id ${c.id}`);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(modelPath);
  } catch {
    throw new Error(`model file not found: ${modelPath}`);
  }
  const sha = createHash("sha256").update(bytes).digest("hex");
  if (sha !== manifest.sha256)
    throw new Error(`model file ${modelPath} does not match its card (sha256 differs): corrupt or replaced`);
  return {
    manifest,
    normalisation: inputNormalisation(manifest.input.normalization),
    sizeMultiple: manifest.input.size_multiple,
  };
}
