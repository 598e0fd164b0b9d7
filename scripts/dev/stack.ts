/**
 * The whole system on this machine, started from code (load tests, benchmarks, smoke checks):
 *   Redis (REDIS_URL, else 127.0.0.1:6379, else a redis-server started here)
 *   → the Upstash REST bridge (a child process by default, so it has an event loop of its own)
 *   → the inference backend (child process: gpu-backend/src/main.ts, the shipped model, the demo store)
 *   → the coverage index of that store on a loopback port (the edge's COVERAGE_INDEX_URL)
 *   → the edge Worker bundled like wrangler does and run in workerd through Miniflare, on a real
 *     loopback port (NOT `wrangler dev`: its inspector proxy caps it near 200 req/s, TOOLCHAIN.md).
 *
 * Parts already running are reused: a bridge or backend given by URL (with their secrets), or, with
 * `reuseDevServices`, the ones `npm start` runs (ports and secrets from .dev.vars). `stop()` stops
 * only what this call started and deletes only the keys under its own Redis key prefix.
 *
 * The Worker's stdout/stderr (one audit line per request) is always drained: workerd blocks its
 * isolate once the pipe is full, so an undrained Worker hangs after ~64 KB of log lines.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { signRequest } from "@lanesegnet/shared";
import { type BuildOptions, build } from "esbuild";
import { Log, LogLevel, Miniflare } from "miniflare";
import { createClient } from "redis";
import { ApiKeyStore } from "../../edge/src/auth/api-keys.js";
import { createRedisClient } from "../../edge/src/redis/client.js";
import { KeySpace } from "../../edge/src/redis/keys.js";
import { bundleWorker } from "../../edge/test/support/bundle.js";
import { freePort, resolveRedis } from "../upstash-bridge/redis-source.js";
import { startBridge } from "../upstash-bridge/server.js";
import { DEMO_STORE_DIR, serveCoverageIndex } from "./coverage-index.js";
import { readDevVars } from "./dev-vars.js";
import { modelIdentity } from "./model-identity.js";
import { type Managed, spawnReady } from "./processes.js";
import { REPO_ROOT } from "./repo-root.js";
import { workerRuntime } from "./worker-runtime.js";

export { REPO_ROOT };

const HOST = "127.0.0.1";

export interface LocalStackOptions {
  /** Edge port (default 0: a free one). */
  readonly edgePort?: number;
  /** Extra or overriding Worker variables (e.g. RATE_LIMIT_PER_HOUR, AUTH_CACHE_TTL_S). */
  readonly edgeVars?: Readonly<Record<string, string>>;
  /** Redis key prefix of the Worker (default: a fresh `lsn-stack-<random>:`, deleted by stop()). */
  readonly keyPrefix?: string;
  /** Use this Upstash REST endpoint instead of starting a bridge. */
  readonly bridge?: { readonly url: string; readonly token: string };
  /** Where a bridge this call starts runs (default "child": its own process and event loop). */
  readonly bridgeMode?: "child" | "inline";
  /** Use this backend instead of starting one (its signing secret is checked with a signed probe). */
  readonly backend?: { readonly url: string; readonly signingSecret: string };
  /** Reuse the bridge and backend of `npm start` when they answer (secrets from .dev.vars). */
  readonly reuseDevServices?: boolean;
  /** Model for a backend this call starts (default models/lanesegnet-lite.onnx). */
  readonly modelPath?: string;
  /** Extra environment of a backend this call starts (e.g. INFERENCE_THREADS). */
  readonly backendEnv?: Readonly<Record<string, string>>;
  /** Start no backend at all (cached-path work only; misses then fail with 503). */
  readonly withoutBackend?: boolean;
  /**
   * The imagery store whose coverage index the edge loads (COVERAGE_INDEX_URL, served by this call
   * on a loopback port): default backendEnv's LOCAL_STORE_DIR, else the demo store (the backend's
   * default); null: none (GET /v1/coverage answers 503, the backend decides local coverage).
   * Nothing is served when edgeVars sets COVERAGE_INDEX_URL.
   */
  readonly coverageStore?: string | null;
  /** Another Worker entry to run instead of edge/src/index.ts (e.g. an older build, to compare). */
  readonly edgeEntry?: string;
  /** workerd's DevTools port for the edge (CPU profiles, scripts/bench/profile-edge.ts); default off. */
  readonly inspectorPort?: number;
  /**
   * Serve the edge on a workerd socket of its own (Miniflare's `unsafeDirectSockets`), without
   * Miniflare's entry Worker in front of it. That entry Worker is a local-development router (it
   * fills in `request.cf`, renders error pages, proxies to the user Worker) which Cloudflare does not
   * run, and it cost 0.12 ms of workerd CPU per request on a bare route and ~0.25 ms on a 32 KB
   * cache hit on this machine (docs/PERFORMANCE.md, eighth session). Default false: the configuration every earlier figure and the floor
   * were measured in.
   */
  readonly directSocket?: boolean;
  /** Called with every line the Worker prints (audit log); default: dropped after counting. */
  readonly onWorkerLine?: (line: string) => void;
  /** Progress messages (default: none). */
  readonly log?: (message: string) => void;
}

export interface LocalStack {
  /** Base URL of the edge Worker (the public API). */
  readonly edgeUrl: string;
  readonly bridge: { readonly url: string; readonly token: string };
  readonly redisUrl: string;
  readonly backend: { readonly url: string; readonly signingSecret: string } | null;
  readonly model: { readonly name: string; readonly version: string };
  readonly keyPrefix: string;
  /** Every Worker variable the edge runs with (secrets included: this is a local stack). */
  readonly edgeVars: Readonly<Record<string, string>>;
  /** Whether the edge answers on its own workerd socket (LocalStackOptions.directSocket). */
  readonly directSocket: boolean;
  /** What this call started (the rest was reused). */
  readonly started: readonly string[];
  /** Lines the Worker printed so far (drained from workerd's pipes). */
  workerLines(): { total: number; errors: number };
  /** A new API key for `user`, stored where the Worker looks for it. */
  createApiKey(user: string): Promise<string>;
  /** Stop what this call started; delete the keys under its prefix when it chose the prefix. */
  stop(): Promise<void>;
}

interface Stoppable {
  readonly name: string;
  stop(): Promise<void>;
}

async function answers(url: string, init?: RequestInit): Promise<Response | null> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(1_500) });
  } catch {
    return null;
  }
}

/** A bridge answers PING at /health and accepts the token (GET /stats needs it). */
async function bridgeWorks(url: string, token: string): Promise<boolean> {
  const res = await answers(`${url}/stats`, { headers: { authorization: `Bearer ${token}` } });
  await res?.body?.cancel();
  return res?.status === 200;
}

/**
 * A backend is ready and shares our signing secret: a signed request with an empty JSON body gets
 * 400 (schema) from it, a wrongly signed one 401.
 */
export async function backendWorks(url: string, signingSecret: string): Promise<boolean> {
  const ready = await answers(`${url}/readyz`);
  await ready?.body?.cancel();
  if (ready?.status !== 200) return false;
  const path = "/internal/v1/analyze";
  const body = "{}";
  const headers = await signRequest(signingSecret, { method: "POST", path, body });
  const res = await answers(`${url}${path}`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body,
  });
  await res?.body?.cancel();
  return res?.status === 400;
}

/** Start (or reuse) every part; on any failure stops what it started and throws one message. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const started: Stoppable[] = [];
  const stopStarted = async () => {
    for (const s of started.slice().reverse()) await s.stop().catch(() => {});
  };
  const dev = options.reuseDevServices ? readDevVars() : {};
  const modelPath = options.modelPath ?? join(REPO_ROOT, "models/lanesegnet-lite.onnx");
  const model = modelIdentity(modelPath);
  const ownPrefix = options.keyPrefix === undefined;
  const keyPrefix = options.keyPrefix ?? `lsn-stack-${randomBytes(4).toString("hex")}:`;

  try {
    // Redis and the Upstash bridge.
    let bridge = options.bridge;
    let redisUrl: string;
    const devBridge =
      dev.UPSTASH_REDIS_REST_URL && dev.UPSTASH_REDIS_REST_TOKEN
        ? { url: dev.UPSTASH_REDIS_REST_URL, token: dev.UPSTASH_REDIS_REST_TOKEN }
        : undefined;
    if (!bridge && devBridge && (await bridgeWorks(devBridge.url, devBridge.token))) bridge = devBridge;
    if (bridge) {
      if (!(await bridgeWorks(bridge.url, bridge.token))) {
        throw new Error(`no Upstash bridge accepts the token at ${bridge.url}`);
      }
      // The keys we delete at stop() live in the Redis behind it: the same resolution as the bridge.
      redisUrl = (await resolveRedis()).url;
      log(`upstash bridge   ${bridge.url} (reused)`);
    } else {
      const redis = await resolveRedis();
      started.push({ name: "redis", stop: () => redis.stop() });
      redisUrl = redis.url;
      log(`redis            ${redis.url} (${redis.origin})`);
      const token = randomBytes(18).toString("base64url");
      if (options.bridgeMode === "inline") {
        const b = await startBridge({ port: 0, host: HOST, token, redisUrl });
        started.push({ name: "bridge", stop: () => b.close() });
        bridge = { url: b.url, token };
      } else {
        const port = await freePort();
        const child = await spawnReady({
          name: "bridge",
          command: process.execPath,
          args: ["--import", "tsx", join(REPO_ROOT, "scripts/upstash-bridge/cli.ts"), "--port", String(port)],
          env: { UPSTASH_REDIS_REST_TOKEN: token, REDIS_URL: redisUrl, UPSTASH_BRIDGE_HOST: HOST },
          readyUrl: `http://${HOST}:${port}/health`,
          readyTimeoutMs: 30_000,
        });
        started.push(child);
        bridge = { url: `http://${HOST}:${port}`, token };
      }
      log(`upstash bridge   ${bridge.url} (started, ${options.bridgeMode ?? "child"})`);
    }

    // The inference backend.
    let backend = options.backend ?? null;
    const devBackend = dev.BACKEND_SIGNING_SECRET
      ? {
          url: `http://${HOST}:${process.env.BACKEND_PORT ?? 8788}`,
          signingSecret: dev.BACKEND_SIGNING_SECRET,
        }
      : undefined;
    if (!backend && !options.withoutBackend && devBackend) {
      if (await backendWorks(devBackend.url, devBackend.signingSecret)) backend = devBackend;
    }
    if (backend) {
      if (!(await backendWorks(backend.url, backend.signingSecret))) {
        throw new Error(`the backend at ${backend.url} is not ready or uses another signing secret`);
      }
      log(`backend          ${backend.url} (reused)`);
    } else if (!options.withoutBackend) {
      const child = await startBackendProcess({
        modelPath,
        ...(options.backendEnv ? { env: options.backendEnv } : {}),
      });
      started.push(child);
      backend = { url: child.url, signingSecret: child.signingSecret };
      log(`backend          ${backend.url} (started, model ${model.name} ${model.version})`);
    }

    // The coverage index the edge loads (GET /v1/coverage, provider choice).
    let coverageVars: Record<string, string> = {};
    const coverageStore =
      options.coverageStore === undefined
        ? (options.backendEnv?.LOCAL_STORE_DIR ?? DEMO_STORE_DIR)
        : options.coverageStore;
    if (coverageStore !== null && options.edgeVars?.COVERAGE_INDEX_URL === undefined) {
      const index = await serveCoverageIndex({ storeDir: coverageStore, host: HOST });
      started.push(index);
      coverageVars = { COVERAGE_INDEX_URL: index.url };
      log(`coverage index   ${index.url} (${index.images} images of ${coverageStore})`);
    }

    // The edge Worker in workerd.
    const edgeVars: Record<string, string> = {
      UPSTASH_REDIS_REST_URL: bridge.url,
      UPSTASH_REDIS_REST_TOKEN: bridge.token,
      REDIS_KEY_PREFIX: keyPrefix,
      // Without a backend nothing answers there: misses fail fast with 503.
      BACKEND_URL: backend?.url ?? `http://${HOST}:9`,
      BACKEND_SIGNING_SECRET: backend?.signingSecret ?? randomBytes(32).toString("hex"),
      MODEL_NAME: model.name,
      MODEL_VERSION: model.version,
      ...coverageVars,
      ...options.edgeVars,
    };
    const worker = await serveWorker({
      bundle: options.edgeEntry ? bundleEntry(options.edgeEntry) : bundleWorker,
      bindings: edgeVars,
      port: options.edgePort ?? 0,
      name: "edge",
      onLine: options.onWorkerLine,
      directSocket: options.directSocket ?? false,
      ...(options.inspectorPort === undefined ? {} : { inspectorPort: options.inspectorPort }),
    });
    started.push(worker);
    log(`edge (workerd)   ${worker.url}`);

    const keyClient = createRedisClient({ url: bridge.url, token: bridge.token, timeoutMs: 10_000 });
    const apiKeys = new ApiKeyStore(keyClient, new KeySpace(keyPrefix));
    let stopping: Promise<void> | undefined;
    const finalBridge = bridge;
    return {
      edgeUrl: worker.url,
      bridge: finalBridge,
      redisUrl,
      backend,
      model,
      keyPrefix,
      edgeVars,
      directSocket: options.directSocket ?? false,
      started: started.map((s) => s.name),
      workerLines: () => worker.lines(),
      async createApiKey(user) {
        return (await apiKeys.create(user)).key;
      },
      stop() {
        stopping ??= (async () => {
          await worker.stop().catch(() => {});
          if (ownPrefix) await deletePrefix(redisUrl, keyPrefix).catch(() => {});
          await stopStarted();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await stopStarted();
    throw error;
  }
}

/**
 * The inference backend in a child process (gpu-backend/src/main.ts through tsx) on a free loopback
 * port with a fresh signing secret; resolves once /readyz answers (model loaded and warmed up).
 */
export async function startBackendProcess(
  opts: { modelPath?: string; env?: Readonly<Record<string, string>> } = {},
): Promise<Managed & { url: string; signingSecret: string }> {
  const port = await freePort();
  const signingSecret = randomBytes(32).toString("hex");
  const child = await spawnReady({
    name: "backend",
    command: process.execPath,
    args: ["--import", "tsx", join(REPO_ROOT, "gpu-backend/src/main.ts")],
    env: {
      BACKEND_HOST: HOST,
      BACKEND_PORT: String(port),
      BACKEND_SIGNING_SECRET: signingSecret,
      MODEL_PATH: opts.modelPath ?? join(REPO_ROOT, "models/lanesegnet-lite.onnx"),
      LOG_LEVEL: "warn",
      ...opts.env,
    },
    readyUrl: `http://${HOST}:${port}/readyz`,
    readyTimeoutMs: 180_000,
  });
  return { ...child, name: "backend", url: `http://${HOST}:${port}`, signingSecret };
}

/** Delete every key under `prefix` (SCAN + UNLINK; never FLUSHALL a shared Redis). */
async function deletePrefix(redisUrl: string, prefix: string): Promise<void> {
  const client = createClient({ url: redisUrl });
  client.on("error", () => {});
  await client.connect();
  try {
    const pattern = `${prefix.replace(/[\\*?[\]]/g, "\\$&")}*`;
    for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
      if (keys.length > 0) await client.unlink(keys);
    }
  } finally {
    await client.quit().catch(() => client.destroy());
  }
}

interface RunningWorker extends Stoppable {
  readonly url: string;
  lines(): { total: number; errors: number };
}

/** Bundle a Worker entry to a temp dir and serve it from workerd on a loopback port. */
export async function serveWorker(opts: {
  readonly bundle: (outfile: string) => Promise<void>;
  readonly bindings: Readonly<Record<string, string>>;
  readonly port: number;
  readonly name: string;
  readonly onLine?: ((line: string) => void) | undefined;
  /** workerd's DevTools port (CPU profiles); off by default: an attached inspector costs CPU. */
  readonly inspectorPort?: number;
  /** Bypass Miniflare's entry Worker (LocalStackOptions.directSocket). */
  readonly directSocket?: boolean;
}): Promise<RunningWorker> {
  const dir = await mkdtemp(join(tmpdir(), "lsn-worker-"));
  const scriptPath = join(dir, "worker.mjs");
  let total = 0;
  let errors = 0;
  const tail: string[] = [];
  const drain = (stream: Readable, isError: boolean) => {
    let rest = "";
    stream.on("data", (chunk: Buffer | string) => {
      const text = rest + chunk.toString();
      const lines = text.split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        if (!line) continue;
        total++;
        if (isError) errors++;
        if (tail.length >= 20) tail.shift();
        tail.push(line);
        opts.onLine?.(line);
      }
    });
  };
  let mf: Miniflare | undefined;
  try {
    await opts.bundle(scriptPath);
    mf = new Miniflare({
      name: opts.name,
      scriptPath,
      modulesRoot: dirname(scriptPath),
      modules: true,
      ...workerRuntime(),
      bindings: { ...opts.bindings },
      host: HOST,
      ...(opts.directSocket
        ? { port: 0, unsafeDirectSockets: [{ host: HOST, port: opts.port }] }
        : { port: opts.port }),
      // Miniflare's own per-request log line would go through a loopback call to Node.
      logRequests: false,
      // By default Miniflare sends every subrequest through a second Worker, on the same workerd
      // thread, that strips CF-Connecting-IP (Cloudflare does that in its network, not in the
      // Worker's thread). The edge builds its own subrequests and never forwards a client's headers,
      // so that hop is only cost: a second Request, Headers copy and Response per Redis call, and its
      // isolate's collections stalled every request in flight (docs/PERFORMANCE.md, 21st session).
      stripCfConnectingIp: false,
      ...(opts.inspectorPort === undefined ? {} : { inspectorPort: opts.inspectorPort }),
      // No network here: use the placeholder Request.cf instead of fetching it (a warning otherwise).
      cf: false,
      log: new Log(LogLevel.WARN),
      handleRuntimeStdio(stdout: Readable, stderr: Readable) {
        drain(stdout, false);
        drain(stderr, true);
      },
    });
    const entryUrl = await mf.ready;
    const url = (opts.directSocket ? await mf.unsafeGetDirectURL() : entryUrl).toString().replace(/\/$/, "");
    const running = mf;
    return {
      name: opts.name,
      url,
      lines: () => ({ total, errors }),
      async stop() {
        await running.dispose();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await mf?.dispose().catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw new Error(`workerd did not start (${opts.name}): ${String(error)}\n${tail.join("\n")}`);
  }
}

/** The options wrangler uses for a Worker (see edge/test/support/bundle.ts). */
const WORKER_BUILD: BuildOptions = {
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["browser", "module", "main"],
  external: ["node:*", "cloudflare:*"],
  logLevel: "error",
};

/** Bundle a Worker entry file. */
export function bundleEntry(entry: string): (outfile: string) => Promise<void> {
  return async (outfile) => {
    await build({ ...WORKER_BUILD, entryPoints: [entry], outfile });
  };
}

/** Bundle a small Worker module from source text (benchmarks: a bare route beside the real one). */
export function bundleSource(source: string, resolveDir: string): (outfile: string) => Promise<void> {
  return async (outfile) => {
    await build({
      ...WORKER_BUILD,
      stdin: { contents: source, resolveDir, loader: "ts", sourcefile: "bare-worker.ts" },
      outfile,
    });
  };
}
