/**
 * Backend configuration from the environment, validated once at start. Every variable, its default
 * and meaning is listed in the README's configuration table; a bad value stops the process with a
 * one-line message naming the variable.
 */
import { statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { IMAGERY_PROVIDERS, isSecureServiceUrl, plainMessage, SECURE_URL_RULE } from "@lanesegnet/shared";
import { z } from "zod";
import { ESRI_WORLD_IMAGERY_URL } from "./providers/esri.js";
import { EARTH_ENGINE_API } from "./providers/gee.js";
import { MAPBOX_SATELLITE_URL } from "./providers/mapbox.js";
import { DEFAULT_RUN_TIMEOUT_MS } from "./runtime/pool.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** A provider's URL: its keys and tokens travel with it, and its imagery is what gets analysed. */
const serviceUrl = (def: string) =>
  z
    .string()
    .default(def)
    .refine((v) => isSecureServiceUrl(v.replace(/\{\w+\}/g, "0")), { error: SECURE_URL_RULE });
/** Node's timers take at most this; a longer one fires at once (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2_147_483_647;
const int = (def: number, min = 0, max = MAX_TIMER_MS) =>
  z.coerce.number().int().min(min).max(max).default(def);
const ms = (def: number, min: number) => int(def, min, MAX_TIMER_MS);
const list = <T extends string>(values: readonly [T, ...T[]], def: string) =>
  z
    .string()
    .default(def)
    .transform((s) =>
      s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(values)).min(1));

const EnvSchema = z.object({
  BACKEND_HOST: z.string().default("127.0.0.1"),
  BACKEND_PORT: int(8788, 0, 65_535),
  /**
   * Shared with the edge; requests without a valid signature are refused. Trimmed as the edge trims
   * it: a secret file's trailing newline must not make every signature differ.
   */
  BACKEND_SIGNING_SECRET: z
    .string({
      error: (i) =>
        i.input === undefined
          ? "required: the secret the edge signs requests with, at least 32 characters (npm start's is in .dev.vars)"
          : undefined,
    })
    .trim()
    .min(32, "at least 32 characters (use 32 random bytes, hex- or base64-encoded)"),
  /**
   * Redis shared by every backend instance for replay protection (redis:// or rediss://). Unset:
   * each process remembers its own nonces, which only stops replays to the same instance.
   */
  REPLAY_REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" })
    // redis:// alone parses; node-redis would then quietly use localhost.
    // (Run after a failed URL check too: a value that does not parse is refused here as well.)
    .refine((v) => URL.canParse(v) && new URL(v).hostname !== "", { error: "must name a host" })
    .optional(),
  REPLAY_KEY_PREFIX: z.string().default("lsn:nonce:"),
  /** Longest wait for that Redis per request before this process's own cache decides alone. */
  REPLAY_REDIS_TIMEOUT_MS: ms(250, 1),
  MODEL_PATH: z.string().default(`${repoRoot}models/lanesegnet-lite.onnx`),
  /** Tried in order; the first that loads the model is used, CPU is the fallback. */
  EXECUTION_PROVIDERS: list(["cuda", "webgpu", "cpu"] as const, "cpu"),
  /** 0: chosen from the execution providers and the cores (inferenceLayout). */
  INFERENCE_WORKERS: int(0, 0, 64),
  /** 0: the cores divided among the workers. */
  INFERENCE_THREADS: int(0, 0, 256),
  /** At most 4096: one tile's input and logits are then ~0.7 GB. */
  TILE_SIZE: int(1024, 64, 4096),
  TILE_OVERLAP: int(64),
  TILE_BATCH: int(1, 1, 64),
  /** A model run longer than this per tile of its batch is hung: its analysis fails, its worker is replaced. */
  INFERENCE_RUN_TIMEOUT_MS: ms(DEFAULT_RUN_TIMEOUT_MS, 100),
  MAX_CONCURRENT_ANALYSES: int(2, 1, 1_024),
  MAX_QUEUED_ANALYSES: int(8, 0, 100_000),
  PROVIDER_TIMEOUT_MS: ms(8_000, 100),
  LOCAL_STORE_DIR: z.string().default(`${repoRoot}gpu-backend/demo-store`),
  LOCAL_INDEX_FILE: z.string().optional(),
  ESRI_TILE_URL: serviceUrl(ESRI_WORLD_IMAGERY_URL),
  MAPBOX_TILE_URL: serviceUrl(MAPBOX_SATELLITE_URL),
  MAPBOX_ACCESS_TOKEN: z.string().optional(),
  // The REST API's versioned root: requests go to {GEE_API_URL}/projects/{project}/image:computePixels.
  GEE_API_URL: serviceUrl(EARTH_ENGINE_API),
  GEE_PROJECT: z.string().optional(),
  GEE_SERVICE_ACCOUNT_KEY: z.string().optional(),
  GEE_ASSET: z.string().default("USDA/NAIP/DOQQ"),
  // The asset's own ground resolution: the chain refuses it as too coarse above the model's range.
  GEE_RESOLUTION_M: z.coerce.number().positive().default(0.6),
  ENABLED_PROVIDERS: list(IMAGERY_PROVIDERS, "local,esri,mapbox,gee"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SHUTDOWN_GRACE_MS: ms(30_000, 0),
});

export type BackendConfig = ReturnType<typeof loadConfig>;

/** Why `path` is no regular file to read (nothing there, a folder, no permission), or null. */
function notAFile(path: string): string | null {
  try {
    return statSync(path).isFile() ? null : "not a file";
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? "no such file" : `cannot be read (${code ?? "error"})`;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  // Set but empty (`VAR=` in a compose file or a unit) means unset: "" is no port, host or grace
  // period, and coerced it would be 0 (any free port, every interface, no grace).
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ""));
  const parsed = EnvSchema.safeParse(set);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`invalid configuration: ${issue.path.join(".")}: ${plainMessage(issue)}`);
  }
  const e = parsed.data;
  if (e.TILE_OVERLAP >= e.TILE_SIZE) {
    throw new Error(
      `invalid configuration: TILE_OVERLAP: must be less than TILE_SIZE (${e.TILE_SIZE}); tiles that share all their pixels make no progress`,
    );
  }
  // Only where the local provider reads it: a stale path with the provider off used to start.
  const indexProblem =
    e.LOCAL_INDEX_FILE && e.ENABLED_PROVIDERS.includes("local") ? notAFile(e.LOCAL_INDEX_FILE) : null;
  if (indexProblem) throw new Error(`invalid configuration: LOCAL_INDEX_FILE: ${indexProblem}`);
  const layout = inferenceLayout(e.EXECUTION_PROVIDERS, availableParallelism(), {
    workers: e.INFERENCE_WORKERS,
    threads: e.INFERENCE_THREADS,
  });
  return {
    host: e.BACKEND_HOST,
    port: e.BACKEND_PORT,
    signingSecret: e.BACKEND_SIGNING_SECRET,
    replay: {
      redisUrl: e.REPLAY_REDIS_URL,
      keyPrefix: e.REPLAY_KEY_PREFIX,
      timeoutMs: e.REPLAY_REDIS_TIMEOUT_MS,
    },
    model: { path: e.MODEL_PATH, manifestPath: e.MODEL_PATH.replace(/\.onnx$/, ".json") },
    inference: {
      executionProviders: e.EXECUTION_PROVIDERS,
      workers: layout.workers,
      threadsPerWorker: layout.threads,
      tileSize: e.TILE_SIZE,
      tileOverlap: e.TILE_OVERLAP,
      batch: e.TILE_BATCH,
      runTimeoutMs: e.INFERENCE_RUN_TIMEOUT_MS,
    },
    admission: { concurrent: e.MAX_CONCURRENT_ANALYSES, queue: e.MAX_QUEUED_ANALYSES },
    providers: {
      enabled: e.ENABLED_PROVIDERS,
      timeoutMs: e.PROVIDER_TIMEOUT_MS,
      local: { dir: e.LOCAL_STORE_DIR, indexFile: e.LOCAL_INDEX_FILE },
      esri: { urlTemplate: e.ESRI_TILE_URL },
      mapbox: { urlTemplate: e.MAPBOX_TILE_URL, accessToken: e.MAPBOX_ACCESS_TOKEN },
      gee: {
        apiUrl: e.GEE_API_URL,
        project: e.GEE_PROJECT,
        serviceAccountKey: e.GEE_SERVICE_ACCOUNT_KEY,
        asset: e.GEE_ASSET,
        resolutionM: e.GEE_RESOLUTION_M,
      },
    },
    logLevel: e.LOG_LEVEL,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}

/** Most CPU workers chosen by default: beyond it, a session per core costs memory for little. */
const MAX_AUTO_CPU_WORKERS = 4;

/**
 * How inference is spread over worker threads (one onnxruntime session each) and intra-op threads
 * per session, where the configuration leaves it open (0).
 *
 * - A GPU provider configured (cuda, webgpu): one worker, so one session holds the device.
 * - CPU only: one worker per core up to MAX_AUTO_CPU_WORKERS, the cores shared among them. On 2
 *   cores, 2 workers of 1 thread beat 1 worker of 2 threads: the tiles of one raster run side by
 *   side, a single tile is as fast (this model gains almost nothing from a second intra-op
 *   thread), and the idle intra-op thread no longer spins: `npm run load -- uncached` went from
 *   16.6 to 22–23.5 analyses/s and from ~98 to ~63 ms of backend CPU per analysis
 *   (docs/PERFORMANCE.md).
 */
export function inferenceLayout(
  executionProviders: readonly string[],
  cores: number,
  configured: { workers: number; threads: number },
): { workers: number; threads: number } {
  const gpu = executionProviders.some((p) => p !== "cpu");
  const workers = configured.workers || (gpu ? 1 : Math.max(1, Math.min(cores, MAX_AUTO_CPU_WORKERS)));
  const threads = configured.threads || Math.max(1, Math.floor(cores / workers));
  return { workers, threads };
}
