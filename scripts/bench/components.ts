/**
 * Component benchmarks, each reusing the project's own code:
 *   coordinate index  — scripts/index/bench.ts (child process, its --json report)
 *   inference         — the backend's InferencePool (worker thread, production session options) on
 *                       one 1024 × 1024 tile of the shipped model, CPU
 *   vectorisation     — gpu-backend/src/postprocess/bench.ts (child process, its printed summary)
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { InferencePool } from "../../gpu-backend/src/runtime/pool.js";
import { REPO_ROOT } from "../dev/stack.js";
import { type Percentiles, percentiles } from "../load/stats.js";

const run = promisify(execFile);
const TSX = ["--import", "tsx"];

export interface IndexBench {
  /** The rows of scripts/index/bench.ts (AEL when present, generated footprints). */
  readonly rows: readonly Record<string, unknown>[];
  readonly n: number;
  readonly queries: number;
}

export async function benchIndex(n: number, queries: number): Promise<IndexBench> {
  const dir = await mkdtemp(join(tmpdir(), "lsn-bench-index-"));
  try {
    const file = join(dir, "index.json");
    await run(
      process.execPath,
      [
        ...TSX,
        join(REPO_ROOT, "scripts/index/bench.ts"),
        "--json",
        file,
        "--n",
        String(n),
        "--queries",
        String(queries),
      ],
      { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
    const report = JSON.parse(await readFile(file, "utf8")) as { rows: Record<string, unknown>[] };
    return { rows: report.rows, n, queries };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface InferenceBench {
  readonly model: string;
  readonly tile: number;
  readonly threads: number;
  readonly provider: string;
  readonly ms: Percentiles;
}

export async function benchInference(opts: {
  modelPath: string;
  tile: number;
  runs: number;
  warmup: number;
}): Promise<InferenceBench> {
  const threads = availableParallelism();
  const pool = await InferencePool.start({
    modelPath: opts.modelPath,
    executionProviders: ["cpu"],
    workers: 1,
    threadsPerWorker: threads,
  });
  try {
    const dims = [1, 3, opts.tile, opts.tile] as const;
    const input = new Float32Array(3 * opts.tile * opts.tile);
    let state = 12345; // deterministic pseudo-random input; content does not change the cost
    for (let i = 0; i < input.length; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      input[i] = (state / 0xffffffff) * 4 - 2;
    }
    const times: number[] = [];
    for (let i = 0; i < opts.warmup + opts.runs; i++) {
      // A copy per run: the pool may transfer the buffer to its worker.
      const t0 = performance.now();
      await pool.run(input.slice(), dims);
      if (i >= opts.warmup) times.push(performance.now() - t0);
    }
    return {
      model: opts.modelPath,
      tile: opts.tile,
      threads,
      provider: pool.provider,
      ms: percentiles(times),
    };
  } finally {
    await pool.close();
  }
}

export interface VectoriseBench {
  readonly runs: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly stagesMedianMs: Readonly<Record<string, number>>;
  /** The benchmark's own summary lines, as printed. */
  readonly summary: string;
}

export async function benchVectorise(runs: number): Promise<VectoriseBench> {
  const { stdout } = await run(
    process.execPath,
    [...TSX, join(REPO_ROOT, "gpu-backend/src/postprocess/bench.ts"), String(runs)],
    { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  const m = /median ([\d.]+) ms, p95 ([\d.]+) ms/.exec(stdout);
  if (!m) throw new Error(`unexpected output of postprocess/bench.ts:\n${stdout}`);
  const stages: Record<string, number> = {};
  const stageLine = /stages \(median ms\): (.+)/.exec(stdout)?.[1] ?? "";
  for (const part of stageLine.split(", ")) {
    const [name, ms] = part.split(" ");
    if (name && ms) stages[name] = Number(ms);
  }
  return {
    runs,
    medianMs: Number(m[1]),
    p95Ms: Number(m[2]),
    stagesMedianMs: stages,
    summary: stdout.trim(),
  };
}
