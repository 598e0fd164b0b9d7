/**
 * ort-latency refuses a --size the model cannot take, by the size multiple in its card, in one line
 * with exit code 2 before loading anything (onnxruntime's own error was a multi-line shape dump).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../cli/test-support.js";

const CLI = fileURLToPath(new URL("./ort-latency.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../..", import.meta.url));

// tsx itself, not `npx tsx`, which adds npm's own warnings to stderr.
const run = (args: string[]) => runCli(CLI, args, { cwd: REPO, timeoutMs: 25_000 });

describe("ort-latency --size", () => {
  it("must be a multiple of the shipped model's size multiple (16)", async () => {
    const r = await run(["models/lanesegnet-lite.onnx", "--size", "100", "--runs", "1", "--warmup", "0"]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([
      "ort-latency: --size 100 is not a multiple of 16, the size multiple of models/lanesegnet-lite.onnx (models/lanesegnet-lite.json)",
    ]);
  });

  it("is checked against the card beside each model, before any model is loaded", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ort-latency-"));
    try {
      const model = join(dir, "m.onnx");
      await writeFile(model, "not an onnx file: never loaded");
      await writeFile(join(dir, "m.json"), JSON.stringify({ input: { size_multiple: 32 } }));
      const r = await run(["models/lanesegnet-lite.onnx", model, "--size", "48", "--runs", "1"]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split("\n")).toEqual([
        `ort-latency: --size 48 is not a multiple of 32, the size multiple of ${model} (${join(dir, "m.json")})`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
