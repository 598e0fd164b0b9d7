/**
 * The parity check on a real exported model: a one-step training run on toy data (Python, torch),
 * ONNX export, PyTorch reference outputs, then onnxruntime-node. Skips when no Python with torch
 * and OpenCV is available (set PYTHON, default /usr/bin/python3).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkParity, normaliseHwc, samplePasses } from "./parity-check.js";

const PY = process.env.PYTHON ?? "/usr/bin/python3";
const REPO = resolve(import.meta.dirname, "../..");
const T = join(REPO, "models/training");
const hasTorch = spawnSync(PY, ["-c", "import torch, cv2, numpy"], { stdio: "ignore" }).status === 0;

describe.skipIf(!hasTorch)("ONNX parity against PyTorch", () => {
  let dir = "";
  const run = (script: string, args: string[]) =>
    execFileSync(PY, [join(T, script), ...args], { cwd: REPO, stdio: "pipe" });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "parity-test-"));
    run("toy_data.py", ["--out", join(dir, "data"), "--count", "10", "--size", "64", "--seed", "5"]);
    run("train.py", [
      ...["--data", join(dir, "data"), "--run-dir", join(dir, "run"), "--device", "cpu", "--workers", "0"],
      ...["--model", "lite-s", "--crop", "32", "--batch", "2", "--epochs", "1", "--steps-per-epoch", "2"],
      ...["--log-every", "0"],
    ]);
    run("export.py", ["--checkpoint", join(dir, "run/best.pt"), "--name", "t", "--out-dir", join(dir, "m")]);
    run("parity.py", [
      ...["--checkpoint", join(dir, "run/best.pt"), "--data", join(dir, "data")],
      ...["--out", join(dir, "p"), "--count", "2", "--size", "64"],
    ]);
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const opts = () => ({
    onnx: join(dir, "m/t.onnx"),
    modelJson: join(dir, "m/t.json"),
    parityDir: join(dir, "p"),
    maxDiff: 1e-3,
    threads: 1,
  });

  it("passes for the exported model", async () => {
    const { results, shaOk } = await checkParity(opts());
    expect(shaOk).toBe(true);
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) expect(samplePasses(r, 0.999)).toBe(true);
  });

  it("fails when the reference logits differ", async () => {
    const bad = join(dir, "p-bad");
    execFileSync("cp", ["-r", join(dir, "p"), bad]);
    const f = join(bad, "logits_0.f32");
    const b = readFileSync(f);
    const logits = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    for (let i = 0; i < logits.length; i += 7) logits[i] = logits[i]! + 10;
    writeFileSync(f, Buffer.from(logits.buffer));
    const { results } = await checkParity({ ...opts(), parityDir: bad });
    expect(samplePasses(results[0]!, 0.999)).toBe(false);
  });

  it("flags a model JSON whose sha256 does not match the file", async () => {
    const card = JSON.parse(readFileSync(join(dir, "m/t.json"), "utf8")) as { sha256: string };
    card.sha256 = "0".repeat(64);
    const wrong = join(dir, "m/wrong.json");
    writeFileSync(wrong, JSON.stringify(card));
    const { shaOk } = await checkParity({ ...opts(), modelJson: wrong });
    expect(shaOk).toBe(false);
  });
});

describe("normaliseHwc", () => {
  it("turns interleaved RGB bytes into normalised CHW planes", () => {
    const norm = { scale: "0-255" as const, mean: [10, 20, 30], std: [2, 4, 5] };
    // 1x2 image: (12, 24, 40), (10, 28, 35)
    const out = normaliseHwc(new Uint8Array([12, 24, 40, 10, 28, 35]), 1, 2, norm);
    expect(Array.from(out)).toEqual([1, 0, 1, 2, 2, 1]);
  });
});
