/**
 * The coverage index of the local imagery store, served over HTTP on loopback for the edge's
 * COVERAGE_INDEX_URL (deployed, the same file lies in e.g. a public R2 bucket: docs/DEPLOY.md).
 * Without it the edge answers GET /v1/coverage with 503 and cannot choose providers by coverage.
 * Built from the store's sidecars when started (the demo store: nine images, milliseconds), or read
 * from an index file (`npm run index:build`), the same way the backend reads its store.
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { buildIndexFromStore } from "../../gpu-backend/src/coverage/index.js";
import { REPO_ROOT } from "./repo-root.js";

/** The backend's default LOCAL_STORE_DIR. */
export const DEMO_STORE_DIR = join(REPO_ROOT, "gpu-backend/demo-store");

export interface CoverageIndexServer {
  readonly name: string;
  /** Where the index is served (the edge's COVERAGE_INDEX_URL). */
  readonly url: string;
  /** Images indexed (null when read from an index file). */
  readonly images: number | null;
  stop(): Promise<void>;
}

export async function serveCoverageIndex(
  opts: { storeDir?: string; indexFile?: string; host?: string; port?: number } = {},
): Promise<CoverageIndexServer> {
  let bytes: Uint8Array;
  let images: number | null = null;
  if (opts.indexFile) {
    bytes = new Uint8Array(await readFile(opts.indexFile));
  } else {
    const store = await buildIndexFromStore(opts.storeDir ?? DEMO_STORE_DIR);
    bytes = new Uint8Array(store.buffer);
    images = store.count;
  }
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path !== "/coverage-index.bin" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.byteLength });
    res.end(req.method === "HEAD" ? undefined : bytes);
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    name: "coverage-index",
    url: `http://${host}:${port}/coverage-index.bin`,
    images,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
