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
import { rm } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BACKEND_DIST = `${ROOT}gpu-backend/dist`;

/** Build into `outdir`, emptied first (a stale file from an older build must not ship). */
export async function buildBackend(outdir: string = BACKEND_DIST): Promise<void> {
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
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  await buildBackend(process.argv[2] ?? BACKEND_DIST);
}
