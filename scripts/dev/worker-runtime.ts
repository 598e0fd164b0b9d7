/**
 * The Worker's runtime settings as wrangler.toml gives them (compatibility date and flags), for
 * every Miniflare that runs the Worker outside wrangler (npm start's stack, the edge, fault and
 * end-to-end tests): they must run it under the semantics a deployment gets, and a date bumped in
 * wrangler.toml alone would otherwise leave them behind.
 *
 * Read with line patterns instead of wrangler's own reader (`unstable_readConfig`), which takes
 * about a second to load in each test file and, once imported, ends the process on SIGINT (it
 * registers its own handler that calls process.exit), which would cut npm start's Ctrl-C short;
 * worker-runtime.test.ts checks that both agree. Also the [vars] table, for npm start's check of
 * the edge's settings (edge-config.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./repo-root.js";

export interface WorkerRuntime {
  readonly compatibilityDate: string;
  readonly compatibilityFlags: string[];
}

/** The settings of a wrangler.toml text (top-level keys, one line each, as ours writes them). */
export function parseWorkerRuntime(toml: string): WorkerRuntime {
  const date = /^compatibility_date\s*=\s*"(\d{4}-\d{2}-\d{2})"\s*(?:#.*)?$/m.exec(toml)?.[1];
  if (!date) throw new Error('wrangler.toml has no compatibility_date = "YYYY-MM-DD" line');
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]\s*(?:#.*)?$/m.exec(toml)?.[1];
  return {
    compatibilityDate: date,
    compatibilityFlags: flags === undefined ? [] : [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? ""),
  };
}

let cached: WorkerRuntime | undefined;

/** The repository's wrangler.toml settings (read once). */
export function workerRuntime(): WorkerRuntime {
  cached ??= parseWorkerRuntime(readFileSync(join(REPO_ROOT, "wrangler.toml"), "utf8"));
  return { compatibilityDate: cached.compatibilityDate, compatibilityFlags: [...cached.compatibilityFlags] };
}

/**
 * The [vars] table of a wrangler.toml text: `NAME = "value"` lines, as ours writes them. Any other
 * line in the table is refused, naming it, rather than skipped: a value read wrong here would let
 * npm start's check pass settings the Worker refuses.
 */
export function parseWorkerVars(toml: string): Record<string, string> {
  const vars: Record<string, string> = {};
  let inVars = false;
  for (const [i, raw] of toml.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line.startsWith("[")) {
      inVars = /^\[\s*vars\s*\]\s*(?:#.*)?$/.test(line);
      continue;
    }
    if (!inVars || line === "" || line.startsWith("#")) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"\\]*)"\s*(?:#.*)?$/.exec(line);
    if (!m) {
      throw new Error(
        `wrangler.toml line ${i + 1}: [vars] are read here only as NAME = "plain string" lines: ${line.slice(0, 80)}`,
      );
    }
    vars[m[1]!] = m[2]!;
  }
  return vars;
}

/** The repository's wrangler.toml [vars]. */
export function workerVars(): Record<string, string> {
  return parseWorkerVars(readFileSync(join(REPO_ROOT, "wrangler.toml"), "utf8"));
}
