/**
 * Start the backend: load and check the model, start the inference pool and warm it up, load the
 * imagery providers, then listen. Refuses to start, with one clear line, when anything it needs is
 * missing or broken. Shuts down gracefully: stop accepting, finish in-flight analyses, stop workers.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { DEFAULT_MAX_SKEW_S, type ImageryProviderName } from "@lanesegnet/shared";
import type { AnalysisDeps } from "./analysis/run-analysis.js";
import { createApp } from "./app.js";
import type { BackendConfig } from "./config.js";
import { createLogger, type Logger } from "./observability/logger.js";
import { createMetrics } from "./observability/metrics.js";
import { providersFromConfig } from "./providers/from-config.js";
import type { ImageryProvider } from "./providers/types.js";
import { RedisNonceStore } from "./replay/redis-nonce-store.js";
import type { HealthState } from "./routes/health.js";
import { Admission } from "./runtime/admission.js";
import { loadModelManifest } from "./runtime/model-manifest.js";
import { InferencePool } from "./runtime/pool.js";

/**
 * The backend could not start after its inference pool did: `settled` resolves once the pool has
 * ended its runs, which the process must wait for before exiting (see main.ts).
 */
export class StartFailure extends Error {
  constructor(
    message: string,
    readonly settled: Promise<void>,
  ) {
    super(message);
  }
}

export interface RunningBackend {
  readonly url: string;
  readonly port: number;
  readonly health: HealthState;
  readonly pool: InferencePool;
  /** Stop accepting, finish in-flight work (bounded by the grace period), release everything. */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly logger?: Logger;
  /** Replace the configured providers (tests with loopback servers). */
  readonly providers?: Map<ImageryProviderName, ImageryProvider>;
  /** See AnalysisDeps.onSegmentation (evaluation tools; never set by the service itself). */
  readonly onSegmentation?: AnalysisDeps["onSegmentation"];
}

export async function startBackend(config: BackendConfig, opts: StartOptions = {}): Promise<RunningBackend> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const model = await loadModelManifest(config.model.path, config.model.manifestPath);
  // Checked before anything starts: a tile the model cannot take would pass the warm-up (rounded
  // down there) and then fail every analysis.
  if (config.inference.tileSize % model.sizeMultiple !== 0) {
    throw new Error(
      `TILE_SIZE ${config.inference.tileSize} is not a multiple of ${model.sizeMultiple}, the size multiple of model ${model.manifest.name}`,
    );
  }
  // Filled in once the pool runs (a scrape before that shows no provider).
  let providersInUse: () => ReadonlySet<string> = () => new Set();
  const metrics = createMetrics({
    executionProviders: () => ({ inUse: providersInUse(), known: config.inference.executionProviders }),
    processMetrics: true,
  });
  const pool = await InferencePool.start({
    modelPath: config.model.path,
    executionProviders: config.inference.executionProviders,
    workers: config.inference.workers,
    threadsPerWorker: config.inference.threadsPerWorker,
    onWorkerLost: (why) => {
      metrics.errors.inc({ kind: "inference_worker_lost" });
      logger.error({ why }, "an inference worker stopped; loading a replacement");
    },
    onRunHung: (why) => {
      metrics.errors.inc({ kind: "inference_run_hung" });
      logger.error(
        { why, hung_workers: pool.hung, live_workers: pool.live },
        "an inference run hung; its analysis failed and its worker is retired",
      );
    },
    onReplacementReady: (provider) => {
      // The execution_provider gauge shows it at the next scrape (the GPU alert reads it).
      if (provider !== pool.provider)
        logger.warn(
          { provider, started_on: pool.provider },
          "a replacement inference worker runs on another execution provider",
        );
    },
    onInference: () => metrics.inferences.inc(),
    runTimeoutMs: config.inference.runTimeoutMs,
  });
  providersInUse = () => pool.providersInUse;
  for (const f of pool.fallbacks)
    logger.warn({ provider: f.provider, error: f.error }, "execution provider unavailable, fell back");
  let providers = opts.providers;
  if (!providers) {
    const configured = await providersFromConfig(config.providers);
    for (const s of configured.skipped) logger.warn(s, "imagery provider enabled but not configured");
    logger.info({ images: configured.localImages }, "local imagery store indexed");
    providers = configured.providers;
  }
  const health: HealthState = {
    ready: false,
    draining: false,
    executionProvider: pool.provider,
    model: { name: model.manifest.name, version: model.manifest.version },
    liveWorkers: () => pool.live,
    imageryProviders: [...providers.keys()],
  };
  const admission = new Admission(config.admission.concurrent, config.admission.queue);
  // Renders are bounded apart from analyses (they run no inference): a few at once, a short queue.
  const renderAdmission = new Admission(2, 8);
  let lastFallbackLog = 0;
  const nonces = config.replay.redisUrl
    ? RedisNonceStore.open({
        url: config.replay.redisUrl,
        keyPrefix: config.replay.keyPrefix,
        ttlMs: 2 * DEFAULT_MAX_SKEW_S * 1000,
        timeoutMs: config.replay.timeoutMs,
        onFallback: (error) => {
          metrics.replayFallbacks.inc();
          // One line per 10 s at most: an outage must be visible, not flood the log.
          if (Date.now() - lastFallbackLog < 10_000) return;
          lastFallbackLog = Date.now();
          logger.warn(
            { error: error instanceof Error ? error.message : String(error) },
            "replay store unavailable, nonces checked per process",
          );
        },
      })
    : undefined;
  const app = createApp({
    analysis: {
      pool,
      model,
      providers,
      tile: {
        size: config.inference.tileSize,
        overlap: config.inference.tileOverlap,
        batch: config.inference.batch,
      },
      onStage: (stage, ms) => metrics.stageSeconds.observe({ stage }, ms / 1000),
      onProvider: (provider, outcome) => metrics.providerCalls.inc({ provider, outcome }),
      onProviderBug: (provider, error) =>
        logger.error({ provider, err: error }, "imagery provider failed unexpectedly; fell back to the next"),
      ...(opts.onSegmentation ? { onSegmentation: opts.onSegmentation } : {}),
    },
    admission,
    renderAdmission,
    signingSecret: config.signingSecret,
    ...(nonces ? { nonces } : {}),
    metrics,
    logger,
    health,
  });

  // Warm-up: the first run pays for graph optimisation and memory arenas; do it before "ready",
  // on every worker (runs started together go to different idle workers), at the largest tile,
  // so the arena has grown before the first analysis (whose inference took ~150 ms longer after
  // a 256² warm-up; docs/PERFORMANCE.md).
  const m = model.sizeMultiple;
  const side = Math.max(m, Math.floor(config.inference.tileSize / m) * m);
  try {
    await Promise.all(
      Array.from({ length: pool.size }, () =>
        pool.run(new Float32Array(3 * side * side), [1, 3, side, side]),
      ),
    );
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    // Exiting with a worker inside a run aborts the process: the caller says why first, then
    // waits for the pool to end its runs (a run hung for good is cut off after a minute).
    throw new StartFailure(
      `the warm-up inference (one ${side}² tile) failed: ${why} (INFERENCE_RUN_TIMEOUT_MS is ${config.inference.runTimeoutMs})`,
      pool.close(),
    );
  }
  health.ready = true;

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(s));
    // A taken port or a host name that does not resolve: say which settings, after the pool ends.
    s.once("error", (e) =>
      reject(
        new StartFailure(
          `cannot listen on ${config.host}:${config.port} (BACKEND_HOST, BACKEND_PORT): ${e.message}`,
          pool.close(),
        ),
      ),
    );
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host}:${port}`;
  logger.info({ url, provider: pool.provider, model: health.model }, "backend listening");

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      health.draining = true;
      const deadline = Date.now() + config.shutdownGraceMs;
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
      // Stop accepting now, and close the idle kept-alive connections (Node's server.close() does
      // both); it resolves only once every connection has ended, which a slow analysis can delay
      // far beyond the grace period. From now on every answer closes its connection (app.ts).
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Work still waiting for a slot never started: answered 503 now, to be retried elsewhere;
      // later arrivals (a body that came late) too.
      const refused = admission.drain() + renderAdmission.drain();
      const running = () => admission.inFlight + renderAdmission.inFlight;
      logger.info(
        {
          analyses: admission.inFlight,
          renders: renderAdmission.inFlight,
          refused_from_queue: refused,
          grace_ms: config.shutdownGraceMs,
        },
        "draining: finishing running work, refusing new work",
      );
      while (running() > 0 && Date.now() < deadline) await sleep(20);
      if ("closeIdleConnections" in server) server.closeIdleConnections();
      await Promise.race([serverClosed, sleep(deadline - Date.now())]);
      // Past the grace period: what still runs is cut off (its client sees the connection close).
      if (running() > 0) {
        health.cutOff = true;
        logger.error(
          {
            analyses: admission.inFlight,
            renders: renderAdmission.inFlight,
            grace_ms: config.shutdownGraceMs,
          },
          "shutdown grace period over: cutting off the work still running",
        );
      }
      if ("closeAllConnections" in server) server.closeAllConnections();
      await serverClosed;
      await pool.close(Math.max(1_000, deadline - Date.now()));
      await nonces?.close();
      logger.info("backend stopped");
    })();
    return closing;
  };
  return { url, port, health, pool, close };
}
