/**
 * The tools end bad input with one line and exit code 2, and other failures with one line and
 * exit code 1, never a stack trace (scripts/cli/run.ts). Each case fails before any real work.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { describe, expect, it } from "vitest";

const TSX = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));
const script = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

function run(path: string, args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      TSX,
      [script(path), ...args],
      { env: { PATH: process.env.PATH }, timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("command-line failures", () => {
  it.each([
    ["bench/cli.ts", ["--bogus"], "bench: Unknown option '--bogus'"],
    [
      "bench/cli.ts",
      ["--only", "inference", "--runs", "0"],
      "bench: --runs must be an integer 1-10000, got 0",
    ],
    ["bench/cli.ts", ["--only", "nope"], "bench: unknown part nope"],
    ["load/cli.ts", ["cached", "--json"], "load: Option '--json <value>' argument missing"],
    ["load/soak.ts", ["--requests", "abc"], "soak: --requests must be an integer 20-100000, got abc"],
    ["bench/profile-edge.ts", ["--top", "abc"], "profile:edge: --top must be an integer 1-1000, got abc"],
    ["model/parity.ts", ["--onnx", "m.onnx"], "model:parity: --onnx and --parity are required"],
    ["eval/cli.ts", ["--bogus"], "eval: Unknown option '--bogus'"],
    ["eval/vectors.ts", ["--seeds", "31,"], "eval:vectors: --seeds must be"],
    ["upstash-bridge/cli.ts", ["--bogus"], "upstash-bridge: Unknown option '--bogus'"],
    ["upstash-bridge/cli.ts", ["--port", "99999"], "upstash-bridge: invalid port: 99999"],
    ["guard/cli.ts", ["--bogus"], "guard: Unknown option '--bogus'"],
    // Output files are checked before the run, not found unwritable after it.
    [
      "eval/vectors.ts",
      ["--seeds", "31", "--json", "/nonexistent-dir/x.json"],
      "eval:vectors: --json /nonexistent-dir/x.json: there is no folder /nonexistent-dir",
    ],
    [
      "bench/cli.ts",
      ["--only", "inference", "--json", "/nonexistent-dir/x.json"],
      "bench: --json /nonexistent-dir/x.json: there is no folder",
    ],
    [
      "bench/cli.ts",
      ["--only", "inference", "--doc", "/dev/null"],
      "bench: --doc /dev/null has no <!-- bench:start -->",
    ],
    ["bench/cli.ts", ["--only", ""], "bench: unknown part  ("],
    ["load/cli.ts", ["cached", "--url", "notaurl"], "load: --url notaurl is not a URL"],
    // An empty value is not 0 (Number("") is): a seed or a threshold never silently becomes 0.
    ["eval/vectors.ts", ["--min-confidence="], 'eval:vectors: --min-confidence must be a number 0-1, got ""'],
    ["index/bench.ts", ["--seed="], 'bench:index: --seed must be an integer >= 0, got ""'],
    ["eval/cli.ts", ["--data", "x", "--limit", " "], 'eval: --limit must be an integer >= 1, got " "'],
    [
      "model/ort-latency.ts",
      ["m.onnx", "--threads="],
      'ort-latency: --threads must be an integer 1-256, got ""',
    ],
    [
      "ael/import-cli.ts",
      ["--src", "x", "--out", "y", "--seed="],
      'ael:import: --seed wants an integer >= 0, got ""',
    ],
    // Outputs never land on inputs: the ground truth was overwritten by predictions (and then
    // scored 1.0), an AEL folder or a store made unreadable by what was written into it.
    [
      "eval/cli.ts",
      ["--data", "/tmp/ds", "--pred-out", "/tmp/ds/ann_dir/test"],
      "eval: --pred-out /tmp/ds/ann_dir/test is inside the ground truth /tmp/ds/ann_dir",
    ],
    [
      "ael/import-cli.ts",
      ["--src", "/tmp", "--out", "/tmp/sub"],
      "ael:import: --out /tmp/sub is inside --src /tmp",
    ],
    ["ael/import-cli.ts", ["--src", "/", "--out", "/x"], "ael:import: --out /x is inside --src /"],
    [
      "index/build.ts",
      ["--src", "/tmp", "--out", "/tmp"],
      "index:build: --out /tmp is inside --src and is not an index: it would be overwritten",
    ],
    [
      "scenes/cli.ts",
      ["--from-ael", "/tmp", "--out", "/tmp/x"],
      "scenes: --out /tmp/x is inside --from-ael /tmp",
    ],
    [
      "index/build.ts",
      ["--src", "/tmp", "--out", "/tmp/idx.json"],
      "index:build: --out /tmp/idx.json is inside --src and would be read as a sidecar",
    ],
    [
      "ael/import-cli.ts",
      ["--src", "/tmp", "--out", "/x", "--size", "100000"],
      "ael:import: --size must be <= 8192",
    ],
    // Unwritable, not only missing: found before the run, not after it.
    [
      "eval/cli.ts",
      ["--data", "/tmp/ds", "--json", "/sys/x.json"],
      "eval: --json /sys/x.json cannot be written",
    ],
    // A value starting with a dash: the line keeps parseArgs' own fix, which came last.
    [
      "eval/vectors.ts",
      ["--seeds", "-1"],
      "Option '--seeds' argument is ambiguous. To specify an option argument starting with a dash use '--seeds=-XYZ'.",
    ],
  ])("%s %j: one line, exit code 2", async (path, args, message) => {
    const r = await run(path, args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe("");
  });

  it.each([
    ["dev/start.ts", "usage: npm start"],
    ["../edge/web/build.ts", "usage: npm run build:web"],
  ])(
    "%s: --help is usage (it started the whole stack or a build), any other argument one line, exit 2",
    async (path, usage) => {
      const help = await run(path, ["--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(usage);
      const bad = await run(path, ["--bogus"]);
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    },
  );

  it.each(["index/build.ts", "bench/backend.ts", "guard/cli.ts", "guard/build-backend.ts"])(
    "%s --help: usage on stdout, exit code 0",
    async (path) => {
      const r = await run(path, ["--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^usage: npm run /);
      expect(r.stderr).toBe("");
    },
  );

  it("names a model file that is not there, not its card", async () => {
    const r = await run("eval/cli.ts", ["--data", "/tmp", "--model", "/nonexistent/m.onnx"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("eval: model file not found: /nonexistent/m.onnx");
  });

  it("names an image it cannot read", async () => {
    const data = await mkdtemp(join(tmpdir(), "eval-corrupt-"));
    try {
      await mkdir(join(data, "img_dir", "test"), { recursive: true });
      await mkdir(join(data, "ann_dir", "test"), { recursive: true });
      const image = join(data, "img_dir", "test", "a.jpg");
      await writeFile(image, "not a jpeg");
      await sharp(Buffer.alloc(64 * 64), { raw: { width: 64, height: 64, channels: 1 } })
        .png()
        .toFile(join(data, "ann_dir", "test", "a.png"));
      const r = await run("eval/cli.ts", ["--data", data, "--workers", "1"]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(`eval: cannot read ${image}: `);
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });

  it("a failure that is not a usage error: one line, exit code 1, no stack", async () => {
    const r = await run("model/parity.ts", ["--onnx", "m.onnx", "--parity", "/nonexistent-parity-dir"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^model:parity: ENOENT/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
