import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Manifest } from "./outputs/manifest.js";

const CLI = join(import.meta.dirname, "cli.ts");
const tmp = mkdtempSync(join(tmpdir(), "scenes-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], {
    encoding: "utf8",
    cwd: join(import.meta.dirname, "../.."),
  });
}

function masks(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const split of ["train", "val", "test"]) {
    for (const f of readdirSync(join(dir, "ann_dir", split)))
      out.set(`${split}/${f}`, readFileSync(join(dir, "ann_dir", split, f)));
  }
  return out;
}

describe("scenes CLI", () => {
  it("writes the MMSeg layout and manifest; the same seed gives byte-identical masks with any worker count", () => {
    const a = join(tmp, "a");
    const b = join(tmp, "b");
    const common = ["--count", "6", "--seed", "42", "--split", "50,17,33", "--size", "128"];
    const ra = run(["--out", a, ...common, "--workers", "2"]);
    expect(ra.status, ra.stderr).toBe(0);
    const rb = run(["--out", b, ...common, "--workers", "1"]);
    expect(rb.status, rb.stderr).toBe(0);
    const ma = masks(a);
    const mb = masks(b);
    expect(ma.size).toBe(6);
    expect([...ma.keys()].sort()).toEqual([...mb.keys()].sort());
    for (const [k, v] of ma) expect(v.equals(mb.get(k)!), k).toBe(true);
    const manifest = JSON.parse(readFileSync(join(a, "manifest.json"), "utf8")) as Manifest;
    expect(manifest.seed).toBe(42);
    expect(manifest.splits.train!.count + manifest.splits.val!.count + manifest.splits.test!.count).toBe(6);
    expect(manifest.splits.train!.count).toBe(3);
    expect(manifest.splits.train!.classPixels).toHaveLength(7);
    expect(
      manifest.scenes.every((s) => s.gsdM >= 0.08 && s.gsdM <= 0.35 && s.footprint[2] > s.footprint[0]),
    ).toBe(true);
    // Every image has its mask.
    for (const s of manifest.scenes) {
      expect(readdirSync(join(a, "img_dir", s.split))).toContain(`${s.id}.jpg`);
    }
  }, 60_000);

  it("replaces its own store in --out whole, keeps other files, and refuses images it did not write", () => {
    const dir = join(tmp, "store");
    expect(run(["--store", "--out", dir, "--grid", "2x2", "--seed", "1", "--size", "128"]).status).toBe(0);
    expect(readdirSync(dir)).toHaveLength(9);
    // A smaller world from another seed: the earlier world's tiles went on beside it (and were
    // indexed with it).
    expect(run(["--store", "--out", dir, "--grid", "1x1", "--seed", "5", "--size", "128"]).status).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(["90000000.jpg", "90000000.json", "store-meta.txt"]);
    // Other files (the demo store's README, an index) stay; an image it did not write is refused.
    writeFileSync(join(dir, "README.md"), "mine");
    expect(run(["--store", "--out", dir, "--grid", "1x1", "--seed", "6", "--size", "128"]).status).toBe(0);
    expect(readFileSync(join(dir, "README.md"), "utf8")).toBe("mine");
    writeFileSync(join(dir, "other.json"), "{}");
    const r = run(["--store", "--out", dir, "--grid", "1x1", "--seed", "6", "--size", "128"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/holds other\.json, not written by this generator/);
    expect(readFileSync(join(dir, "other.json"), "utf8")).toBe("{}");
  }, 60_000);

  it.each([
    [["--count", "3"], /--out DIR is required/],
    [["--out", "x", "--count", "two"], /--count wants an integer/],
    [["--out", "x", "--count", "2", "--split", "70,30"], /--split wants three/],
    [["--out", "x", "--count", "2", "--bogus"], /Unknown option/],
    [["--out", "x", "--store", "--at", "500,1"], /--at wants LON,LAT/],
    [["--out", "x", "--store", "--at", ","], /--at wants LON,LAT/],
    [["--out", "x", "--count", "2", "--seed", ""], /--seed wants an integer, got ""/],
    // A negative value after a space reads to parseArgs as a flag: the line says how to pass it.
    [
      ["--out", "x", "--count", "-3"],
      /argument is ambiguous\. To specify an option argument starting with a dash use '--count=-XYZ'/,
    ],
  ])("rejects bad input %j with one line and a non-zero exit", (args, msg) => {
    const r = run(args as string[]);
    expect(r.status).not.toBe(0);
    expect(
      r.stderr
        .trim()
        .split("\n")
        .filter((l) => !l.includes("npm warn")),
    ).toHaveLength(1);
    expect(r.stderr).toMatch(msg);
  });
});
