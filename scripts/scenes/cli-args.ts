/** Command-line flags of the scenes CLI: parsing, validation (one-line errors) and help. */
import { parseArgs } from "node:util";
import { BLOCK_M_RANGE } from "../ael/plan.js";
import { UsageError, usageLine } from "../cli/run.js";
import { LAYOUT_KINDS, type LayoutKind } from "./geometry/layouts.js";
import { STYLES, type StyleName } from "./markings/styles.js";
import { parseSplitRatios, type SplitRatios } from "./outputs/splits.js";
import type { LonLat } from "./place.js";
import { defaultWorkers } from "./pool.js";

export const HELP = `Usage: npm run scenes -- [mode] [options]

Synthetic aerial road scenes with exactly known lane markings (MMSegmentation layout).

Modes (default: procedural scenes):
  --from-ael DIR        render scenes from real AEL annotation geometry (DIR of <id>.json)
  --store               render one world and cut it into overlapping georeferenced store images
                        (<id>.jpg + AEL sidecar <id>.json) at --at
  --fixtures            write test fixtures: <id>.jpg, <id>.png (mask), <id>.json (lanes in pixels
                        and lon/lat, gsd, grid)
  --figure PATH         write a PNG grid of scenes next to their colourised masks

Options:
  --out DIR             output folder (required except with --figure)
  --count N             number of scenes (procedural, fixtures, figure)
  --seed S              integer seed (default 1); the same seed gives byte-identical masks
  --split A,B,C         train,val,test proportions (default 70,10,20)
  --size N              image width = height in pixels (default 1024; 1280 for --from-ael = native)
  --width N --height N  non-square images
  --gsd-min M --gsd-max M   ground metres per pixel range (default 0.08 0.35)
  --gsd M               fixed ground resolution (store default 0.15)
  --workers N           worker threads (default: available cores)
  --format jpg|png      image format (default jpg; JPEG quality varies 50-95 per scene)
  --layout KIND         force a layout: ${LAYOUT_KINDS.join(", ")}
  --style NAME          force a marking style: ${STYLES.map((s) => s.name).join(", ")}
  --limit N             --from-ael: use at most N annotation files (in id order)
  --cities 0,2,...      --from-ael: only these city digits (first digit of the id)
  --split-by city|blocks  --from-ael: spatially disjoint split by city (default) or by blocks
  --block-m M           --split-by blocks: block size in Mercator metres (default 2000, 10-100000)
  --at=LON,LAT          --store/--fixtures: where to place the imagery (default 144.9631,-37.8136;
                        write --at=... when LON is negative)
  --grid CxR            --store: tiles (default 3x3)
  --overlap F           --store: overlap between neighbouring tiles, 0..0.9 (default 0.25)
  --quality Q           --store/--fixtures: JPEG quality (default: the scene's own)
  --id-prefix P         --store: id prefix (default 9, a city digit no real AEL city uses)
  --force               regenerate even when OUT already holds the same set (sets are cached:
                        e.g. --out .cache/scenes/train-10k, .cache/ is git-ignored)
  --help                this text
`;

export type Mode = "procedural" | "ael" | "store" | "fixtures" | "figure";

export interface CliConfig {
  mode: Mode;
  out: string;
  count: number;
  seed: number;
  split: SplitRatios;
  splitText: string;
  width: number;
  height: number;
  gsdMin: number;
  gsdMax: number;
  gsd: number | null;
  workers: number;
  format: "jpg" | "png";
  layout: LayoutKind | null;
  style: StyleName | null;
  fromAel: string | null;
  limit: number | null;
  cities: string[] | null;
  splitBy: "city" | "blocks";
  blockM: number;
  at: LonLat;
  gridCols: number;
  gridRows: number;
  overlap: number;
  quality: number | null;
  idPrefix: string;
  figure: string | null;
  force: boolean;
  /** Whether --size/--width/--height was given (AEL renders default to the native size). */
  sizeGiven: boolean;
  help: boolean;
}

export { UsageError };

function num(
  name: string,
  v: string | undefined,
  def: number,
  opts: { int?: boolean; min?: number; max?: number } = {},
): number {
  if (v === undefined) return def;
  // Number("") and Number(" ") are 0: an empty value would silently become seed 0.
  const n = v.trim() === "" ? Number.NaN : Number(v);
  if (!Number.isFinite(n) || (opts.int && !Number.isInteger(n)))
    throw new UsageError(`--${name} wants ${opts.int ? "an integer" : "a number"}, got "${v}"`);
  if (opts.min !== undefined && n < opts.min)
    throw new UsageError(`--${name} must be >= ${opts.min}, got ${n}`);
  if (opts.max !== undefined && n > opts.max)
    throw new UsageError(`--${name} must be <= ${opts.max}, got ${n}`);
  return n;
}

export function parseCli(argv: readonly string[]): CliConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: "string" },
        count: { type: "string" },
        seed: { type: "string" },
        split: { type: "string" },
        size: { type: "string" },
        width: { type: "string" },
        height: { type: "string" },
        "gsd-min": { type: "string" },
        "gsd-max": { type: "string" },
        gsd: { type: "string" },
        workers: { type: "string" },
        format: { type: "string" },
        layout: { type: "string" },
        style: { type: "string" },
        "from-ael": { type: "string" },
        limit: { type: "string" },
        cities: { type: "string" },
        "split-by": { type: "string" },
        "block-m": { type: "string" },
        store: { type: "boolean" },
        fixtures: { type: "boolean" },
        figure: { type: "string" },
        at: { type: "string" },
        grid: { type: "string" },
        overlap: { type: "string" },
        quality: { type: "string" },
        "id-prefix": { type: "string" },
        force: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    throw new UsageError(e instanceof Error ? usageLine(e.message) : String(e));
  }
  const s = (k: string) => values[k] as string | undefined;
  const help = values.help === true;
  const modes: Mode[] = [];
  if (s("from-ael") !== undefined) modes.push("ael");
  if (values.store === true) modes.push("store");
  if (values.fixtures === true) modes.push("fixtures");
  if (s("figure") !== undefined) modes.push("figure");
  if (modes.length > 1)
    throw new UsageError(`choose one mode, got ${modes.map((m) => `--${m}`).join(" and ")}`);
  const mode: Mode = modes[0] ?? "procedural";
  const out = s("out") ?? "";
  if (!help && mode !== "figure" && !out) throw new UsageError("--out DIR is required");
  const size = num("size", s("size"), mode === "figure" ? 512 : 1024, { int: true, min: 16, max: 8192 });
  const width = num("width", s("width"), size, { int: true, min: 16, max: 8192 });
  const height = num("height", s("height"), size, { int: true, min: 16, max: 8192 });
  const gsdMin = num("gsd-min", s("gsd-min"), 0.08, { min: 0.01, max: 5 });
  const gsdMax = num("gsd-max", s("gsd-max"), 0.35, { min: 0.01, max: 5 });
  if (gsdMax < gsdMin) throw new UsageError("--gsd-max must be >= --gsd-min");
  const gsdText = s("gsd");
  const gsd = gsdText === undefined ? null : num("gsd", gsdText, 0.15, { min: 0.01, max: 5 });
  const countDefault = mode === "figure" ? 6 : mode === "fixtures" ? 6 : 0;
  const count = num("count", s("count"), countDefault, { int: true, min: 0, max: 1_000_000 });
  if (!help && (mode === "procedural" || mode === "fixtures") && count < 1)
    throw new UsageError("--count N (N >= 1) is required");
  const format = s("format") ?? "jpg";
  if (format !== "jpg" && format !== "png")
    throw new UsageError(`--format must be jpg or png, got "${format}"`);
  const layout = s("layout") ?? null;
  if (layout !== null && !LAYOUT_KINDS.includes(layout as LayoutKind))
    throw new UsageError(`unknown --layout "${layout}"`);
  const style = s("style") ?? null;
  if (style !== null && !STYLES.some((x) => x.name === style))
    throw new UsageError(`unknown --style "${style}"`);
  const splitBy = s("split-by") ?? "city";
  if (splitBy !== "city" && splitBy !== "blocks")
    throw new UsageError(`--split-by must be city or blocks, got "${splitBy}"`);
  const atText = s("at") ?? "144.9631,-37.8136";
  const at = atText.split(",").map((part) => (part.trim() === "" ? Number.NaN : Number(part)));
  if (at.length !== 2 || !at.every(Number.isFinite) || Math.abs(at[0]!) > 180 || Math.abs(at[1]!) > 85) {
    throw new UsageError(`--at wants LON,LAT, got "${atText}"`);
  }
  const gridText = s("grid") ?? "3x3";
  const gm = /^(\d+)x(\d+)$/.exec(gridText);
  if (!gm || Number(gm[1]) < 1 || Number(gm[2]) < 1 || Number(gm[1]) > 50 || Number(gm[2]) > 50) {
    throw new UsageError(`--grid wants CxR like 3x3, got "${gridText}"`);
  }
  const citiesText = s("cities");
  const cities = citiesText === undefined ? null : citiesText.split(",").map((c) => c.trim());
  if (cities?.some((c) => !/^\d$/.test(c)))
    throw new UsageError(`--cities wants digits like 0,2,6, got "${citiesText}"`);
  let split: SplitRatios;
  const splitText = s("split") ?? "70,10,20";
  try {
    split = parseSplitRatios(splitText);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const qualityText = s("quality");
  const idPrefix = s("id-prefix") ?? "9";
  if (!/^[A-Za-z0-9_-]{1,16}$/.test(idPrefix))
    throw new UsageError("--id-prefix must be 1-16 letters, digits, _ or -");
  return {
    mode,
    out,
    count,
    seed: num("seed", s("seed"), 1, { int: true, min: 0, max: 2 ** 31 - 1 }),
    split,
    splitText,
    width,
    height,
    gsdMin,
    gsdMax,
    gsd,
    workers: num("workers", s("workers"), defaultWorkers(), { int: true, min: 1, max: 256 }),
    format,
    layout: layout as LayoutKind | null,
    style: style as StyleName | null,
    fromAel: s("from-ael") ?? null,
    limit: s("limit") === undefined ? null : num("limit", s("limit"), 0, { int: true, min: 1 }),
    cities,
    splitBy,
    blockM: num("block-m", s("block-m"), 2000, BLOCK_M_RANGE),
    at: { lon: at[0]!, lat: at[1]! },
    gridCols: Number(gm[1]),
    gridRows: Number(gm[2]),
    overlap: num("overlap", s("overlap"), 0.25, { min: 0, max: 0.9 }),
    quality:
      qualityText === undefined ? null : num("quality", qualityText, 80, { int: true, min: 1, max: 100 }),
    idPrefix,
    figure: s("figure") ?? null,
    force: values.force === true,
    sizeGiven: s("size") !== undefined || s("width") !== undefined || s("height") !== undefined,
    help,
  };
}
