import { existsSync, readFileSync } from "node:fs";

/** Name and version from the model card beside the .onnx file (the edge's cache key needs them). */
export function modelIdentity(modelPath: string): { name: string; version: string } {
  const card = modelPath.replace(/\.onnx$/, ".json");
  if (!existsSync(modelPath) || !existsSync(card)) {
    throw new Error(
      `the model is missing: ${modelPath} and its card ${card} (set MODEL_PATH to use another)`,
    );
  }
  const { name, version } = JSON.parse(readFileSync(card, "utf8")) as { name: string; version: string };
  return { name, version };
}
