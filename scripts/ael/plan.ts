/**
 * Planning an AEL conversion: find the annotation files (and images), validate them, assign
 * spatially disjoint splits (by city = first digit of the id, or by coarse Mercator blocks with
 * boundary-straddling images dropped), and produce one job per image for the scene workers.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { AelJob } from "../scenes/jobs.js";
import { AelAnnotationSchema } from "../scenes/outputs/ael-format.js";
import type { ImageFormat } from "../scenes/outputs/mmseg.js";
import { type Footprint, findSplitOverlaps } from "../scenes/outputs/split-check.js";
import { assignGroups, SPLITS, type SplitName, type SplitRatios } from "../scenes/outputs/splits.js";
import { hash32, Rng } from "../scenes/random.js";

/**
 * Bounds of --block-m (ael:import, scenes --from-ael): a block under 10 m is smaller than an
 * image; one over 100 km holds a whole metropolitan area, so every image lands in one block.
 */
export const BLOCK_M_RANGE = { min: 10, max: 100_000 } as const;

export interface AelPlanOptions {
  src: string;
  out: string;
  split: SplitRatios;
  splitBy: "city" | "blocks";
  blockM: number;
  limit: number | null;
  cities: readonly string[] | null;
  seed: number;
  /** Output size when rendering; null = the annotation's own resolution. */
  size: number | null;
  format: ImageFormat;
  /** render: always render from geometry; import: use images when present, else render (or skip). */
  mode: "render" | "import";
  renderMissing: boolean;
}

export interface AelPlanReport {
  source: string;
  annotationsFound: number;
  considered: number;
  withImages: number;
  rendered: number;
  skipped: { id: string; reason: string }[];
  droppedAtSplitBorders: string[];
  splitBy: "city" | "blocks";
  groups: Record<string, { split: SplitName; count: number }>;
}

export interface AelPlan {
  jobs: AelJob[];
  footprints: Footprint[];
  report: AelPlanReport;
}

export function annotationDir(src: string): string {
  const sub = join(src, "annotations");
  return existsSync(sub) && statSync(sub).isDirectory() ? sub : src;
}

function findImage(src: string, annDir: string, id: string): string | null {
  for (const dir of [annDir, join(src, "images"), src]) {
    for (const ext of ["jpg", "jpeg", "png"]) {
      const p = join(dir, `${id}.${ext}`);
      if (existsSync(p)) return p;
    }
  }
  return null;
}

export function planAel(o: AelPlanOptions): AelPlan {
  if (!existsSync(o.src) || !statSync(o.src).isDirectory()) throw new Error(`no such folder: ${o.src}`);
  const annDir = annotationDir(o.src);
  const all = readdirSync(annDir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5))
    .sort();
  let ids = o.cities ? all.filter((id) => o.cities!.includes(id.charAt(0))) : all;
  if (o.limit !== null) ids = ids.slice(0, o.limit);
  const skipped: AelPlanReport["skipped"] = [];
  const items: { id: string; file: string; image: string | null; bbox: [number, number, number, number] }[] =
    [];
  for (const id of ids) {
    const file = join(annDir, `${id}.json`);
    let parsed: ReturnType<typeof AelAnnotationSchema.safeParse>;
    try {
      parsed = AelAnnotationSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    } catch (e) {
      skipped.push({ id, reason: `unreadable JSON: ${(e as Error).message.split("\n")[0]}` });
      continue;
    }
    if (!parsed.success) {
      skipped.push({ id, reason: `not an AEL annotation: ${parsed.error.issues[0]?.message ?? "invalid"}` });
      continue;
    }
    const image = o.mode === "import" ? findImage(o.src, annDir, id) : null;
    if (o.mode === "import" && !image && !o.renderMissing) {
      skipped.push({ id, reason: "no image (and rendering disabled)" });
      continue;
    }
    items.push({ id, file, image, bbox: parsed.data.region });
  }
  // Groups: a city, or a coarse block of the footprint centre.
  const keyOf = (it: (typeof items)[number]) => {
    if (o.splitBy === "city") return `city${it.id.charAt(0)}`;
    const cx = (it.bbox[0] + it.bbox[2]) / 2;
    const cy = (it.bbox[1] + it.bbox[3]) / 2;
    return `block${Math.floor(cx / o.blockM)}_${Math.floor(cy / o.blockM)}`;
  };
  const sizes = new Map<string, number>();
  for (const it of items) sizes.set(keyOf(it), (sizes.get(keyOf(it)) ?? 0) + 1);
  let groups = [...sizes].map(([key, size]) => ({ key, size }));
  if (o.splitBy === "blocks") {
    // Random but reproducible order of blocks, so each split gets blocks from everywhere.
    groups.sort((a, b) => a.key.localeCompare(b.key));
    groups = new Rng(hash32("blocks", o.seed)).shuffle(groups);
  }
  const assign = assignGroups(groups, o.split, o.splitBy === "blocks");
  let footprints: Footprint[] = items.map((it) => ({
    id: it.id,
    split: assign.get(keyOf(it))!,
    bbox: it.bbox,
  }));
  const dropped: string[] = [];
  if (o.splitBy === "blocks") {
    // Images straddling a block border can overlap a neighbour of another split: drop them.
    const rank: Record<string, number> = { test: 0, val: 1, train: 2 };
    for (;;) {
      const overlaps = findSplitOverlaps(footprints);
      if (overlaps.length === 0) break;
      const drop = new Set<string>();
      for (const ov of overlaps) {
        const victim = rank[ov.a.split]! >= rank[ov.b.split]! ? ov.a : ov.b;
        if (!drop.has(ov.a.id) && !drop.has(ov.b.id)) drop.add(victim.id);
      }
      dropped.push(...drop);
      footprints = footprints.filter((f) => !drop.has(f.id));
    }
  }
  const kept = new Set(footprints.map((f) => f.id));
  const splitOf = new Map(footprints.map((f) => [f.id, f.split]));
  const jobs: AelJob[] = items
    .filter((it) => kept.has(it.id))
    .map((it) => ({
      kind: "ael",
      id: it.id,
      split: splitOf.get(it.id)!,
      file: it.file,
      image: it.image,
      seed: o.seed,
      size: o.size,
      out: o.out,
      format: it.image ? (it.image.endsWith(".png") ? "png" : "jpg") : o.format,
    }));
  const groupReport: AelPlanReport["groups"] = {};
  const keyById = new Map(items.map((it) => [it.id, keyOf(it)]));
  const keptPerGroup = new Map<string, number>();
  for (const f of footprints) {
    const k = keyById.get(f.id)!;
    keptPerGroup.set(k, (keptPerGroup.get(k) ?? 0) + 1);
  }
  if (o.splitBy === "city" || groups.length <= 50) {
    for (const g of groups)
      groupReport[g.key] = { split: assign.get(g.key)!, count: keptPerGroup.get(g.key) ?? 0 };
  }
  return {
    jobs,
    footprints,
    report: {
      source: o.src,
      annotationsFound: all.length,
      considered: ids.length,
      withImages: jobs.filter((j) => j.image).length,
      rendered: jobs.filter((j) => !j.image).length,
      skipped,
      droppedAtSplitBorders: dropped.sort(),
      splitBy: o.splitBy,
      groups: groupReport,
    },
  };
}

export { SPLITS };
