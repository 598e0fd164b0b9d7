import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMask, labelWidthPx, rasterizeLanes } from "@lanesegnet/shared";
import { afterAll, describe, expect, it } from "vitest";
import {
  AelAnnotationSchema,
  aelGroundGsd,
  aelLaneClass,
  aelLanePixels,
} from "../scenes/outputs/ael-format.js";
import { SplitLeakError } from "../scenes/outputs/split-check.js";
import { parseSplitRatios } from "../scenes/outputs/splits.js";
import { writeStoreImages } from "../scenes/outputs/store.js";
import { decodeMask } from "../scenes/render/encode.js";
import { cutStore, renderWorld, storeWorldSize } from "../scenes/world.js";
import { importAel } from "./import.js";

const tmp = mkdtempSync(join(tmpdir(), "ael-import-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A small AEL folder made by the generator: two "cities" of 2x2 overlapping images each. */
async function makeAelFolder(dir: string): Promise<void> {
  const layout = { cols: 2, rows: 2, tile: 128, overlap: 0.25 };
  const size = storeWorldSize(layout);
  for (const [city, lon, lat] of [
    ["2", 1.43, 43.7],
    ["5", -119.8, 39.5],
  ] as const) {
    const world = renderWorld({
      seed: Number(city),
      width: size.width,
      height: size.height,
      gsdM: 0.3,
      centre: { lon, lat },
      layout: "cross",
    });
    await writeStoreImages(
      dir,
      cutStore(world, layout, (r, c) => `${city}000000${r * 2 + c}`),
      80,
    );
  }
}

const base = {
  split: parseSplitRatios("70,10,20"),
  splitBy: "city" as const,
  blockM: 2000,
  limit: null,
  cities: null,
  seed: 1,
  size: null,
  format: "jpg" as const,
  renderMissing: true,
  workers: 1,
  workerUrl: new URL(import.meta.url),
  command: "test",
};

describe("AEL importer", () => {
  it("converts images as they are, draws masks by the shared rule and splits by city", async () => {
    const src = join(tmp, "src");
    await makeAelFolder(src);
    const out = join(tmp, "out");
    const { report, manifest } = await importAel({ ...base, src, out });
    expect(report.converted).toBe(8);
    expect(report.withImages).toBe(8);
    expect(report.rendered).toBe(0);
    // Each city goes to one split; two cities, two splits.
    const splitOf = new Map(manifest.scenes.map((s) => [s.id, s.split]));
    expect(new Set(["20000000", "20000001", "20000002", "20000003"].map((id) => splitOf.get(id))).size).toBe(
      1,
    );
    expect(splitOf.get("20000000")).not.toBe(splitOf.get("50000000"));
    for (const s of manifest.scenes) {
      const img = join(out, "img_dir", s.split, `${s.id}.jpg`);
      expect(readFileSync(img).equals(readFileSync(join(src, `${s.id}.jpg`)))).toBe(true);
      const ann = AelAnnotationSchema.parse(JSON.parse(readFileSync(join(src, `${s.id}.json`), "utf8")));
      const lanes = ann.lanes.map((l) => ({ classId: aelLaneClass(l), points: aelLanePixels(l) }));
      const gsd = aelGroundGsd(ann);
      const expected = rasterizeLanes(createMask(128, 128), lanes, gsd).data;
      const got = await decodeMask(join(out, "ann_dir", s.split, `${s.id}.png`));
      expect(Buffer.from(got.data).equals(Buffer.from(expected))).toBe(true);
      expect(labelWidthPx(0.15, gsd)).toBe(3);
    }
    expect(JSON.parse(readFileSync(join(out, "report.json"), "utf8")).converted).toBe(8);
  }, 60_000);

  it("fails loudly on a planted overlap between splits, before writing anything", async () => {
    const src = join(tmp, "leaky");
    await makeAelFolder(src);
    // A city-2 image filed under city 5 lands in the other split while covering city 2's ground.
    copyFileSync(join(src, "20000001.json"), join(src, "59999999.json"));
    copyFileSync(join(src, "20000001.jpg"), join(src, "59999999.jpg"));
    const out = join(tmp, "leaky-out");
    await expect(importAel({ ...base, src, out })).rejects.toThrow(SplitLeakError);
    await expect(importAel({ ...base, src, out })).rejects.toThrow(/59999999/);
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
  }, 60_000);

  it("renders scenes from the geometry when images are absent, and can skip them instead", async () => {
    const src = join(tmp, "noimg");
    mkdirSync(src, { recursive: true });
    const full = join(tmp, "src");
    for (const f of readdirSync(full).filter((f) => f.endsWith(".json")))
      copyFileSync(join(full, f), join(src, f));
    writeFileSync(join(src, "60000000.json"), "{not json");
    const out = join(tmp, "noimg-out");
    const { report, manifest } = await importAel({ ...base, src, out, size: 96 });
    expect(report.rendered).toBe(8);
    expect(report.skipped.map((s) => s.id)).toEqual(["60000000"]);
    expect(manifest.scenes.every((s) => s.width === 96)).toBe(true);
    const marked = manifest.scenes.filter((s) => s.classPixels.slice(1).some((v) => v > 0));
    expect(marked.length).toBeGreaterThan(0);
    await expect(importAel({ ...base, src, out: join(tmp, "skip"), renderMissing: false })).rejects.toThrow(
      /nothing to convert/,
    );
  }, 60_000);

  const real = join(import.meta.dirname, "../../../shared/data/ael");
  it.skipIf(!existsSync(real))(
    "renders real AEL geometry (shared data, skipped when absent)",
    async () => {
      const out = join(tmp, "real");
      const { report, manifest } = await importAel({ ...base, src: real, out, limit: 3, size: 160 });
      expect(report.annotationsFound).toBeGreaterThan(1000);
      expect(report.converted).toBe(3);
      for (const s of manifest.scenes)
        expect(s.classPixels.slice(1).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    },
    60_000,
  );
});

describe("npm run ael:import (the CLI)", () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, "import-cli.ts"), ...args], {
      encoding: "utf8",
      timeout: 30_000,
    });

  it.each([
    [["--out", join(tmp, "cli-out")], /--src DIR and --out DIR are required/],
    [["--src", join(tmp, "not-here"), "--out", join(tmp, "cli-out")], /no such folder: .*not-here$/],
    [["--src", tmp, "--out", join(tmp, "cli-out"), "--split", "1,2"], /split/],
  ])("refuses bad input %j with one line and exit code 2", (args, message) => {
    const r = run(args);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^ael:import: /);
    expect(lines[0]).toMatch(message);
  });
});
