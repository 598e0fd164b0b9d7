/**
 * `npm run eval:vectors` as a process: bad `--params` are refused before anything starts, and a
 * variant with no change (`{}`) reproduces the backend's own figures exactly, which is what makes
 * a `--params` sweep comparable with the defaults (same segmentation, clip and confidence floor).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CLI = fileURLToPath(new URL("./vectors.ts", import.meta.url));
const TSX = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lsn-eval-vectors-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(args: string[], timeoutMs: number) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      TSX,
      [CLI, ...args],
      { env: { PATH: process.env.PATH }, timeout: timeoutMs },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("npm run eval:vectors --params", () => {
  it.each([
    ['{"noSuchParameter":1}', 'no vectoriser parameter "noSuchParameter"'],
    ['{"bridgeMinRadiusM":"far"}', '"bridgeMinRadiusM" must be a number'],
    ["[1,2]", "must be a JSON object"],
    ["{bridge", "not JSON"],
  ])("refuses %s with one line and exit code 2", async (params, message) => {
    const r = await run(["--seeds", "31", "--params", params], 20_000);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe("");
  });

  it("vectorises the same segmentation again: an empty variant gives the backend's figures", async () => {
    const json = join(dir, "vectors.json");
    const r = await run(
      ["--seeds", "31", "--params", "{}", "--params", '{"minLengthSolidM":30}', "--json", json],
      120_000,
    );
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const report = JSON.parse(await readFile(json, "utf8")) as {
      rows: { features: number }[];
      pooled: { recall: number; falseShare: number; truthLengthM: number };
      variants: { params: object; rows: { features: number }[]; pooled: { recall: number } }[];
    };
    expect(report.pooled.truthLengthM).toBeGreaterThan(0);
    expect(report.pooled.recall).toBeGreaterThan(0.5);
    expect(report.variants).toHaveLength(2);
    expect(report.variants[0]?.rows).toEqual(report.rows);
    expect(report.variants[0]?.pooled).toEqual(report.pooled);
    // A real change changes the figures: a far longer minimum length keeps fewer lines.
    expect(report.variants[1]?.params).toEqual({ minLengthSolidM: 30 });
    expect(report.variants[1]?.rows[0]?.features).toBeLessThan(report.rows[0]?.features ?? 0);
    expect(r.stdout).toContain("Vectorised again with `{}`");
  }, 130_000);
});
