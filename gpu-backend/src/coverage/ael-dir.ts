import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the nearest folder above this file whose package.json declares workspaces. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg) && "workspaces" in JSON.parse(readFileSync(pkg, "utf8"))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error("repository root not found above this module");
    dir = up;
  }
}

/**
 * The real AEL annotations folder (`<repo>/../shared/data/ael/annotations`, unlicensed, never in
 * the repo), or null when this machine does not have it: tests and benchmarks skip then.
 */
export function aelAnnotationsDir(): string | null {
  const dir = path.resolve(repoRoot(), "..", "shared", "data", "ael", "annotations");
  return existsSync(dir) ? dir : null;
}
