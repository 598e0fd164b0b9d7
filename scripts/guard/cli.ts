/**
 * `npm run guard`: build what production runs and refuse debug code in it.
 *
 *   1. the Worker as `wrangler deploy` would upload it (`wrangler deploy --dry-run --outdir`, into
 *      a temp folder);
 *   2. the Worker's static page (edge/web, uploaded with it as [assets]) with its Vite config, into
 *      a temp folder, with hidden source maps so bundled libraries are told from our code;
 *   3. the backend as the container runs it (`npm run build:backend` → gpu-backend/dist);
 *   4. scan all three (scripts/guard/scan.ts): console.log in our code, debugger, test code and
 *      harness, fixture paths, test-only routes, development secrets (also in source maps).
 *
 * Options: `--worker-dir DIR` / `--page-dir DIR` / `--backend-dir DIR` scan existing output
 * instead of building it.
 * Exit status 1 with one line per finding; 0 when clean.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runCli } from "../cli/run.js";
import { BACKEND_DIST, buildBackend } from "./build-backend.js";
import { buildPage } from "./build-page.js";
import { buildWorker } from "./build-worker.js";
import { libraryCopies } from "./library-copies.js";
import { type Finding, formatFinding, scanOutput } from "./scan.js";
import { devSecrets } from "./secrets.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      "worker-dir": { type: "string" },
      "page-dir": { type: "string" },
      "backend-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write("usage: npm run guard [-- --worker-dir DIR --page-dir DIR --backend-dir DIR]\n");
    return 0;
  }
  const secrets = await devSecrets(ROOT);
  const libraryCopy = await libraryCopies(ROOT, ["edge/package.json", "gpu-backend/package.json"]);
  const temp = await mkdtemp(join(tmpdir(), "lsn-guard-"));
  try {
    let workerDir = values["worker-dir"];
    if (!workerDir) {
      workerDir = join(temp, "worker");
      await buildWorker(workerDir);
    }
    let pageDir = values["page-dir"];
    if (!pageDir) {
      pageDir = join(temp, "page");
      await buildPage(pageDir);
    }
    let backendDir = values["backend-dir"];
    if (!backendDir) {
      backendDir = BACKEND_DIST;
      await buildBackend(backendDir);
    }
    const findings: Finding[] = [];
    const outputs: [string, string][] = [
      ["worker", workerDir],
      ["page", pageDir],
      ["backend", backendDir],
    ];
    for (const [label, dir] of outputs) {
      const found = await scanOutput(dir, { secrets, libraryCopy });
      for (const f of found) findings.push({ ...f, file: `${label}/${f.file}` });
    }
    for (const f of findings) console.error(formatFinding(f));
    if (findings.length > 0) {
      console.error(`guard: ${findings.length} finding(s) in the production builds; see above`);
      return 1;
    }
    console.info(`guard: ${outputs.map(([label, dir]) => `${label} (${dir})`).join(", ")}: builds are clean`);
    return 0;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

runCli("guard", main);
