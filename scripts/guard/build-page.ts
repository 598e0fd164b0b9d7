/**
 * The edge's static page (edge/web, served by the Worker as [assets]) built with its own Vite
 * config, as wrangler's [build] step builds it, into a folder of the guard's choosing and with
 * hidden source maps: the same minified code (no sourceMappingURL is added), plus maps that let the
 * guard tell the page's own code from bundled libraries (MapLibre's worker logs with console.log).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const PAGE_VITE_CONFIG = `${ROOT}edge/web/vite.config.ts`;

/**
 * Build the page into `outdir`. The page ships with the Worker, so a missing config is an error,
 * never a reason to scan less.
 */
export async function buildPage(outdir: string): Promise<void> {
  if (!existsSync(PAGE_VITE_CONFIG)) {
    throw new Error(
      `the page's Vite config is missing (${PAGE_VITE_CONFIG}); the guard cannot scan the page`,
    );
  }
  const { build } = await import("vite");
  await build({
    configFile: PAGE_VITE_CONFIG,
    logLevel: "warn",
    build: { outDir: outdir, emptyOutDir: true, sourcemap: "hidden" },
  });
}
