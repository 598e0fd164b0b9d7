/**
 * The tools end bad input with one line and exit code 2, and other failures with one line and
 * exit code 1, never a stack trace (scripts/cli/run.ts). Each case fails before any real work.
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { outputFiles, outputFolder, UsageError } from "./run.js";

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
    // Under /proc or /sys: /proc/version opened for appending, and Node's recursive mkdir there
    // never returned (scenes hung); esbuild reported a folder it could not make in a dozen lines.
    [
      "eval/vectors.ts",
      ["--json", "/proc/version"],
      "eval:vectors: --json /proc/version cannot be written (it is in /proc)",
    ],
    [
      "scenes/cli.ts",
      ["--out", "/proc/lsn-x", "--count", "1", "--size", "64"],
      "scenes: --out /proc/lsn-x cannot be written (it is in /proc)",
    ],
    [
      "eval/cli.ts",
      ["--data", "/tmp", "--pred-out", "/proc/lsn-x"],
      "eval: --pred-out /proc/lsn-x cannot be written (it is in /proc)",
    ],
    [
      "ael/import-cli.ts",
      ["--src", "/tmp", "--out", "/proc/lsn-x"],
      "ael:import: --out /proc/lsn-x cannot be written (it is in /proc)",
    ],
    [
      "guard/build-backend.ts",
      ["--out", "/proc/lsn-x"],
      "build:backend: --out /proc/lsn-x cannot be written (it is in /proc)",
    ],
    [
      "bench/cli.ts",
      ["--only", "inference", "--doc", "/nonexistent-doc.md"],
      "bench: --doc /nonexistent-doc.md does not exist",
    ],
    [
      "ael/import-cli.ts",
      ["--src", "/tmp", "--out", "/x", "--block-m", "1e999"],
      "ael:import: --block-m must be a number 10-100000, got 1e999",
    ],
    ["eval/cli.ts", ["--data", "/tmp", "--workers", "65"], "eval: --workers must be an integer 1-64, got 65"],
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

  it.each(
    ["index/build.ts", "bench/backend.ts", "guard/cli.ts", "guard/build-backend.ts"].flatMap((path) => [
      [path, "--help"],
      [path, "-h"],
    ]),
  )("%s %s: usage on stdout, exit code 0", async (path, flag) => {
    const r = await run(path, [flag]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run /);
    expect(r.stderr).toBe("");
  });

  it.each([
    ["model/ort-latency.ts", ["--help"]],
    ["model/ort-latency.ts", ["-h"]],
    ["ael/import-cli.ts", ["-h"]],
    ["scenes/cli.ts", ["-h"]],
    // Help comes before the output files are tried (they were, and refused it).
    ["load/soak.ts", ["--help", "--json", "/nonexistent-dir/x"]],
    ["load/cli.ts", ["--help", "--json", "/nonexistent-dir/x"]],
    ["bench/cli.ts", ["--help", "--json", "/nonexistent-dir/x"]],
    ["eval/vectors.ts", ["--help", "--json", "/nonexistent-dir/x"]],
    ["index/bench.ts", ["--help", "--json", "/nonexistent-dir/x"]],
    ["bench/profile-edge.ts", ["--help", "--out", "/nonexistent-dir/x"]],
  ])("%s %j: usage on stdout, exit code 0", async (path, args) => {
    const r = await run(path, args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: /i);
    expect(r.stderr).toBe("");
  });

  it("load --help documents every option, --edge-entry too", async () => {
    const r = await run("load/cli.ts", ["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("[--edge-entry FILE]");
  });

  it("eval:vectors names a model file that is not there, not its card", async () => {
    const r = await run("eval/vectors.ts", ["--seeds", "31", "--model", "/nonexistent/m.onnx"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("eval:vectors: model file not found: /nonexistent/m.onnx");
  });

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

describe("outputFiles and outputFolder: only what can really be written as a file or folder", () => {
  it("refuses /proc, /sys, other devices, a closed stream and a link into /proc; passes a file, /dev/null, stdout and a named pipe, whose reader it leaves alone", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lsn-output-files-"));
    try {
      const fifo = join(dir, "fifo");
      expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
      const link = join(dir, "link");
      await symlink("/proc/version", link);
      const refused = async (path: string, why: RegExp) => {
        const error = await outputFiles({ "--json": path }).catch((e: unknown) => e);
        expect(error, path).toBeInstanceOf(UsageError);
        expect((error as Error).message).toMatch(why);
      };
      await refused("/proc/version", /^--json \/proc\/version cannot be written \(it is in \/proc\)$/);
      await refused("/proc/self/x", /it is in \/proc/);
      await refused("/sys/kernel/x", /it is in \/sys/);
      await refused(link, /it is in \/proc/);
      // A named pipe passes on its permission alone: opening it, even without blocking, and closing
      // it again would end its reader's input before the tool wrote anything.
      const out = join(dir, "read.txt");
      const reader = spawn("sh", ["-c", `cat "${fifo}" > "${out}"`], { stdio: "ignore" });
      const readerDone = new Promise((r) => reader.once("exit", r));
      try {
        await outputFiles({ "--json": fifo });
        await new Promise((r) => setTimeout(r, 300));
        expect(reader.exitCode).toBeNull(); // still reading
        await writeFile(fifo, "results\n");
        await readerDone;
        expect(await readFile(out, "utf8")).toBe("results\n");
      } finally {
        reader.kill();
      }
      // Not a place for results: a device other than a terminal or /dev/null, a stream not open.
      await refused("/dev/zero", /cannot be written \(not a file, terminal or pipe\)/);
      await refused("/dev/fd/987", /cannot be written \(no output stream of this process\)/);
      // Input, and the descriptors Node keeps for itself (open, yet no place for results).
      await refused("/dev/fd/0", /no output stream of this process/);
      await refused("/dev/fd/3", /no output stream of this process/);
      await writeFile(join(dir, "old.json"), "kept");
      await outputFiles({
        "--json": join(dir, "new.json"),
        "--lines": join(dir, "old.json"),
        "--x": "/dev/null",
        "--out": "/dev/stdout",
        "--err": "/dev/fd/2",
      });
      expect(await readdir(dir)).toEqual(expect.arrayContaining(["old.json"]));
      expect(await readdir(dir)).not.toContain("new.json");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("outputFolder: refuses /proc, /sys and a file on the way, without creating anything", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lsn-output-folder-"));
    try {
      await writeFile(join(dir, "file"), "");
      const refused = async (path: string, why: RegExp) => {
        const error = await outputFolder("--out", path).catch((e: unknown) => e);
        expect(error, path).toBeInstanceOf(UsageError);
        expect((error as Error).message).toMatch(why);
      };
      await refused("/proc/lsn-x/y", /^--out \/proc\/lsn-x\/y cannot be written \(it is in \/proc\)$/);
      await refused("/sys/lsn-x", /it is in \/sys/);
      await refused(join(dir, "file", "sub"), /file is not a folder$/);
      await refused(join(dir, "file"), /is not a folder$/);
      await outputFolder("--out", join(dir, "a", "b"));
      expect(await readdir(dir)).toEqual(["file"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
