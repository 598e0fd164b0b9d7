/**
 * `npm start`: the whole system on this machine with embedded defaults.
 *   Redis (REDIS_URL, else 127.0.0.1:6379, else a redis-server started here)
 *   → the Upstash REST bridge (127.0.0.1:8079)
 *   → the inference backend (127.0.0.1:8788; the shipped model, the demo imagery store)
 *   → the coverage index of that store on a free loopback port (the edge's COVERAGE_INDEX_URL)
 *   → the edge Worker in `wrangler dev` (127.0.0.1:8787)
 * First checks the edge's settings with the Worker's own parser (edge-config.ts), so a bad one is
 * named at once. Writes `.dev.vars` for wrangler when absent, or adds the local secrets it lacks, prints every URL and how to create
 * an API key, stays up until Ctrl-C, then stops everything it started. Any part that cannot start
 * stops the whole command with a message saying which and why.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { resolveRedis } from "../upstash-bridge/redis-source.js";
import { startBridge } from "../upstash-bridge/server.js";
import { DEMO_STORE_DIR, serveCoverageIndex } from "./coverage-index.js";
import { completeDevVars, type DevSecrets, parseDevVars } from "./dev-vars.js";
import { checkEdgeVars } from "./edge-config.js";
import { modelIdentity } from "./model-identity.js";
import { type Managed, spawnReady } from "./processes.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const env = process.env;
const BRIDGE_PORT = Number(env.UPSTASH_BRIDGE_PORT ?? 8079);
const BACKEND_PORT = Number(env.BACKEND_PORT ?? 8788);
const EDGE_PORT = Number(env.EDGE_PORT ?? 8787);
const MODEL_PATH = env.MODEL_PATH ?? `${root}models/lanesegnet-lite.onnx`;
const DEV_VARS = `${root}.dev.vars`;

/**
 * Local secrets: the developer's .dev.vars, completed (never rewritten) with what it lacks, as
 * `vars`; `save()` writes the completion, once the settings have passed the edge's check.
 */
function devSecrets(): DevSecrets & { vars: Record<string, string>; save(): void } {
  const existing = existsSync(DEV_VARS) ? readFileSync(DEV_VARS, "utf8") : undefined;
  const { text, changed, ...secrets } = completeDevVars(existing, `http://127.0.0.1:${BRIDGE_PORT}`);
  return {
    ...secrets,
    vars: parseDevVars(text),
    save: () => {
      if (changed) writeFileSync(DEV_VARS, text);
    },
  };
}

async function main(): Promise<void> {
  // Every part from the moment it exists (a child from its spawn, not once ready), so a signal
  // during the start stops it too.
  const started: { name: string; stop(): Promise<void> }[] = [];
  let stopping = false;
  let signalled = false;
  const stopAll = async () => {
    stopping = true;
    for (const s of [...started].reverse()) await s.stop().catch(() => {});
  };
  // A part that comes into being after a signal (its start was under way) is stopped at once.
  const track = (part: { name: string; stop(): Promise<void> }) => {
    started.push(part);
    if (signalled) void part.stop().catch(() => {});
  };
  const fail = async (what: string, e: unknown) => {
    // Stopped by a signal: a part ended by it is not a failure to report.
    if (signalled) return;
    const message = e instanceof Error ? e.message : String(e);
    // A port taken is most often another npm start: say so, and how to run two. The bridge's
    // error has the code; the backend's and the edge's come from their own output.
    const inUse =
      (e as { code?: unknown } | null)?.code === "EADDRINUSE" || /\bEADDRINUSE\b/.test(message)
        ? " (another npm start running? Stop it, or give this one other ports: UPSTASH_BRIDGE_PORT, BACKEND_PORT, EDGE_PORT)"
        : "";
    console.error(`npm start: ${what}: ${message}${inUse}`);
    await stopAll();
    process.exit(1);
  };
  const onSignal = () => {
    // A second Ctrl-C while stopping changes nothing: the first one's stop goes on to the end.
    if (signalled) return;
    signalled = true;
    void stopAll().then(() => {
      // Exit once the line is written (stdout to a pipe is asynchronous, and exit() would drop
      // it), or after 2 s if whatever reads it has stopped reading.
      setTimeout(() => process.exit(0), 2_000);
      process.stdout.write("npm start: stopped everything it started\n", () => process.exit(0));
    });
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let model: { name: string; version: string };
  try {
    model = modelIdentity(MODEL_PATH);
  } catch (e) {
    return fail("model", e);
  }
  const secrets = devSecrets();
  const { token, signingSecret } = secrets;
  // The values wrangler dev will pass (the served coverage index is a loopback URL, which the
  // Worker always takes), checked now: a bad one is named at once, before anything starts or
  // .dev.vars is written.
  const developerIndexUrl = env.COVERAGE_INDEX_URL || secrets.vars.COVERAGE_INDEX_URL;
  const edgeVars = (coverageIndexUrl: string): Record<string, string> => ({
    BACKEND_URL: `http://127.0.0.1:${BACKEND_PORT}`,
    MODEL_NAME: model.name,
    MODEL_VERSION: model.version,
    UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${BRIDGE_PORT}`,
    COVERAGE_INDEX_URL: coverageIndexUrl,
  });
  try {
    checkEdgeVars(secrets.vars, edgeVars(developerIndexUrl || "http://127.0.0.1/coverage-index.bin"));
  } catch (e) {
    return fail("edge configuration (wrangler.toml [vars], .dev.vars, COVERAGE_INDEX_URL)", e);
  }
  secrets.save();

  try {
    const redis = await resolveRedis();
    track({ name: "redis", stop: () => redis.stop() });
    console.info(`redis            ${redis.url} (${redis.origin})`);
    const bridge = await startBridge({ port: BRIDGE_PORT, token, redisUrl: redis.url });
    track({ name: "bridge", stop: () => bridge.close() });
    console.info(`upstash bridge   ${bridge.url}`);
  } catch (e) {
    return fail("redis / upstash bridge", e);
  }

  try {
    await spawnReady({
      name: "backend",
      command: process.execPath,
      args: ["--import", "tsx", `${root}gpu-backend/src/main.ts`],
      env: {
        BACKEND_PORT: String(BACKEND_PORT),
        BACKEND_SIGNING_SECRET: signingSecret,
        MODEL_PATH,
        LOG_LEVEL: env.LOG_LEVEL ?? "warn",
      },
      readyUrl: `http://127.0.0.1:${BACKEND_PORT}/readyz`,
      readyTimeoutMs: 120_000,
      onSpawn: track,
      echo: true,
    });
    console.info(`backend          http://127.0.0.1:${BACKEND_PORT} (model ${model.name} ${model.version})`);
  } catch (e) {
    return fail("backend", e);
  }

  // The backend's store (LOCAL_INDEX_FILE or LOCAL_STORE_DIR, as it reads them), indexed for the edge:
  // GET /v1/coverage and provider choice. A COVERAGE_INDEX_URL set by the developer is used as it is.
  let coverageIndexUrl = developerIndexUrl;
  if (!coverageIndexUrl) {
    try {
      const index = await serveCoverageIndex(
        env.LOCAL_INDEX_FILE
          ? { indexFile: env.LOCAL_INDEX_FILE }
          : { storeDir: env.LOCAL_STORE_DIR || DEMO_STORE_DIR },
      );
      track(index);
      coverageIndexUrl = index.url;
      console.info(`coverage index   ${index.url}`);
    } catch (e) {
      return fail("coverage index", e);
    }
  }

  try {
    await spawnReady({
      name: "edge",
      command: process.execPath,
      args: [
        `${root}node_modules/wrangler/bin/wrangler.js`,
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        String(EDGE_PORT),
        ...Object.entries(edgeVars(coverageIndexUrl)).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
      ],
      env: { WRANGLER_SEND_METRICS: "false" },
      readyUrl: `http://127.0.0.1:${EDGE_PORT}/health`,
      readyTimeoutMs: 120_000,
      onSpawn: track,
      // The Worker's audit log (one JSON line per request) and its errors reach the developer
      // only through wrangler's output; its start-up banner (bindings, an offline Request.cf
      // warning) is left out.
      echo: "after-ready",
    });
  } catch (e) {
    return fail("edge (wrangler dev)", e);
  }

  // A part that dies later takes the rest down, saying which: a stack without its backend (or edge)
  // only answers 503s, and nothing said why.
  for (const part of started) {
    if (!("child" in part)) continue;
    const { child, name } = part as Managed;
    child.once("exit", (code, signal) => {
      if (!stopping)
        void fail(name, new Error(`exited (${signal ?? `code ${code}`}) while running; stopping everything`));
    });
  }

  console.info(`edge (API)       http://127.0.0.1:${EDGE_PORT}   docs: http://127.0.0.1:${EDGE_PORT}/docs`);
  console.info(`web page         http://127.0.0.1:${EDGE_PORT}/   (paste an API key, press Analyse)`);
  console.info("");
  console.info(
    "Create an API key:   npm run keys -- create --user you      (prints the key as its last line)",
  );
  console.info(
    `Analyse the demo:    curl -H "Authorization: Bearer $KEY" -H "content-type: application/json" ` +
      `-d '{"area":{"type":"bbox","bbox":[-121.4960,38.5800,-121.4930,38.5824]}}' http://127.0.0.1:${EDGE_PORT}/v1/analyses`,
  );
  console.info("Ctrl-C stops everything.");
}

const USAGE =
  "usage: npm start   (the whole system on this machine; no arguments: see README.md for its variables)";
const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.info(USAGE);
} else if (args.length > 0) {
  console.error(`start: takes no arguments, got ${args[0]!.slice(0, 40)} (see --help)`);
  process.exitCode = 2;
} else {
  void main();
}
