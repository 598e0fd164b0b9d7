/**
 * Build the page when its output is missing or older than its sources, so `npm start` and the
 * browser tests never serve a stale page:
 *   tsx edge/web/build.ts           build if needed
 *   tsx edge/web/build.ts --force   always build (what `npm run build:web` does via vite)
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const WEB_ROOT = fileURLToPath(new URL(".", import.meta.url));
export const WEB_DIST = join(WEB_ROOT, "dist");
// All of shared/src: the page bundles its class registry and its area validation (limits, geodesy).
const INPUTS = ["index.html", "vite.config.ts", "src", "public", "../../shared/src"];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when dist/index.html is missing or older than any source of the page. */
export function webBuildIsStale(): boolean {
  const built = join(WEB_DIST, "index.html");
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return INPUTS.some((p) => newestMtime(join(WEB_ROOT, p)) > builtAt);
}

const LOCK = join(WEB_ROOT, ".build-lock");
/** A lock older than this was left by a build that died; it is taken over. */
const STALE_LOCK_MS = 120_000;

/** Hold a lock directory (mkdir is atomic) so parallel test files never build into dist at once. */
async function withBuildLock<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 2 * STALE_LOCK_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`${LOCK} is held by another build`);
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Build with Vite when stale (or always with force). Returns whether it built. */
export async function ensureWebBuilt(options: { force?: boolean } = {}): Promise<boolean> {
  if (!options.force && !webBuildIsStale()) return false;
  return withBuildLock(async () => {
    // Another process may have built it while this one waited for the lock.
    if (!options.force && !webBuildIsStale()) return false;
    const { build } = await import("vite");
    await build({ configFile: join(WEB_ROOT, "vite.config.ts"), logLevel: "warn" });
    return true;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.info(
      "usage: npm run build:web   (builds edge/web into edge/web/dist; --force: even when up to date)",
    );
    process.exit(0);
  }
  const unknown = args.find((a) => a !== "--force");
  if (unknown !== undefined) {
    console.error(`build:web: unknown argument ${unknown.slice(0, 40)} (see --help)`);
    process.exit(2);
  }
  const force = args.includes("--force");
  ensureWebBuilt({ force }).then(
    (built) => console.info(built ? `built ${WEB_DIST}` : `${WEB_DIST} is up to date`),
    (error: unknown) => {
      console.error(`build:web: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
