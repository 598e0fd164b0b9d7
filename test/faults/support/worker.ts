/**
 * The edge Worker in workerd (Miniflare), for the fault and fuzz suites of test/. The same bundle
 * as the edge's own tests (edge/test/support/bundle.ts), built once per test process into a temp
 * folder. Captures the Worker's output lines (the audit log) so a test can check that each request
 * got exactly one audit line.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { Miniflare } from "miniflare";
import type { AuditLine } from "../../../edge/src/audit/log.js";
import { bundleWorker } from "../../../edge/test/support/bundle.js";
import { workerRuntime } from "../../../scripts/dev/worker-runtime.js";

let bundled: Promise<{ path: string; dir: string }> | undefined;
let users = 0;

async function bundle(): Promise<string> {
  bundled ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "lsn-faults-worker-"));
    const path = join(dir, "worker.mjs");
    await bundleWorker(path);
    return { path, dir };
  })();
  return (await bundled).path;
}

async function releaseBundle(): Promise<void> {
  if (--users > 0 || !bundled) return;
  const { dir } = await bundled;
  bundled = undefined;
  await rm(dir, { recursive: true, force: true });
}

export interface Worker {
  /** Dispatch a request to the Worker (path relative to its origin). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Audit lines printed so far (they arrive asynchronously through a pipe). */
  readonly audit: AuditLine[];
  /** Every line the Worker printed, stdout and stderr. */
  readonly lines: string[];
  /** Wait until `count` audit lines match, or 5 s; returns the matches. */
  auditWhere(match: (line: AuditLine) => boolean, count: number): Promise<AuditLine[]>;
  dispose(): Promise<void>;
}

export async function startWorker(bindings: Record<string, string>): Promise<Worker> {
  users++;
  const audit: AuditLine[] = [];
  const lines: string[] = [];
  const collect = (stream: Readable) => {
    let buffer = "";
    stream.on("data", (chunk: Buffer | string) => {
      buffer += chunk.toString();
      for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        lines.push(line);
        if (!line.startsWith("{")) continue;
        try {
          const parsed = JSON.parse(line) as AuditLine;
          if (parsed.msg === "request") audit.push(parsed);
        } catch {
          // not a JSON line
        }
      }
    });
  };
  let mf: Miniflare;
  try {
    const scriptPath = await bundle();
    mf = new Miniflare({
      scriptPath,
      modulesRoot: dirname(scriptPath),
      modules: true,
      ...workerRuntime(),
      bindings,
      // workerd blocks on a full stdout pipe: always drain it.
      handleRuntimeStdio(stdout: Readable, stderr: Readable) {
        collect(stdout);
        collect(stderr);
      },
    });
    await mf.ready;
  } catch (error) {
    await releaseBundle();
    throw new Error(`workerd did not start:\n${lines.join("\n")}`, { cause: error });
  }
  return {
    audit,
    lines,
    async auditWhere(match, count) {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const found = audit.filter(match);
        if (found.length >= count || Date.now() > deadline) return found;
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async fetch(path, init) {
      return (await mf.dispatchFetch(`http://edge.test${path}`, init as never)) as unknown as Response;
    },
    async dispose() {
      await mf.dispose();
      await releaseBundle();
    },
  };
}
