/**
 * manifest.json of a generated or imported data set: generator version, seed and options, per-split
 * counts and class pixel counts, and per-scene ground resolution and footprint. No timestamps, so
 * the same command gives the same manifest.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LANE_CLASSES, NUM_CLASSES } from "@lanesegnet/shared";
import { GENERATOR_VERSION } from "../version.js";
import { formatJson } from "./json-format.js";
import { SPLITS } from "./splits.js";

export interface ManifestScene {
  id: string;
  split: string;
  width: number;
  height: number;
  gsdM: number;
  /** EPSG:3857 [minX, minY, maxX, maxY]. */
  footprint: [number, number, number, number];
  centre: [number, number];
  lanes: number;
  classPixels: number[];
  source: string;
  layout?: string;
  style?: string;
  environment?: string;
  jpegQuality?: number;
}

export interface SplitSummary {
  count: number;
  classPixels: number[];
  /** Share of each marking class among marking pixels (classes 1..6). */
  markingShare: number[];
}

export interface Manifest {
  generator: "lanesegnet-scenes";
  generatorVersion: string;
  kind: "procedural" | "ael-render" | "ael-import";
  seed: number | null;
  options: Record<string, unknown>;
  classes: { id: number; name: string }[];
  splits: Record<string, SplitSummary>;
  total: SplitSummary;
  scenes: ManifestScene[];
}

export function summarise(scenes: readonly ManifestScene[]): SplitSummary {
  const classPixels = new Array<number>(NUM_CLASSES).fill(0);
  for (const s of scenes) {
    s.classPixels.forEach((v, i) => {
      classPixels[i] = classPixels[i]! + v;
    });
  }
  const marking = classPixels.slice(1).reduce((a, b) => a + b, 0);
  return {
    count: scenes.length,
    classPixels,
    markingShare: classPixels.map((v, i) =>
      i === 0 || marking === 0 ? 0 : Math.round((1e4 * v) / marking) / 1e4,
    ),
  };
}

export function buildManifest(
  kind: Manifest["kind"],
  seed: number | null,
  options: Record<string, unknown>,
  scenes: ManifestScene[],
): Manifest {
  const sorted = [...scenes].sort((a, b) => a.id.localeCompare(b.id));
  const splits: Record<string, SplitSummary> = {};
  for (const s of SPLITS) splits[s] = summarise(sorted.filter((x) => x.split === s));
  return {
    generator: "lanesegnet-scenes",
    generatorVersion: GENERATOR_VERSION,
    kind,
    seed,
    options,
    classes: LANE_CLASSES.map((c) => ({ id: c.id, name: c.name })),
    splits,
    total: summarise(sorted),
    scenes: sorted,
  };
}

export function writeManifest(out: string, m: Manifest): void {
  writeFileSync(join(out, "manifest.json"), formatJson(m));
}
