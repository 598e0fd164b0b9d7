/**
 * npm run ael:import -- --src DIR --out DIR [options]: convert an AEL folder to the MMSeg layout.
 * This file is also the worker of its own pool (see scenes/pool.ts).
 */

import { existsSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { isMainThread, workerData } from "node:worker_threads";
import { numberFlag, outputFolder, outsideOf, usageLine } from "../cli/run.js";
import { runJob } from "../scenes/jobs.js";
import { parseSplitRatios } from "../scenes/outputs/splits.js";
import { defaultWorkers, serveJobs } from "../scenes/pool.js";
import { importAel } from "./import.js";
import { BLOCK_M_RANGE } from "./plan.js";

const HELP = `Usage: npm run ael:import -- --src DIR --out DIR [options]

Convert AEL annotations (<id>.json, optional <id>.jpg|png beside them or in DIR/images) to the
MMSegmentation layout with masks drawn by the shared label rule, spatially disjoint splits and a
report (report.json) of what was converted.

  --src DIR             AEL folder (or its parent with annotations/)
  --out DIR             output folder
  --split A,B,C         train,val,test proportions (default 70,10,20)
  --split-by city|blocks  by city (first digit of the id, default) or by Mercator blocks
  --block-m M           block size in metres for --split-by blocks (default 2000, 10-100000)
  --limit N             convert at most N files (in id order)
  --cities 0,2,...      only these city digits
  --no-render           skip annotations without images instead of rendering them
  --size N              render size for annotations without images (default: native)
  --seed S              seed for rendering and block shuffling (default 1)
  --format jpg|png      format of rendered images (default jpg)
  --workers N           worker threads (default: available cores)
`;

function fail(msg: string, code = 2): never {
  console.error(`ael:import: ${msg}`);
  process.exit(code);
}

function int(name: string, v: string | undefined, def: number | null, min: number): number | null {
  if (v === undefined) return def;
  const n = v.trim() === "" ? Number.NaN : Number(v); // Number("") is 0
  if (!Number.isInteger(n) || n < min) fail(`--${name} wants an integer >= ${min}, got "${v}"`);
  return n;
}

async function main(argv: string[]): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        src: { type: "string" },
        out: { type: "string" },
        split: { type: "string" },
        "split-by": { type: "string" },
        "block-m": { type: "string" },
        limit: { type: "string" },
        cities: { type: "string" },
        "no-render": { type: "boolean" },
        size: { type: "string" },
        seed: { type: "string" },
        format: { type: "string" },
        workers: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    fail(usageLine((e as Error).message));
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const s = (k: string) => values[k] as string | undefined;
  const src = s("src");
  const out = s("out");
  if (!src || !out) fail("--src DIR and --out DIR are required (see --help)");
  let split: ReturnType<typeof parseSplitRatios>;
  try {
    split = parseSplitRatios(s("split") ?? "70,10,20");
  } catch (e) {
    fail((e as Error).message);
  }
  const splitBy = s("split-by") ?? "city";
  if (splitBy !== "city" && splitBy !== "blocks") fail(`--split-by must be city or blocks, got "${splitBy}"`);
  const format = s("format") ?? "jpg";
  if (format !== "jpg" && format !== "png") fail(`--format must be jpg or png, got "${format}"`);
  const cities =
    s("cities")
      ?.split(",")
      .map((c) => c.trim()) ?? null;
  if (cities?.some((c) => !/^\d$/.test(c))) fail(`--cities wants digits like 0,2,6`);
  let blockM: number;
  try {
    blockM = numberFlag("block-m", s("block-m") ?? "2000", BLOCK_M_RANGE);
  } catch (e) {
    fail((e as Error).message);
  }
  const limit = int("limit", s("limit"), null, 1);
  const seed = int("seed", s("seed"), 1, 0)!;
  const size = int("size", s("size"), null, 16);
  if (size !== null && size > 8192) fail(`--size must be <= 8192, got ${size}`);
  const workers = int("workers", s("workers"), defaultWorkers(), 1)!;
  // A wrong --src is a bad value (exit 2, as for every other bad flag), not a failed import.
  if (!existsSync(src) || !statSync(src).isDirectory()) fail(`no such folder: ${src}`);
  // Its manifest, report and folders written into the AEL folder made it unreadable as a store.
  try {
    outsideOf("--out", out, { "--src": src });
    await outputFolder("--out", out);
  } catch (e) {
    fail((e as Error).message);
  }
  try {
    const t0 = performance.now();
    const { report } = await importAel(
      {
        src,
        out,
        split,
        splitBy,
        blockM,
        limit,
        cities,
        seed,
        size,
        format,
        renderMissing: values["no-render"] !== true,
        workers,
        workerUrl: new URL(import.meta.url),
        command: `npm run ael:import -- ${argv.join(" ")}`,
      },
      (done, total) => {
        if (done === total || done % Math.max(1, Math.floor(total / 10)) === 0)
          console.info(`${done}/${total}`);
      },
    );
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    console.info(
      `converted ${report.converted} of ${report.annotationsFound} annotations in ${secs} s ` +
        `(${report.withImages} with images, ${report.rendered} rendered from geometry, ${report.skipped.length} skipped, ` +
        `${report.droppedAtSplitBorders.length} dropped at split borders); ` +
        `splits ${Object.entries(report.splits)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}; report: ${out}/report.json`,
    );
    const empty = Object.entries(report.splits).filter(([, v]) => v === 0);
    if (empty.length > 0) {
      const what = splitBy === "city" ? "cities" : "blocks";
      console.warn(`note: ${empty.map(([k]) => k).join(", ")} empty: too few ${what} for the proportions`);
    }
  } catch (e) {
    fail((e as Error).message, 1);
  }
}

if (!isMainThread && (workerData as { poolWorker?: boolean } | null)?.poolWorker) {
  serveJobs(runJob);
} else if (isMainThread) {
  await main(process.argv.slice(2));
}
