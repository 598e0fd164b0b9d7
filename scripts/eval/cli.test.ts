/**
 * `npm run eval` as a process on a tiny MMSegmentation split made of the committed scene fixtures:
 * the figures it prints and records are SegmentationScore over (its predicted masks, the ground
 * truth) — prediction and truth the right way round, and ground truth stored as grey-as-RGB read
 * as class ids.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/test-support.js";
import { decodeMask } from "../scenes/render/encode.js";
import { SegmentationScore, type SplitMetrics } from "./metrics.js";

const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FIXTURES = join(ROOT, "test/fixtures/scenes");
const IDS = ["fixture_00", "fixture_01", "fixture_02"];

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lsn-eval-cli-"));
  await mkdir(join(dir, "data/img_dir/test"), { recursive: true });
  await mkdir(join(dir, "data/ann_dir/test"), { recursive: true });
  for (const id of IDS) {
    await copyFile(join(FIXTURES, `${id}.jpg`), join(dir, "data/img_dir/test", `${id}.jpg`));
    const ann = join(dir, "data/ann_dir/test", `${id}.png`);
    if (id === "fixture_01") {
      // The same class ids stored as three equal RGB channels (what many tools write).
      const m = await decodeMask(join(FIXTURES, `${id}.png`));
      const rgb = Buffer.alloc(m.data.length * 3);
      for (let i = 0; i < m.data.length; i++) rgb.fill(m.data[i]!, 3 * i, 3 * i + 3);
      await sharp(rgb, { raw: { width: m.width, height: m.height, channels: 3 } })
        .png()
        .toFile(ann);
    } else await copyFile(join(FIXTURES, `${id}.png`), ann);
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (args: string[], timeoutMs: number) => runCli(CLI, args, { cwd: ROOT, timeoutMs });

describe("npm run eval", () => {
  it("scores its predicted masks against the ground truth, the right way round", async () => {
    const json = join(dir, "metrics.json");
    const predOut = join(dir, "pred");
    const r = await run(
      ["--data", join(dir, "data"), "--split", "test", "--json", json, "--pred-out", predOut],
      60_000,
    );
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const reported = JSON.parse(await readFile(json, "utf8")) as SplitMetrics;
    const score = new SegmentationScore();
    for (const id of IDS) {
      const pred = await decodeMask(join(predOut, `${id}.png`));
      const gt = await decodeMask(join(FIXTURES, `${id}.png`));
      score.add(pred.data, gt.data, gt.width, gt.height);
    }
    const expected = score.result();
    // The fixtures' model output is neither perfect nor symmetric, so a swap would show.
    expect(expected.relaxedPrecision3px).not.toBeCloseTo(expected.relaxedRecall3px ?? 0, 3);
    expect(reported).toMatchObject({ ...expected });
  }, 70_000);

  it("refuses a colour ground-truth mask instead of reading one channel as class ids", async () => {
    const data = join(dir, "colour");
    await mkdir(join(data, "img_dir/test"), { recursive: true });
    await mkdir(join(data, "ann_dir/test"), { recursive: true });
    await copyFile(join(FIXTURES, "fixture_00.jpg"), join(data, "img_dir/test/fixture_00.jpg"));
    const m = await decodeMask(join(FIXTURES, "fixture_00.png"));
    // Class 1 drawn red (1, 0, 0): its first channel alone would pass for class ids.
    const rgb = Buffer.alloc(m.data.length * 3);
    for (let i = 0; i < m.data.length; i++) rgb[3 * i] = m.data[i]!;
    await sharp(rgb, { raw: { width: m.width, height: m.height, channels: 3 } })
      .png()
      .toFile(join(data, "ann_dir/test/fixture_00.png"));
    const r = await run(["--data", data, "--split", "test"], 60_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("mask fixture_00 is a colour or palette image");
  }, 70_000);

  it("refuses a 16-bit ground-truth mask, which would decode as all background", async () => {
    const data = join(dir, "deep");
    await mkdir(join(data, "img_dir/test"), { recursive: true });
    await mkdir(join(data, "ann_dir/test"), { recursive: true });
    await copyFile(join(FIXTURES, "fixture_00.jpg"), join(data, "img_dir/test/fixture_00.jpg"));
    const m = await decodeMask(join(FIXTURES, "fixture_00.png"));
    await sharp(Uint16Array.from(m.data), { raw: { width: m.width, height: m.height, channels: 1 } })
      .toColourspace("grey16")
      .png()
      .toFile(join(data, "ann_dir/test/fixture_00.png"));
    const r = await run(["--data", data, "--split", "test"], 60_000);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/mask fixture_00 has 16-bit samples: expected 8-bit/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  }, 70_000);

  it("refuses a 1-bit ground-truth mask (a 1-bit grey one decodes class 1 as 255, ignored)", async () => {
    const data = join(dir, "shallow");
    await mkdir(join(data, "img_dir/test"), { recursive: true });
    await mkdir(join(data, "ann_dir/test"), { recursive: true });
    await copyFile(join(FIXTURES, "fixture_00.jpg"), join(data, "img_dir/test/fixture_00.jpg"));
    const m = await decodeMask(join(FIXTURES, "fixture_00.png"));
    await sharp(Buffer.from(m.data.map((v) => (v > 0 ? 1 : 0))), {
      raw: { width: m.width, height: m.height, channels: 1 },
    })
      // Two colours: sharp writes a 1-bit PNG.
      .png({ palette: true, colours: 2 })
      .toFile(join(data, "ann_dir/test/fixture_00.png"));
    const r = await run(["--data", data, "--split", "test"], 60_000);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/mask fixture_00 has 1-bit samples: expected 8-bit/);
  }, 70_000);
});
