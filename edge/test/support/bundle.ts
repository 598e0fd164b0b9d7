/**
 * Bundle the Worker (edge/src/index.ts) the way wrangler does — esbuild, ESM, workerd/worker/browser
 * conditions, node: and cloudflare: imports left to the runtime — so Miniflare can run it in
 * workerd. Used by the tests' globalSetup and by load harnesses.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const WORKER_ENTRY = fileURLToPath(new URL("../../src/index.ts", import.meta.url));

export async function bundleWorker(outfile: string): Promise<void> {
  await build({
    entryPoints: [WORKER_ENTRY],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    external: ["node:*", "cloudflare:*"],
    logLevel: "error",
  });
}
