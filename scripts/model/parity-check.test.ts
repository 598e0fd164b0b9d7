/**
 * The parity check on a real exported model: a one-step training run on toy data (Python, torch),
 * ONNX export, PyTorch reference outputs, then onnxruntime-node. Also the two ways a checkpoint
 * is derived from another: calibrate.py (per-class logit offsets folded into the last bias) and
 * from_onnx.py (warm start rebuilt from an exported ONNX file). Then the TypeScript evaluation CLI
 * on the exported model: with the training steps, export and parity above, this is issue 4's CI
 * smoke test inside `npm test`. Skips when no Python with torch,
 * OpenCV and onnx is available (set PYTHON, default /usr/bin/python3).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkParity, samplePasses } from "./parity-check.js";

const PY = process.env.PYTHON ?? "/usr/bin/python3";
const REPO = resolve(import.meta.dirname, "../..");
const T = join(REPO, "models/training");
const hasTorch = spawnSync(PY, ["-c", "import torch, cv2, numpy, onnx"], { stdio: "ignore" }).status === 0;
if (!hasTorch) {
  console.warn(
    `parity test skipped: ${PY} lacks torch, cv2, numpy or onnx (apt-get install -y python3-torch python3-opencv python3-onnx; .ci/run does it)`,
  );
}

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
    // A one-value range forces the background offset; the per-class search picks the others,
    // and the card must record exactly what was folded in.
    run("calibrate.py", [
      ...["--checkpoint", join(dir, "run/best.pt"), "--data", join(dir, "data"), "--images", "2"],
      ...["--biases=1.5:1.5:1", "--per-class", "--class-biases=-0.5:0.5:0.5", "--rounds", "1"],
      ...["--write", join(dir, "run/cal.pt")],
    ]);
    run("export.py", ["--checkpoint", join(dir, "run/cal.pt"), "--name", "c", "--out-dir", join(dir, "m")]);
    run("parity.py", [
      ...["--checkpoint", join(dir, "run/cal.pt"), "--data", join(dir, "data")],
      ...["--out", join(dir, "pc"), "--count", "2", "--size", "64"],
    ]);
    run("from_onnx.py", [
      ...["--onnx", join(dir, "m/t.onnx"), "--model-json", join(dir, "m/t.json")],
      ...["--data", join(dir, "data"), "--images", "2", "--out", join(dir, "warm.pt")],
    ]);
    run("parity.py", [
      ...["--checkpoint", join(dir, "warm.pt"), "--data", join(dir, "data")],
      ...["--out", join(dir, "pw"), "--count", "2", "--size", "64"],
    ]);
  }, 240_000);

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

  it("a checkpoint rebuilt from the ONNX file (BatchNorm folded) reproduces it", async () => {
    const { results } = await checkParity({ ...opts(), parityDir: join(dir, "pw") });
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) expect(samplePasses(r, 0.999)).toBe(true);
  });

  it("calibration adds the offsets it records to each class's logit, and nothing else", async () => {
    const card = JSON.parse(readFileSync(join(dir, "m/c.json"), "utf8")) as {
      calibration: { background_logit_bias: number; class_logit_bias: number[] };
    };
    const offsets = card.calibration.class_logit_bias;
    expect(card.calibration.background_logit_bias).toBe(1.5);
    expect(offsets).toHaveLength(7);
    expect(offsets[0]).toBe(1.5);
    for (const v of offsets.slice(1)) expect([-0.5, 0, 0.5]).toContain(v);
    const { results } = await checkParity({
      ...opts(),
      onnx: join(dir, "m/c.onnx"),
      modelJson: join(dir, "m/c.json"),
      parityDir: join(dir, "pc"),
    });
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) expect(samplePasses(r, 0.999)).toBe(true);
    const f32 = (f: string) => {
      const b = readFileSync(f);
      return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    };
    const before = f32(join(dir, "p/logits_0.f32"));
    const after = f32(join(dir, "pc/logits_0.f32"));
    const plane = before.length / 7; // NCHW, N = 1, 7 classes
    let maxError = 0;
    for (let i = 0; i < before.length; i++) {
      const expected = offsets[Math.floor(i / plane)]!;
      maxError = Math.max(maxError, Math.abs(after[i]! - before[i]! - expected));
    }
    expect(maxError).toBeLessThan(1e-4);
  });

  it("the evaluation CLI scores the exported model and writes one class-id mask per image", async () => {
    const json = join(dir, "eval.json");
    const pred = join(dir, "pred");
    const run = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        join(REPO, "scripts/eval/cli.ts"),
        "--data",
        join(dir, "data"),
        "--split",
        "val",
      ].concat(["--model", join(dir, "m/t.onnx"), "--json", json, "--pred-out", pred]),
      { cwd: REPO, encoding: "utf8" },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/lane mIoU/);
    const report = JSON.parse(readFileSync(json, "utf8")) as {
      images: number;
      pixels: number;
      laneMIoU: unknown;
    };
    const images = readdirSync(join(dir, "data/img_dir/val"));
    expect(report.images).toBe(images.length);
    expect(report.pixels).toBeGreaterThan(0);
    const masks = readdirSync(pred).sort();
    expect(masks).toEqual(images.map((f) => f.replace(/\.\w+$/, ".png")).sort());
    for (const m of masks) {
      const { info, data } = await sharp(join(pred, m)).raw().toBuffer({ resolveWithObject: true });
      expect((await sharp(join(pred, m)).metadata()).channels).toBe(1);
      expect(info.width * info.height).toBeGreaterThan(0);
      expect(Math.max(...data)).toBeLessThanOrEqual(6);
    }
  }, 120_000);

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
