/**
 * AEL folder → MMSegmentation layout. Images present: copied as they are, masks drawn from the
 * annotation by the shared label rule. Images absent: scenes rendered from the real geometry with
 * the generator's appearance model (unless disabled). Splits are spatially disjoint (by city or by
 * blocks) and checked for footprint overlap; leakage fails the import. A report says what happened.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LANE_CLASS_NAMES } from "@lanesegnet/shared";
import { type Job, runJob } from "../scenes/jobs.js";
import { formatJson } from "../scenes/outputs/json-format.js";
import {
  buildManifest,
  type Manifest,
  type ManifestScene,
  writeManifest,
} from "../scenes/outputs/manifest.js";
import { ensureMmsegDirs, type ImageFormat, prepareOut } from "../scenes/outputs/mmseg.js";
import { assertDisjointSplits } from "../scenes/outputs/split-check.js";
import { SPLITS, type SplitRatios } from "../scenes/outputs/splits.js";
import { runPool } from "../scenes/pool.js";
import { type AelPlanReport, planAel } from "./plan.js";

export interface ImportOptions {
  src: string;
  out: string;
  split: SplitRatios;
  splitBy: "city" | "blocks";
  blockM: number;
  limit: number | null;
  cities: readonly string[] | null;
  seed: number;
  size: number | null;
  format: ImageFormat;
  renderMissing: boolean;
  workers: number;
  workerUrl: URL;
  command: string;
}

export interface ImportReport extends AelPlanReport {
  converted: number;
  splits: Record<string, number>;
  classPixels: Record<string, number>;
  markingShare: Record<string, number>;
}

export async function importAel(
  o: ImportOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<{ manifest: Manifest; report: ImportReport }> {
  const plan = planAel({ ...o, mode: "import" });
  // Fail before doing any work when the planned splits leak.
  assertDisjointSplits(plan.footprints);
  if (plan.jobs.length === 0)
    throw new Error(`nothing to convert in ${o.src} (${plan.report.skipped.length} skipped)`);
  mkdirSync(o.out, { recursive: true });
  prepareOut(o.out);
  ensureMmsegDirs(o.out, SPLITS);
  const results = await runPool<Job, ManifestScene>(plan.jobs, o.workers, o.workerUrl, runJob, (_r, done) =>
    onProgress?.(done, plan.jobs.length),
  );
  assertDisjointSplits(results.map((r) => ({ id: r.id, split: r.split, bbox: r.footprint })));
  const manifest = buildManifest(
    "ael-import",
    o.seed,
    { command: o.command, splitBy: o.splitBy, blockM: o.blockM, renderMissing: o.renderMissing },
    results,
  );
  writeManifest(o.out, manifest);
  const report: ImportReport = {
    ...plan.report,
    converted: results.length,
    splits: Object.fromEntries(SPLITS.map((s) => [s, manifest.splits[s]!.count])),
    classPixels: Object.fromEntries(manifest.total.classPixels.map((v, i) => [LANE_CLASS_NAMES[i]!, v])),
    markingShare: Object.fromEntries(
      manifest.total.markingShare.slice(1).map((v, i) => [LANE_CLASS_NAMES[i + 1]!, v]),
    ),
  };
  writeFileSync(join(o.out, "report.json"), formatJson(report));
  return { manifest, report };
}
