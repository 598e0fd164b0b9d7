/**
 * The production build of the inference backend (`npm run build:backend`): esbuild bundles
 * gpu-backend/src/main.ts and the inference worker into gpu-backend/dist/main.js and
 * gpu-backend/dist/worker.js. The pool loads `./worker.js` beside the bundle
 * (gpu-backend/src/runtime/pool.ts), so both must land in one folder. onnxruntime-node and sharp
 * are native and stay external (installed in the image); everything else is bundled. Source maps
 * are written without sources (stack traces map to files and lines; no source code ships).
 *
 * It lives beside the debug-code guard, which scans exactly this output.
 */
import { readdir, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { outputFolder, runCli, UsageError } from "../cli/run.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BACKEND_DIST = `${ROOT}gpu-backend/dist`;

/** Left in every build folder: only a folder holding it (or none at all) is ever emptied. */
const BUILD_MARKER = ".lanesegnet-backend-build";

/**
 * Build into `outdir`, emptied first (a stale file from an older build must not ship). A folder
 * that holds anything but an earlier build is refused, never emptied (`build:backend DIR` once
 * deleted whatever DIR held).
 */
export async function buildBackend(outdir: string = BACKEND_DIST): Promise<void> {
  const info = await stat(outdir).catch(() => null);
  if (info && !info.isDirectory()) throw new Error(`${outdir} is not a folder`);
  const held = info ? await readdir(outdir) : [];
  if (held.length > 0 && !held.includes(BUILD_MARKER) && resolve(outdir) !== resolve(BACKEND_DIST)) {
    throw new Error(`${outdir} holds files that are not an earlier backend build; not emptying it`);
  }
  await rm(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: {
      main: "gpu-backend/src/main.ts",
      worker: "gpu-backend/src/runtime/worker.ts",
    },
    outdir,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["onnxruntime-node", "sharp"],
    sourcemap: "linked",
    sourcesContent: false,
    // CommonJS dependencies (pino, prom-client) call require() inside the ESM bundle.
    banner: {
      js: 'import { createRequire as __lsnCreateRequire } from "node:module"; const require = __lsnCreateRequire(import.meta.url);',
    },
    logLevel: "warning",
  });
  await writeFile(join(outdir, BUILD_MARKER), "");
}

const USAGE = "usage: npm run build:backend [-- --out DIR]   (default gpu-backend/dist)";

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  runCli("build:backend", async () => {
    const { values } = parseArgs({
      options: { out: { type: "string" }, help: { type: "boolean", short: "h" } },
      allowPositionals: false,
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (values.out === "") throw new UsageError(`--out needs a folder; ${USAGE}`);
    // A folder esbuild cannot create was a dozen lines of its errors, not one naming the folder.
    if (values.out !== undefined) await outputFolder("--out", values.out);
    await buildBackend(values.out ?? BACKEND_DIST);
    return 0;
  });
}
