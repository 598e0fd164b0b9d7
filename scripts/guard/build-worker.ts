/**
 * The Worker exactly as `wrangler deploy` would upload it: `wrangler deploy --dry-run --outdir`
 * (bundles with wrangler's own esbuild settings, uploads nothing, needs no Cloudflare account).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);

export async function buildWorker(outdir: string): Promise<void> {
  try {
    await run(`${ROOT}node_modules/.bin/wrangler`, ["deploy", "--dry-run", "--outdir", outdir], {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", CI: "true" },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`wrangler deploy --dry-run failed: ${(e.stderr || e.stdout || e.message).trim()}`);
  }
}
