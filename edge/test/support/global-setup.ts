/** Bundle the Worker once for every test file (they run it in workerd through Miniflare). */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { bundleWorker } from "./bundle.js";

declare module "vitest" {
  export interface ProvidedContext {
    workerBundle: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(join(tmpdir(), "lsn-edge-"));
  const outfile = join(dir, "worker.mjs");
  await bundleWorker(outfile);
  project.provide("workerBundle", outfile);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
