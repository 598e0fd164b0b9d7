/**
 * Tell a build asset that is a verbatim copy of a library file (Vite copies MapLibre's worker,
 * imported with `?url`, as `assets/maplibre-gl-worker-<hash>.mjs`, without a source map) from our
 * own code: same base name and identical bytes as a file of one of the workspace's dependencies.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** `name-<hash>.ext` (Vite/Rollup asset names) → `name.ext`. */
export function unhashedName(file: string): string {
  return basename(file).replace(/-[A-Za-z0-9_-]{8}(\.[cm]?js)$/, "$1");
}

async function jsFiles(dir: string, out: Map<string, string[]>, depth = 0): Promise<void> {
  if (depth > 4) return;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== "node_modules") await jsFiles(path, out, depth + 1);
    else if (entry.isFile() && /\.[cm]?js$/.test(entry.name))
      out.set(entry.name, [...(out.get(entry.name) ?? []), path]);
  }
}

/**
 * A matcher over the dependencies of `packageJsons` (e.g. edge/package.json): returns the library
 * path an asset was copied from, or undefined.
 */
export async function libraryCopies(root: string, packageJsons: readonly string[]) {
  const byName = new Map<string, string[]>();
  for (const pj of packageJsons) {
    const json = JSON.parse(await readFile(join(root, pj), "utf8")) as Record<string, Record<string, string>>;
    for (const dep of Object.keys({ ...json.dependencies, ...json.devDependencies })) {
      const dir = join(root, "node_modules", dep);
      if (existsSync(dir)) await jsFiles(dir, byName);
    }
  }
  return async (file: string, text: string): Promise<string | undefined> => {
    const candidates = byName.get(unhashedName(file)) ?? [];
    const digest = sha256(text);
    for (const path of candidates) {
      if (sha256(await readFile(path, "utf8")) === digest) return path.slice(root.length).replace(/^\/+/, "");
    }
    return undefined;
  };
}
