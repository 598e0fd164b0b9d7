/**
 * A small worker_threads pool. The CLI file spawns itself as the worker (one file works both under
 * tsx and as a single esbuild bundle); each worker handles one job at a time and answers with its
 * result. Any job error stops the run.
 */
import { availableParallelism } from "node:os";
import { parentPort, Worker } from "node:worker_threads";

interface Reply<R> {
  id: number;
  ok: boolean;
  result?: R;
  error?: string;
}

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

export async function runPool<J, R>(
  jobs: readonly J[],
  workers: number,
  workerUrl: URL,
  runInline: (job: J) => Promise<R>,
  onResult?: (result: R, done: number) => void,
): Promise<R[]> {
  const results: R[] = new Array(jobs.length);
  let done = 0;
  if (workers <= 1 || jobs.length <= 1) {
    for (let i = 0; i < jobs.length; i++) {
      results[i] = await runInline(jobs[i]!);
      onResult?.(results[i]!, ++done);
    }
    return results;
  }
  const n = Math.min(workers, jobs.length);
  let next = 0;
  const pool: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const feed = (w: Worker) => {
        if (failed) return;
        if (next >= jobs.length) {
          if (done === jobs.length) resolve();
          return;
        }
        const id = next++;
        w.postMessage({ id, job: jobs[id] });
      };
      for (let i = 0; i < n; i++) {
        const w = spawn(workerUrl);
        pool.push(w);
        w.on("message", (m: Reply<R>) => {
          if (!m.ok) {
            failed = true;
            reject(new Error(m.error ?? "worker job failed"));
            return;
          }
          results[m.id] = m.result!;
          done++;
          onResult?.(m.result!, done);
          if (done === jobs.length) resolve();
          else feed(w);
        });
        w.on("error", (e) => {
          failed = true;
          reject(e);
        });
        w.on("exit", (code) => {
          if (code !== 0 && done < jobs.length && !failed) {
            failed = true;
            reject(new Error(`worker exited with code ${code}`));
          }
        });
        feed(w);
      }
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return results;
}

/**
 * Start a worker on a module. Under tsx (a .ts entry) the worker first registers tsx's loader,
 * since module hooks of the main thread do not reach worker threads; the bundle is plain .mjs.
 */
function spawn(url: URL): Worker {
  const workerData = { poolWorker: true };
  if (!url.pathname.endsWith(".ts")) return new Worker(url, { workerData });
  const api = import.meta.resolve("tsx/esm/api");
  const code =
    `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })` +
    ".catch((e) => { console.error(e); process.exit(1); });";
  return new Worker(code, { eval: true, workerData });
}

/** Worker side: answer jobs until terminated. */
export function serveJobs<J, R>(run: (job: J) => Promise<R>): void {
  const port = parentPort;
  if (!port) throw new Error("serveJobs must run in a worker thread");
  port.on("message", async (m: { id: number; job: J }) => {
    try {
      const result = await run(m.job);
      port.postMessage({ id: m.id, ok: true, result } satisfies Reply<R>);
    } catch (e) {
      port.postMessage({
        id: m.id,
        ok: false,
        error: e instanceof Error ? e.message : String(e),
      } satisfies Reply<R>);
    }
  });
}
