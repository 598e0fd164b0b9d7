/**
 * The scenes CLI (npm run scenes -- --help). The same file is the worker: the pool spawns this
 * module as a worker thread, which serves render jobs, so it works under tsx and as one bundle.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { isMainThread, workerData } from "node:worker_threads";
import { LANE_CLASS_NAMES } from "@lanesegnet/shared";
import { planAel } from "../ael/plan.js";
import { isUsageError, outputFolder, outsideOf } from "../cli/run.js";
import { type CliConfig, HELP, parseCli, UsageError } from "./cli-args.js";
import { LAYOUT_KINDS } from "./geometry/layouts.js";
import { type Job, type ProceduralJob, runJob } from "./jobs.js";
import { writeFigure } from "./outputs/figure.js";
import { writeFixture } from "./outputs/fixtures.js";
import { formatJson } from "./outputs/json-format.js";
import { buildManifest, type Manifest, type ManifestScene, writeManifest } from "./outputs/manifest.js";
import { ensureMmsegDirs, prepareOut } from "./outputs/mmseg.js";
import { assertDisjointSplits } from "./outputs/split-check.js";
import { assignByIndex, SPLITS } from "./outputs/splits.js";
import { prepareStoreDir, writeStoreImages } from "./outputs/store.js";
import { placeScene } from "./place.js";
import { runPool, serveJobs } from "./pool.js";
import { hash32, Rng } from "./random.js";
import { renderScene } from "./scene.js";
import { GENERATOR_VERSION } from "./version.js";
import { cutStore, renderWorld, storeWorldSize } from "./world.js";

const SELF = new URL(import.meta.url);

/** Each procedural scene gets its own place on a 0.1° lattice, so footprints never overlap. */
export function sceneLocation(seed: number, index: number): { lon: number; lat: number } {
  const rng = new Rng(hash32("where", seed, index));
  const perRow = 3400;
  return {
    lon: -170 + (index % perRow) * 0.1 + rng.range(-0.02, 0.02),
    lat: -35 + Math.floor(index / perRow) * 0.1 + rng.range(-0.02, 0.02),
  };
}

export function sceneGsd(
  cfg: Pick<CliConfig, "gsd" | "gsdMin" | "gsdMax">,
  seed: number,
  index: number,
): number {
  if (cfg.gsd !== null) return cfg.gsd;
  return new Rng(hash32("gsd", seed, index)).range(cfg.gsdMin, cfg.gsdMax);
}

function progress(total: number, started: number): (r: unknown, done: number) => void {
  let next = 0;
  return (_r, done) => {
    const pct = Math.floor((100 * done) / total);
    if (pct >= next || done === total) {
      const s = (performance.now() - started) / 1000;
      console.info(
        `${done}/${total} scenes, ${s.toFixed(1)} s, ${((60 * done) / Math.max(1e-9, s)).toFixed(0)} scenes/min`,
      );
      next = pct + 10;
    }
  };
}

function shareLine(m: Manifest): string {
  return m.total.markingShare
    .map((v, i) => (i === 0 ? "" : `${LANE_CLASS_NAMES[i]} ${(100 * v).toFixed(1)}%`))
    .filter(Boolean)
    .join(", ");
}

/**
 * Generated sets are cached: when OUT already holds a complete set made by this generator version
 * with the same seed, count and options, nothing is redone (--force regenerates).
 */
function cachedSet(cfg: CliConfig, opts: Record<string, unknown>): boolean {
  const path = join(cfg.out, "manifest.json");
  if (cfg.force || !existsSync(path)) return false;
  try {
    const m = JSON.parse(readFileSync(path, "utf8")) as Manifest;
    const strip = (o: Record<string, unknown>) => JSON.stringify({ ...o, command: undefined });
    return (
      m.generatorVersion === GENERATOR_VERSION &&
      m.kind === "procedural" &&
      m.seed === cfg.seed &&
      m.total.count === cfg.count &&
      strip(m.options) === strip(opts) &&
      m.scenes.every((s) => existsSync(join(cfg.out, "ann_dir", s.split, `${s.id}.png`)))
    );
  } catch {
    return false;
  }
}

async function procedural(cfg: CliConfig, argv: readonly string[]): Promise<void> {
  if (cachedSet(cfg, options(cfg, argv))) {
    console.info(
      `${cfg.out} already holds this set (same generator version, seed, count and options); use --force to redo it`,
    );
    return;
  }
  prepareOut(cfg.out);
  ensureMmsegDirs(cfg.out, SPLITS);
  const splits = assignByIndex(cfg.count, cfg.split, new Rng(hash32("splits", cfg.seed)));
  const jobs: ProceduralJob[] = splits.map((split, i) => ({
    kind: "procedural",
    id: `s${cfg.seed}_${String(i).padStart(6, "0")}`,
    split,
    seed: hash32(cfg.seed, i),
    width: cfg.width,
    height: cfg.height,
    gsdM: sceneGsd(cfg, cfg.seed, i),
    at: sceneLocation(cfg.seed, i),
    out: cfg.out,
    format: cfg.format,
    ...(cfg.layout ? { layout: cfg.layout } : {}),
    ...(cfg.style ? { style: cfg.style } : {}),
  }));
  const t0 = performance.now();
  const results = await runPool<Job, ManifestScene>(
    jobs,
    cfg.workers,
    SELF,
    runJob,
    progress(jobs.length, t0),
  );
  const seconds = (performance.now() - t0) / 1000;
  assertDisjointSplits(results.map((r) => ({ id: r.id, split: r.split, bbox: r.footprint })));
  const manifest = buildManifest("procedural", cfg.seed, options(cfg, argv), results);
  writeManifest(cfg.out, manifest);
  console.info(
    `wrote ${results.length} scenes (${cfg.width}x${cfg.height}) to ${cfg.out} in ${seconds.toFixed(1)} s ` +
      `(${((60 * results.length) / seconds).toFixed(0)} scenes/min, ${cfg.workers} workers); marking pixels: ${shareLine(manifest)}`,
  );
}

function options(cfg: CliConfig, argv: readonly string[]): Record<string, unknown> {
  return {
    command: `npm run scenes -- ${argv.join(" ")}`,
    width: cfg.width,
    height: cfg.height,
    gsdMin: cfg.gsdMin,
    gsdMax: cfg.gsdMax,
    gsd: cfg.gsd,
    split: cfg.splitText,
    format: cfg.format,
    layout: cfg.layout,
    style: cfg.style,
  };
}

async function fromAel(cfg: CliConfig, argv: readonly string[]): Promise<void> {
  // Its manifest and folders written into the AEL folder made it unreadable as a store.
  outsideOf("--out", cfg.out, { "--from-ael": cfg.fromAel! });
  const plan = planAel({
    src: cfg.fromAel!,
    out: cfg.out,
    split: cfg.split,
    splitBy: cfg.splitBy,
    blockM: cfg.blockM,
    limit: cfg.limit,
    cities: cfg.cities,
    seed: cfg.seed,
    size: cfg.sizeGiven ? cfg.width : null,
    format: cfg.format,
    mode: "render",
    renderMissing: true,
  });
  if (plan.jobs.length === 0) throw new UsageError(`no usable AEL annotations in ${cfg.fromAel}`);
  assertDisjointSplits(plan.footprints);
  prepareOut(cfg.out);
  ensureMmsegDirs(cfg.out, SPLITS);
  const t0 = performance.now();
  const results = await runPool<Job, ManifestScene>(
    plan.jobs,
    cfg.workers,
    SELF,
    runJob,
    progress(plan.jobs.length, t0),
  );
  assertDisjointSplits(results.map((r) => ({ id: r.id, split: r.split, bbox: r.footprint })));
  const manifest = buildManifest(
    "ael-render",
    cfg.seed,
    { ...options(cfg, argv), splitBy: cfg.splitBy },
    results,
  );
  writeManifest(cfg.out, manifest);
  writeFileSync(join(cfg.out, "report.json"), formatJson(plan.report));
  console.info(
    `rendered ${results.length} scenes from AEL geometry to ${cfg.out} (split by ${cfg.splitBy}: ` +
      `${SPLITS.map((s) => `${s} ${manifest.splits[s]!.count}`).join(", ")}); skipped ${plan.report.skipped.length}`,
  );
}

async function store(cfg: CliConfig, argv: readonly string[]): Promise<void> {
  const layout = { cols: cfg.gridCols, rows: cfg.gridRows, tile: cfg.width, overlap: cfg.overlap };
  const size = storeWorldSize(layout);
  const gsd = cfg.gsd ?? 0.15;
  const world = renderWorld({
    seed: cfg.seed,
    width: size.width,
    height: size.height,
    gsdM: gsd,
    centre: cfg.at,
    ...(cfg.layout ? { layout: cfg.layout } : {}),
    ...(cfg.style ? { style: cfg.style } : {}),
  });
  const images = cutStore(
    world,
    layout,
    (r, c) => `${cfg.idPrefix}${String(r * cfg.gridCols + c).padStart(7, "0")}`,
  );
  const quality = cfg.quality ?? world.scene.meta.jpegQuality;
  prepareStoreDir(cfg.out);
  const bytes = await writeStoreImages(cfg.out, images, quality);
  const info = {
    generator: "lanesegnet-scenes",
    generatorVersion: GENERATOR_VERSION,
    command: `npm run scenes -- ${argv.join(" ")}`,
    seed: cfg.seed,
    centre: cfg.at,
    gsdM: gsd,
    tile: cfg.width,
    grid: `${cfg.gridCols}x${cfg.gridRows}`,
    overlap: cfg.overlap,
    jpegQuality: quality,
    world: world.grid,
    meta: world.scene.meta,
    images: images.map((im) => ({
      id: im.id,
      row: im.row,
      col: im.col,
      region: im.sidecar.region,
      lanes: im.lanes.length,
    })),
  };
  // Not *.json: a store folder holds only <id>.json sidecars, and indexers read every one of them.
  writeFileSync(join(cfg.out, "store-meta.txt"), formatJson(info));
  console.info(
    `wrote ${images.length} store images (${cfg.width} px, ${cfg.gridCols}x${cfg.gridRows}, overlap ${cfg.overlap}) to ${cfg.out}: ${(bytes / 1024).toFixed(0)} KiB`,
  );
}

async function fixtures(cfg: CliConfig, argv: readonly string[]): Promise<void> {
  const list: { id: string; layout: string; style: string; gsdM: number; lanes: number }[] = [];
  let bytes = 0;
  for (let i = 0; i < cfg.count; i++) {
    const layout = cfg.layout ?? LAYOUT_KINDS[i % LAYOUT_KINDS.length]!;
    const scene = renderScene({
      seed: hash32(cfg.seed, i),
      width: cfg.width,
      height: cfg.height,
      gsdM: sceneGsd(cfg, cfg.seed, i),
      layout,
      ...(cfg.style ? { style: cfg.style } : {}),
    });
    const at = { lon: cfg.at.lon + i * 0.01, lat: cfg.at.lat };
    const placed = placeScene(scene, at);
    const id = `fixture_${String(i).padStart(2, "0")}`;
    bytes += await writeFixture(cfg.out, id, scene, placed, cfg.quality ?? scene.meta.jpegQuality);
    list.push({ id, layout, style: scene.meta.style, gsdM: scene.gsdM, lanes: scene.lanes.length });
  }
  const index = {
    generator: "lanesegnet-scenes",
    generatorVersion: GENERATOR_VERSION,
    command: `npm run scenes -- ${argv.join(" ")}`,
    fixtures: list,
  };
  writeFileSync(join(cfg.out, "index.json"), formatJson(index));
  console.info(`wrote ${list.length} fixtures to ${cfg.out}: ${(bytes / 1024).toFixed(0)} KiB`);
}

async function figure(cfg: CliConfig): Promise<void> {
  const scenes = [];
  for (let i = 0; i < cfg.count; i++) {
    scenes.push(
      renderScene({
        seed: hash32(cfg.seed, i),
        width: cfg.width,
        height: cfg.height,
        gsdM: sceneGsd(cfg, cfg.seed, i),
        layout: cfg.layout ?? LAYOUT_KINDS[i % LAYOUT_KINDS.length]!,
        ...(cfg.style ? { style: cfg.style } : {}),
      }),
    );
  }
  mkdirSync(dirname(cfg.figure!), { recursive: true });
  const bytes = await writeFigure(cfg.figure!, scenes, Math.min(320, cfg.width));
  console.info(`wrote ${cfg.figure} (${scenes.length} scenes, ${(bytes / 1024).toFixed(0)} KiB)`);
}

async function main(argv: readonly string[]): Promise<void> {
  let cfg: CliConfig;
  try {
    cfg = parseCli(argv);
  } catch (e) {
    console.error(`scenes: ${(e as Error).message} (see --help)`);
    process.exit(2);
  }
  if (cfg.help) {
    process.stdout.write(HELP);
    return;
  }
  try {
    // Checked before any work: under /proc, Node's recursive mkdir never returned.
    if (cfg.mode === "figure") await outputFolder("--figure", dirname(resolve(cfg.figure!)));
    else await outputFolder("--out", cfg.out);
    if (cfg.mode === "procedural") await procedural(cfg, argv);
    else if (cfg.mode === "ael") await fromAel(cfg, argv);
    else if (cfg.mode === "store") await store(cfg, argv);
    else if (cfg.mode === "fixtures") await fixtures(cfg, argv);
    else await figure(cfg);
  } catch (e) {
    console.error(`scenes: ${(e as Error).message}`);
    process.exit(isUsageError(e) ? 2 : 1);
  }
}

if (!isMainThread && (workerData as { poolWorker?: boolean } | null)?.poolWorker) {
  serveJobs(runJob);
} else if (isMainThread) {
  await main(process.argv.slice(2));
}
