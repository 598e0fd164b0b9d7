/**
 * Uncached analyses on the inference backend, by stage (imagery, inference, vectorise): distinct
 * areas from the local imagery store, sent one at a time to the backend's signed internal route
 * (shared signRequest), as the edge sends a cache miss. Used by `npm run bench:backend` (issue 5:
 * a 256 m × 256 m area at 0.25 m, about 1 Mpx, p95 ≤ 800 ms on this 2-core machine) and by
 * `npm run bench`.
 *
 *   npm run bench:backend -- [--runs 20] [--side 256] [--resolution 0.25] [--json FILE]
 *                            [--url URL --secret SECRET]   (else a backend is started here)
 *                            [--env NAME=VALUE ...]        (for a backend started here, e.g. TILE_SIZE=1088)
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { signRequest } from "@lanesegnet/shared";
import { numberFlag, outputFiles, runCli, UsageError } from "../cli/run.js";
import { type Bbox, storeAreas } from "../load/areas.js";
import { append, type Percentiles, percentiles, round } from "../load/stats.js";
import { machineInfo, machineLine } from "./machine.js";

export const STAGES = ["imagery", "inference", "vectorise", "total"] as const;

export interface BackendBench {
  readonly runs: number;
  readonly sideM: number;
  readonly resolutionM: number;
  /** Raster size of one analysis (from the area and resolution). */
  readonly approxPixels: number;
  /** Client-side latency of the signed call (ms). */
  readonly latency: Percentiles;
  /** The backend's own `analysis.timings_ms`, by stage. */
  readonly stages: Readonly<Record<string, Percentiles>>;
  readonly features: Percentiles;
  readonly targetP95Ms: number;
}

const PATH = "/internal/v1/analyze";

/** One signed analysis call; returns the client latency and the backend's timings. */
export async function analyzeSigned(
  backend: { url: string; signingSecret: string },
  bbox: Bbox,
  resolutionM: number,
): Promise<{ ms: number; timings: Record<string, number>; features: number }> {
  const body = JSON.stringify({
    request: { area: { type: "bbox", bbox }, resolution_m: resolutionM, providers: ["local"] },
    providers: ["local"],
    request_id: `bench-${randomBytes(6).toString("hex")}`,
  });
  const headers = await signRequest(backend.signingSecret, { method: "POST", path: PATH, body });
  const t0 = performance.now();
  const res = await fetch(`${backend.url}${PATH}`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body,
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`backend answered ${res.status}: ${text.slice(0, 300)}`);
  const json = JSON.parse(text) as { features: unknown[]; analysis: { timings_ms?: Record<string, number> } };
  return { ms, timings: json.analysis.timings_ms ?? {}, features: json.features.length };
}

export async function benchBackend(
  backend: { url: string; signingSecret: string },
  opts: { runs: number; sideM: number; resolutionM: number; warmup?: number; log?: (m: string) => void },
): Promise<BackendBench> {
  const areas = await storeAreas(undefined, 11);
  const latencies: number[] = [];
  const features: number[] = [];
  const stages: Record<string, number[]> = {};
  const warmup = opts.warmup ?? 1;
  for (let i = 0; i < warmup + opts.runs; i++) {
    const r = await analyzeSigned(backend, areas.randomSquare(opts.sideM), opts.resolutionM);
    if (i < warmup) continue;
    latencies.push(r.ms);
    features.push(r.features);
    for (const [k, v] of Object.entries(r.timings)) append(stages, k, v);
    opts.log?.(`run ${i - warmup + 1}/${opts.runs}: ${round(r.ms)} ms ${JSON.stringify(r.timings)}`);
  }
  const px = Math.round(opts.sideM / opts.resolutionM);
  return {
    runs: opts.runs,
    sideM: opts.sideM,
    resolutionM: opts.resolutionM,
    approxPixels: px * px,
    latency: percentiles(latencies),
    stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, percentiles(v)])),
    features: percentiles(features),
    targetP95Ms: 800,
  };
}

export function backendTable(b: BackendBench): string {
  const row = (name: string, p: Percentiles) =>
    `| ${name} | ${round(p.p50)} | ${round(p.p90)} | ${round(p.p95)} | ${round(p.p99)} | ${round(p.max)} |`;
  return [
    `Uncached analysis on the backend: ${b.runs} distinct ${b.sideM} m × ${b.sideM} m areas at ${b.resolutionM} m (≈ ${(b.approxPixels / 1e6).toFixed(2)} Mpx), one at a time, signed internal route. Target p95 ≤ ${b.targetP95Ms} ms: **${b.latency.p95 <= b.targetP95Ms ? "met" : "not met"}** (p95 ${round(b.latency.p95)} ms).`,
    "",
    "| stage (ms) | p50 | p90 | p95 | p99 | max |",
    "| --- | --: | --: | --: | --: | --: |",
    ...STAGES.filter((s) => b.stages[s]).map((s) => row(s, b.stages[s] as Percentiles)),
    row("client latency", b.latency),
  ].join("\n");
}

const USAGE =
  "usage: npm run bench:backend -- [--runs 20] [--side 256] [--resolution 0.25] [--json FILE] [--url URL --secret SECRET] [--env NAME=VALUE ...]";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "20" },
      side: { type: "string", default: "256" },
      resolution: { type: "string", default: "0.25" },
      json: { type: "string" },
      url: { type: "string" },
      secret: { type: "string" },
      env: { type: "string", multiple: true, default: [] },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  await outputFiles({ "--json": values.json });
  const runs = numberFlag("runs", values.runs, { min: 1, max: 10_000, integer: true });
  const sideM = numberFlag("side", values.side, { min: 10, max: 2_000 });
  const resolutionM = numberFlag("resolution", values.resolution, { min: 0.05, max: 2 });
  const env: Record<string, string> = {};
  for (const v of values.env) {
    const eq = v.indexOf("=");
    if (eq < 1) throw new UsageError(`--env needs NAME=VALUE, got ${v}`);
    env[v.slice(0, eq)] = v.slice(eq + 1);
  }
  const log = (m: string) => console.error(`bench:backend: ${m}`);
  const machine = machineInfo();
  log(`machine: ${machineLine(machine)}`);
  let backend: { url: string; signingSecret: string };
  let stop = async () => {};
  if (values.url) {
    const signingSecret = values.secret ?? process.env.BACKEND_SIGNING_SECRET;
    if (!signingSecret) throw new UsageError("--url needs --secret (or BACKEND_SIGNING_SECRET)");
    backend = { url: values.url, signingSecret };
  } else {
    // Loaded only here: the dev stack pulls in miniflare/workerd, which a --url run (the bundled
    // bench on the GPU machine) neither needs nor has.
    const { startBackendProcess } = await import("../dev/stack.js");
    const started = await startBackendProcess({ env });
    backend = started;
    stop = started.stop;
    log(`backend started at ${backend.url}`);
  }
  try {
    const result = await benchBackend(backend, {
      runs,
      sideM,
      resolutionM,
      log,
    });
    console.info(backendTable(result));
    if (values.json) await writeFile(values.json, `${JSON.stringify({ machine, env, result }, null, 2)}\n`);
    process.exitCode = result.latency.p95 <= result.targetP95Ms ? 0 : 1;
  } finally {
    await stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runCli("bench:backend", main);
}
