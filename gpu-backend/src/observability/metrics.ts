/** Prometheus metrics of the backend (GET /metrics). One registry per app instance, so tests are isolated. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export type Stage = "imagery" | "inference" | "vectorise" | "total";

/** Every `kind` of lanesegnet_backend_errors_total (docs/DEPLOY.md lists them and their alerts). */
export const ERROR_KINDS = [
  "overloaded",
  "no_imagery",
  "area_too_large",
  "aborted",
  "internal",
  "inference_unavailable",
  "inference_worker_lost",
  "inference_run_hung",
  "draining",
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface MetricsSources {
  /**
   * The execution providers live inference workers run on now, and every one configured: read at
   * each scrape, so a worker lost, down or replaced on another provider shows at once.
   */
  readonly executionProviders?: () => {
    readonly inUse: ReadonlySet<string>;
    readonly known: readonly string[];
  };
  /**
   * Also prom-client's process and Node metrics under their usual names (resident memory, heap,
   * event-loop lag, GC, open handles): what DEPLOY.md's memory sizing and alerts read. They
   * describe the process, so they are collected once per process and shared by every app in it.
   */
  readonly processMetrics?: boolean;
}

let processRegistry: Registry | undefined;

/** The process's metrics, collected from the first call on (a GC observer, an event-loop monitor). */
function processMetricsRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export function createMetrics(sources: MetricsSources = {}) {
  const own = new Registry();
  const stageSeconds = new Histogram({
    name: "lanesegnet_backend_stage_seconds",
    help: "Latency of each analysis stage",
    labelNames: ["stage"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8],
    registers: [own],
  });
  const errors = new Counter({
    name: "lanesegnet_backend_errors_total",
    help: "Analyses that failed, by kind",
    labelNames: ["kind"] as const,
    registers: [own],
  });
  // Every series exists from the start at 0: `increase(...) > 0` cannot see the first event of a
  // series that the scrape before it did not have.
  for (const kind of ERROR_KINDS) errors.inc({ kind }, 0);
  const requests = new Counter({
    name: "lanesegnet_backend_requests_total",
    help: "Requests by route and status",
    labelNames: ["route", "status"] as const,
    registers: [own],
  });
  const queueDepth = new Gauge({
    name: "lanesegnet_backend_queue_depth",
    help: "Analyses waiting for admission",
    registers: [own],
  });
  const inFlight = new Gauge({
    name: "lanesegnet_backend_analyses_in_flight",
    help: "Analyses running",
    registers: [own],
  });
  const inferences = new Counter({
    name: "lanesegnet_backend_inferences_total",
    help: "Model runs (one per batch of tiles)",
    registers: [own],
  });
  const providerCalls = new Counter({
    name: "lanesegnet_backend_provider_calls_total",
    help: "Imagery provider calls by outcome",
    labelNames: ["provider", "outcome"] as const,
    registers: [own],
  });
  const replayFallbacks = new Counter({
    name: "lanesegnet_backend_replay_store_fallbacks_total",
    help: "Signed requests whose nonce only this process checked: the shared Redis store did not answer",
    registers: [own],
  });
  const providers = sources.executionProviders;
  const executionProvider = new Gauge({
    name: "lanesegnet_backend_execution_provider",
    help: "1 for each onnxruntime execution provider a live inference worker runs on, 0 for the others",
    labelNames: ["provider"] as const,
    registers: [own],
    ...(providers
      ? {
          collect() {
            const { inUse, known } = providers();
            for (const provider of new Set([...known, ...inUse]))
              this.set({ provider }, inUse.has(provider) ? 1 : 0);
          },
        }
      : {}),
  });
  // What /metrics serves: this app's series, and the process's when asked for.
  const registry = sources.processMetrics ? Registry.merge([own, processMetricsRegistry()]) : own;
  return {
    registry,
    stageSeconds,
    errors,
    requests,
    queueDepth,
    inFlight,
    inferences,
    providerCalls,
    replayFallbacks,
    executionProvider,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
