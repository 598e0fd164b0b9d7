/**
 * The whole system on loopback for end-to-end tests, as `npm start` runs it but with test
 * isolation: Redis (harness) behind the Upstash bridge, the real inference backend as a process
 * (gpu-backend/src/main.ts, the shipped model, the demo imagery store, local provider only), and
 * the edge Worker in workerd through Miniflare serving the built page as static assets — one or
 * more Workers over the same backend and Redis, each with its own settings (e.g. a tiny hourly
 * quota). Every Redis key lives under a unique prefix, deleted on close.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { ApiKeyStore } from "../../../edge/src/auth/api-keys.js";
import { createRedisClient } from "../../../edge/src/redis/client.js";
import { KeySpace } from "../../../edge/src/redis/keys.js";
import { bundleWorker } from "../../../edge/test/support/bundle.js";
import { ensureWebBuilt, WEB_DIST } from "../../../edge/web/build.js";
import { workerRuntime } from "../../../scripts/dev/worker-runtime.js";
import { freePort } from "../../../scripts/upstash-bridge/redis-source.js";
import {
  connectRedis,
  deleteKeysWithPrefix,
  keyPrefix,
  startStack,
  type TestStack,
} from "../../harness/index.js";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SHIPPED_MODEL = join(REPO_ROOT, "models/lanesegnet-lite.onnx");
const SIGNING_SECRET = `e2e-${"x".repeat(28)}-${process.pid}`;

/** The demo area: covered by gpu-backend/demo-store (what `npm start` prints). */
export const DEMO_BBOX = [-121.496, 38.58, -121.493, 38.5824] as const;

export interface EdgeInstance {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** Lines the Worker printed (audit log). */
  readonly lines: string[];
}

export interface E2eStack {
  readonly backendUrl: string;
  readonly model: { readonly name: string; readonly version: string };
  /** HTTP requests the Upstash bridge has received so far (each one a Redis round trip of a Worker). */
  bridgeRequests(): number;
  /** Start a Worker over this stack's backend and Redis (extra env bindings override the defaults). */
  startEdge(bindings?: Record<string, string>): Promise<EdgeInstance>;
  /** A new API key for `user` in this stack's key space. */
  createKey(user: string): Promise<string>;
  /** Stop the backend (SIGTERM) now: the edge then sees connection refused. */
  stopBackend(): Promise<void>;
  close(): Promise<void>;
}

function shippedModel(): { name: string; version: string } {
  const card = JSON.parse(readFileSync(SHIPPED_MODEL.replace(/\.onnx$/, ".json"), "utf8")) as {
    name: string;
    version: string;
  };
  return { name: card.name, version: card.version };
}

async function startBackend(): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "gpu-backend/src/main.ts")], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      BACKEND_HOST: "127.0.0.1",
      BACKEND_PORT: String(port),
      BACKEND_SIGNING_SECRET: SIGNING_SECRET,
      MODEL_PATH: SHIPPED_MODEL,
      EXECUTION_PROVIDERS: "cpu",
      // Loopback only: the demo store, no internet imagery.
      ENABLED_PROVIDERS: "local",
      LOG_LEVEL: "warn",
      SHUTDOWN_GRACE_MS: "2000",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  let exit: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code) => {
      exit = code;
      resolve();
    }),
  );
  const stop = async () => {
    if (exit === undefined) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exit !== undefined) throw new Error(`the backend exited (${exit}) before it was ready:\n${stderr}`);
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return { url, child, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the backend was not ready within 90 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startE2eStack(label: string): Promise<E2eStack> {
  await ensureWebBuilt();
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    const redis: TestStack = await startStack();
    closers.push(() => redis.close());
    const prefix = keyPrefix(`e2e-${label}`);
    closers.push(async () => {
      const direct = await connectRedis(redis.redisUrl);
      await deleteKeysWithPrefix(direct, prefix);
      await direct.quit();
    });

    const dir = await mkdtemp(join(tmpdir(), "lsn-e2e-"));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const scriptPath = join(dir, "worker.mjs");
    const [backend] = await Promise.all([startBackend(), bundleWorker(scriptPath)]);
    closers.push(() => backend.stop());

    const model = shippedModel();
    const keys = new ApiKeyStore(
      createRedisClient({ url: redis.url, token: redis.token, timeoutMs: 5_000 }),
      new KeySpace(prefix),
    );
    return {
      backendUrl: backend.url,
      model,
      bridgeRequests: () => redis.bridge.stats.requests,
      async startEdge(bindings = {}) {
        const lines: string[] = [];
        const drain = (stream: Readable) => {
          // workerd blocks on a full pipe: always read its output.
          stream.on("data", (chunk: Buffer) => {
            for (const line of chunk.toString().split("\n")) if (line.trim()) lines.push(line);
          });
        };
        const mf = new Miniflare({
          scriptPath,
          modulesRoot: dirname(scriptPath),
          modules: true,
          ...workerRuntime(),
          host: "127.0.0.1",
          port: 0,
          // What wrangler.toml's [assets] does: the page's files first, everything else the Worker.
          assets: { directory: WEB_DIST, routerConfig: { has_user_worker: true } },
          bindings: {
            UPSTASH_REDIS_REST_URL: redis.url,
            UPSTASH_REDIS_REST_TOKEN: redis.token,
            REDIS_KEY_PREFIX: prefix,
            BACKEND_URL: backend.url,
            BACKEND_SIGNING_SECRET: SIGNING_SECRET,
            BACKEND_TIMEOUT_MS: "90000",
            MODEL_NAME: model.name,
            MODEL_VERSION: model.version,
            PROVIDER_CHAIN: "local",
            ...bindings,
          },
          handleRuntimeStdio(stdout: Readable, stderr: Readable) {
            drain(stdout);
            drain(stderr);
          },
        });
        closers.push(() => mf.dispose());
        const url = (await mf.ready).origin;
        return { url, lines };
      },
      async createKey(user) {
        return (await keys.create(user)).key;
      },
      stopBackend: () => backend.stop(),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** fetch with a bearer credential and a bounded wait. */
export function authed(key: string, init: RequestInit = {}, timeoutMs = 90_000): RequestInit {
  return {
    ...init,
    headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${key}` },
    signal: AbortSignal.timeout(timeoutMs),
  };
}
