/**
 * Coverage-index benchmark: build time, serialised size, load time and query latency on the real
 * AEL footprints (skipped when ../shared/data/ael is absent) and on generated footprints.
 *   npm run bench:index [-- --json FILE] [--n 1000000] [--queries 20000] [--seed 1]
 */
import { rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  buildCoverageIndex,
  type CoverageArea,
  type CoverageEntry,
  CoverageIndex,
  CoverageIndexBuilder,
  mercatorToLonLat,
  seededRandom,
} from "@lanesegnet/shared";
import {
  aelAnnotationsDir,
  buildIndexFromStore,
  readIndexFile,
  writeIndexFile,
} from "../../gpu-backend/src/coverage/index.js";
import { numberFlag, outputFiles, runCli } from "../cli/run.js";
import { type Cluster, syntheticFootprints } from "./synthetic.js";

const QUERY_SIDE_M = 256; // ground metres: a small analysis area

interface Row {
  dataset: string;
  images: number;
  buildMs: number;
  /** Reading and validating the sidecars too (AEL only). */
  storeBuildMs?: number;
  sizeBytes: number;
  /** CoverageIndex.from on the buffer in memory (median of 21). */
  loadMs: number;
  /** Reading the index file plus CoverageIndex.from, once (page cache warm: just written). */
  fileLoadMs: number;
  queries: number;
  searchMedianUs: number;
  searchP99Us: number;
  coversMedianUs: number;
  coversP99Us: number;
  meanHits: number;
  queriesWithHits: number;
  fullyCovered: number;
}

function die(message: string): never {
  console.error(`bench:index: ${message}`);
  process.exit(2);
}

/** A ~QUERY_SIDE_M ground square around a lon/lat point, as the API would receive it. */
function squareAt(lon: number, lat: number): CoverageArea {
  const dLat = QUERY_SIDE_M / 2 / 111_320;
  const dLon = dLat / Math.cos((lat * Math.PI) / 180);
  return { lonLat: [lon - dLon, lat - dLat, lon + dLon, lat + dLat] };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function measure(
  dataset: string,
  buffer: ArrayBuffer,
  buildMs: number,
  queries: CoverageArea[],
  extra: Partial<Row> = {},
): Promise<Row> {
  // From disk as a Node server would: read the file, then lay views over it.
  const file = path.join(tmpdir(), `coverage-bench-${process.pid}.idx`);
  await writeIndexFile(file, buffer);
  const tf = performance.now();
  await readIndexFile(file);
  const fileLoadMs = performance.now() - tf;
  await rm(file, { force: true });

  const loads: number[] = [];
  let index = CoverageIndex.from(buffer);
  for (let k = 0; k < 21; k++) {
    const t = performance.now();
    index = CoverageIndex.from(buffer);
    loads.push(performance.now() - t);
  }
  // Warm up the JIT on other queries than the measured ones.
  for (let k = 0; k < 2000; k++) index.search(queries[k % queries.length]!);

  // Separate passes, so neither call finds the other's tree nodes in the CPU caches.
  const searchUs = new Float64Array(queries.length);
  const coversUs = new Float64Array(queries.length);
  let hits = 0;
  let withHits = 0;
  let fully = 0;
  for (let k = 0; k < queries.length; k++) {
    const t0 = performance.now();
    const found = index.search(queries[k]!);
    searchUs[k] = (performance.now() - t0) * 1000;
    hits += found.length;
    if (found.length > 0) withHits++;
  }
  for (let k = 0; k < queries.length; k++) {
    const t0 = performance.now();
    const report = index.covers(queries[k]!);
    coversUs[k] = (performance.now() - t0) * 1000;
    if (report.fully) fully++;
  }
  searchUs.sort();
  coversUs.sort();
  return {
    dataset,
    images: index.size,
    buildMs,
    sizeBytes: buffer.byteLength,
    loadMs: median(loads),
    fileLoadMs,
    queries: queries.length,
    searchMedianUs: percentile(searchUs, 0.5),
    searchP99Us: percentile(searchUs, 0.99),
    coversMedianUs: percentile(coversUs, 0.5),
    coversP99Us: percentile(coversUs, 0.99),
    meanHits: hits / queries.length,
    queriesWithHits: withHits / queries.length,
    fullyCovered: fully / queries.length,
    ...extra,
  };
}

async function benchAel(nQueries: number, seed: number): Promise<Row | null> {
  const dir = aelAnnotationsDir();
  if (!dir) {
    console.info(
      "AEL annotations not found (../shared/data/ael/annotations): skipping the real-footprint part",
    );
    return null;
  }
  const t0 = performance.now();
  const store = await buildIndexFromStore(dir, { allowMissingImages: true });
  const storeBuildMs = performance.now() - t0;
  // Time the index build alone, from the entries already in memory.
  const loaded = CoverageIndex.from(store.buffer);
  const entries: CoverageEntry[] = Array.from({ length: loaded.size }, (_, k) => loaded.image(k));
  const t1 = performance.now();
  const buffer = buildCoverageIndex(entries);
  const buildMs = performance.now() - t1;

  // Query centres inside random footprints (jittered across the whole image): real use.
  const rand = seededRandom(seed);
  const queries = Array.from({ length: nQueries }, () => {
    const [x0, y0, x1, y1] = entries[Math.floor(rand() * entries.length)]!.footprint;
    const [lon, lat] = mercatorToLonLat(x0 + rand() * (x1 - x0), y0 + rand() * (y1 - y0));
    return squareAt(lon, lat);
  });
  return await measure("AEL real", buffer, buildMs, queries, { storeBuildMs });
}

async function benchSynthetic(n: number, nQueries: number, seed: number): Promise<Row> {
  const clusters: Cluster[] = [];
  const entries = [...syntheticFootprints(n, seed, clusters)]; // generated before timing the build
  const t0 = performance.now();
  const builder = new CoverageIndexBuilder();
  for (const e of entries) builder.add(e);
  const buffer = builder.finish();
  const buildMs = performance.now() - t0;
  entries.length = 0;

  // 90 % of queries inside a random cluster's extent (weighted by size), 10 % anywhere (mostly misses).
  const rand = seededRandom(seed + 1);
  const cumulative: number[] = [];
  let total = 0;
  for (const c of clusters) {
    total += c.count;
    cumulative.push(total);
  }
  const queries = Array.from({ length: nQueries }, () => {
    if (rand() < 0.1) return squareAt(-170 + rand() * 340, -55 + rand() * 120);
    const target = rand() * n;
    const c = clusters[cumulative.findIndex((v) => v > target)]!;
    const [lon, lat] = mercatorToLonLat(
      c.bbox[0] + rand() * (c.bbox[2] - c.bbox[0]),
      c.bbox[1] + rand() * (c.bbox[3] - c.bbox[1]),
    );
    return squareAt(lon, lat);
  });
  return await measure(`synthetic ${clusters.length} clusters`, buffer, buildMs, queries);
}

function printTable(rows: Row[]): void {
  const cols: [string, (r: Row) => string][] = [
    ["dataset", (r) => r.dataset],
    ["images", (r) => r.images.toLocaleString("en-US")],
    [
      "build ms",
      (r) => r.buildMs.toFixed(0) + (r.storeBuildMs ? ` (${r.storeBuildMs.toFixed(0)} w/ files)` : ""),
    ],
    ["size MB", (r) => (r.sizeBytes / 1e6).toFixed(2)],
    ["load ms", (r) => r.loadMs.toFixed(3)],
    ["file load ms", (r) => r.fileLoadMs.toFixed(1)],
    ["queries", (r) => r.queries.toLocaleString("en-US")],
    ["search p50 µs", (r) => r.searchMedianUs.toFixed(1)],
    ["search p99 µs", (r) => r.searchP99Us.toFixed(1)],
    ["covers p50 µs", (r) => r.coversMedianUs.toFixed(1)],
    ["covers p99 µs", (r) => r.coversP99Us.toFixed(1)],
    ["hits/query", (r) => r.meanHits.toFixed(2)],
    ["≥1 hit", (r) => `${(100 * r.queriesWithHits).toFixed(1)} %`],
    ["fully covered", (r) => `${(100 * r.fullyCovered).toFixed(1)} %`],
  ];
  const cells = rows.map((r) => cols.map(([, f]) => f(r)));
  const widths = cols.map(([h], k) => Math.max(h.length, ...cells.map((c) => c[k]!.length)));
  const line = (vals: string[]) => `| ${vals.map((v, k) => v.padEnd(widths[k]!)).join(" | ")} |`;
  console.info(line(cols.map(([h]) => h)));
  console.info(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const c of cells) console.info(line(c));
}

async function main(): Promise<void> {
  let values: {
    help?: boolean | undefined;
    json?: string | undefined;
    n?: string | undefined;
    queries?: string | undefined;
    seed?: string | undefined;
  };
  try {
    values = parseArgs({
      options: {
        json: { type: "string" },
        n: { type: "string" },
        queries: { type: "string" },
        seed: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (e) {
    die((e as Error).message);
  }
  if (values.help) {
    console.info("usage: npm run bench:index -- [--json FILE] [--n 1000000] [--queries 20000] [--seed 1]");
    return;
  }
  await outputFiles({ "--json": values.json });
  const int = (v: string | undefined, fallback: number, name: string, min: number) =>
    v === undefined ? fallback : numberFlag(name, v, { min, integer: true });
  const n = int(values.n, 1_000_000, "n", 1);
  const nQueries = int(values.queries, 20_000, "queries", 100);
  const seed = int(values.seed, 1, "seed", 0);

  const load = loadavg()[0]!.toFixed(1); // other work on the machine shows up in the p99s
  console.info(
    `node ${process.version}, ${cpus()[0]?.model ?? "unknown CPU"} x${cpus().length}, load average ${load}; ${QUERY_SIDE_M} m query squares`,
  );
  const rows: Row[] = [];
  const ael = await benchAel(nQueries, seed);
  if (ael) rows.push(ael);
  rows.push(await benchSynthetic(n, nQueries, seed));
  printTable(rows);
  if (values.json) {
    const report = {
      node: process.version,
      cpu: cpus()[0]?.model,
      loadAverage: load,
      querySideM: QUERY_SIDE_M,
      seed,
      rows,
    };
    await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
    console.info(`wrote ${values.json}`);
  }
}

runCli("bench:index", main);
