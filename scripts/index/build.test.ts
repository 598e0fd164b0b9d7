import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CoverageIndex } from "@lanesegnet/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const CLI = fileURLToPath(new URL("./build.ts", import.meta.url));

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "index-cli-"));
  const region = [-41909.78, 4782162.06, -41536.45, 4782535.39];
  const side = {
    region,
    resolution: [1280, 1280],
    meters_per_pixel: (region[2]! - region[0]!) / 1280,
    lanes: [],
  };
  await writeFile(path.join(dir, "a.json"), JSON.stringify(side));
  await writeFile(path.join(dir, "a.jpg"), "");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("index:build CLI", () => {
  it("builds an index file and prints count, bbox and time", async () => {
    const out = path.join(dir, "idx", "coverage.idx");
    const r = await cli("--src", dir, "--out", out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/indexed 1 image\(s\) \(1 with image files, 0 skipped\) from .* in \d+\.\d+ s/);
    expect(r.stdout).toMatch(/bbox lon\/lat +\[-0\.376/);
    const index = CoverageIndex.from(await readFile(out));
    expect(index.image(0)).toMatchObject({ id: "a", file: "a.jpg" });
  });

  it("refuses a store with nothing to index, and writes nothing", async () => {
    const empty = await mkdtemp(path.join(tmpdir(), "index-cli-empty-"));
    try {
      const out = path.join(empty, "coverage.idx");
      const r = await cli("--src", empty, "--out", out);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toMatch(
        /^index:build: no image sidecars \(\*\.json\) to index under .*; nothing written$/,
      );
      await expect(readFile(out)).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it.each([
    [["--src", "x"], 2, /--src and --out are required/],
    [["--bogus"], 2, /Unknown option '--bogus'/],
    [["--src", "x", "--out", "y", "--concurrency", "0"], 2, /--concurrency must be a positive integer/],
    [["--src", "/definitely/not/here", "--out", "y"], 2, /imagery store not found/],
  ])("fails with one line for %j", async (args, code, message) => {
    const r = await cli(...args);
    expect(r.code).toBe(code);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
  });
});
