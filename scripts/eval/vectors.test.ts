/**
 * `npm run eval:vectors` as a process: bad `--params` are refused before anything starts, and a
 * variant with no change (`{}`) reproduces the backend's own figures exactly, which is what makes
 * a `--params` sweep comparable with the defaults (same segmentation, clip and confidence floor);
 * figures over several worlds are pooled by length, not averaged per world.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/test-support.js";

const CLI = fileURLToPath(new URL("./vectors.ts", import.meta.url));

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lsn-eval-vectors-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (args: string[], timeoutMs: number) => runCli(CLI, args, { timeoutMs });

/**
 * One run over two worlds with two variants serves both tests below (each world is a real analysis
 * on the CPU backend, ~18 s): started by the first test that needs it.
 */
let twoWorlds: Promise<{ code: number; stdout: string; stderr: string; json: string }> | undefined;
function runTwoWorlds() {
  twoWorlds ??= (async () => {
    const json = join(dir, "vectors.json");
    const r = await run(
      ["--seeds", "31,32", "--params", "{}", "--params", '{"minLengthSolidM":30}', "--json", json],
      150_000,
    );
    return { ...r, json };
  })();
  return twoWorlds;
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
    const r = await runTwoWorlds();
    const json = r.json;
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
  }, 160_000);
});

describe("npm run eval:vectors over several worlds", () => {
  it("pools the worlds by length: found over true, false over reported, the rest over what was found", async () => {
    const r = await runTwoWorlds();
    const json = r.json;
    expect(r.code).toBe(0);
    type Score = {
      truthLengthM: number;
      detectedLengthM: number;
      recall: number;
      falseShare: number;
      meanOffsetM: number;
      classAgreement: number;
      lengthRatio: number;
      foundLengthRatio: number;
    };
    type Paint = { paintedM: number; coveredM: number };
    const report = JSON.parse(await readFile(json, "utf8")) as {
      rows: {
        score: Score;
        paint: Paint;
        paintFound: Paint;
        dashes: { onDashedLanes: number; within25: number };
      }[];
      pooled: Record<string, unknown>;
    };
    const rows = report.rows;
    expect(rows).toHaveLength(2);
    const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((a, r) => a + f(r), 0);
    const trueM = sum((r) => r.score.truthLengthM);
    const reportedM = sum((r) => r.score.detectedLengthM);
    const foundM = sum((r) => r.score.recall * r.score.truthLengthM);
    const overFound = (f: (s: Score) => number) =>
      sum((r) => f(r.score) * r.score.recall * r.score.truthLengthM) / foundM;
    const paintedM = sum((r) => r.paint.paintedM);
    const expected = {
      truthLengthM: trueM,
      detectedLengthM: reportedM,
      recall: foundM / trueM,
      falseShare: sum((r) => r.score.falseShare * r.score.detectedLengthM) / reportedM,
      meanOffsetM: overFound((s) => s.meanOffsetM),
      classAgreement: overFound((s) => s.classAgreement),
      lengthRatio: sum((r) => r.score.lengthRatio * r.score.truthLengthM) / trueM,
      foundLengthRatio: overFound((s) => s.foundLengthRatio),
      paintSeen: sum((r) => r.paint.coveredM) / paintedM,
      paintFound: sum((r) => r.paintFound.coveredM) / paintedM,
    };
    for (const [k, v] of Object.entries(expected)) expect(report.pooled[k], k).toBeCloseTo(v, 9);
    expect(report.pooled.dashes).toMatchObject({
      onDashedLanes: sum((r) => r.dashes.onDashedLanes),
      within25: sum((r) => r.dashes.within25),
    });
    // The two worlds differ, so a wrong weight shows.
    expect(rows[0]!.score.recall).not.toBeCloseTo(rows[1]!.score.recall, 2);
  }, 160_000);
});
