/**
 * Fault: the model is missing or corrupt when the backend starts (a bad MODEL_PATH, a truncated
 * download, a card that does not belong to the file), or the configuration is invalid.
 *
 * Expected (gpu-backend/src/main.ts, runtime/model-manifest.ts): the process never starts
 * listening; it exits non-zero (1 for a model it cannot use, 2 for invalid configuration) with
 * exactly one line on stderr, `lanesegnet-backend: ...`, that says what is wrong, and no stack
 * trace. A container orchestrator shows that line as the reason of the failed start.
 */
import { createHash, randomBytes } from "node:crypto";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { freePort } from "../../scripts/upstash-bridge/redis-source.js";
import { runBackendMain, SHIPPED_MODEL } from "./support/backend.js";
import { SIGNING_SECRET } from "./support/stack.js";

const CARD = SHIPPED_MODEL.replace(/\.onnx$/, ".json");
let dir: string;
const squatters: Server[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lsn-faults-model-"));
});
afterAll(async () => {
  for (const s of squatters) s.close();
  await rm(dir, { recursive: true, force: true });
});

/** A loopback port something else listens on (closed after the file's tests). */
async function takenPort(): Promise<number> {
  const server = createServer();
  squatters.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return (server.address() as { port: number }).port;
}

/** A model folder with this .onnx content (or none) and card (the shipped one, or edited). */
async function modelDir(
  name: string,
  onnx: Buffer | "shipped" | null,
  card: "shipped" | "match-onnx" | string | null,
): Promise<string> {
  const path = join(dir, `${name}.onnx`);
  if (onnx === "shipped") await copyFile(SHIPPED_MODEL, path);
  else if (onnx) await writeFile(path, onnx);
  const cardPath = path.replace(/\.onnx$/, ".json");
  if (card === "shipped") await copyFile(CARD, cardPath);
  else if (card === "match-onnx") {
    const json = JSON.parse(await readFile(CARD, "utf8")) as Record<string, unknown>;
    json.sha256 = createHash("sha256")
      .update(onnx instanceof Buffer ? onnx : Buffer.alloc(0))
      .digest("hex");
    await writeFile(cardPath, JSON.stringify(json));
  } else if (card !== null) await writeFile(cardPath, card);
  return path;
}

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function start(env: Record<string, string>): Promise<Exit> {
  const child = runBackendMain({
    BACKEND_PORT: String(await freePort()),
    BACKEND_SIGNING_SECRET: SIGNING_SECRET,
    EXECUTION_PROVIDERS: "cpu",
    INFERENCE_THREADS: "1",
    ENABLED_PROVIDERS: "local",
    LOG_LEVEL: "info",
    ...env,
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

const corrupt = randomBytes(4096);

const CASES: [string, () => Promise<Record<string, string>>, number, RegExp][] = [
  [
    "MODEL_PATH names no file (and no card): the model is named, not the card",
    async () => ({ MODEL_PATH: join(dir, "nothing-here.onnx") }),
    1,
    /model file not found or not readable: .*nothing-here\.onnx \(MODEL_PATH\)/,
  ],
  [
    "the card is there, the model file is not",
    async () => ({ MODEL_PATH: await modelDir("no-onnx", null, "shipped") }),
    1,
    /model file not found or not readable: .*no-onnx\.onnx/,
  ],
  [
    "the model file is there, its card is not",
    async () => ({ MODEL_PATH: await modelDir("no-card", "shipped", null) }),
    1,
    /model card not found: .*no-card\.json/,
  ],
  [
    "the model file is corrupt (its hash differs from the card)",
    async () => ({ MODEL_PATH: await modelDir("corrupt", corrupt, "shipped") }),
    1,
    /does not match its card \(sha256 differs\)/,
  ],
  [
    "the model file is truncated",
    async () => ({
      MODEL_PATH: await modelDir(
        "truncated",
        (await readFile(SHIPPED_MODEL)).subarray(0, 100_000),
        "shipped",
      ),
    }),
    1,
    /does not match its card/,
  ],
  [
    "the model file is not ONNX although its card matches it",
    async () => ({ MODEL_PATH: await modelDir("not-onnx", corrupt, "match-onnx") }),
    1,
    /no execution provider could load the model: cpu: /,
  ],
  [
    "the card is not JSON",
    async () => ({ MODEL_PATH: await modelDir("bad-card", "shipped", "{ nope") }),
    1,
    /model card is not valid JSON/,
  ],
  [
    "the signing secret is too short (configuration)",
    async () => ({ MODEL_PATH: SHIPPED_MODEL, BACKEND_SIGNING_SECRET: "short" }),
    2,
    /invalid configuration: BACKEND_SIGNING_SECRET: /,
  ],
  [
    "the tiles overlap by their whole size (configuration)",
    async () => ({ MODEL_PATH: SHIPPED_MODEL, TILE_SIZE: "512", TILE_OVERLAP: "512" }),
    2,
    /invalid configuration: TILE_OVERLAP: must be less than TILE_SIZE \(512\)/,
  ],
  [
    // Once, the warm-up rounded it down and passed, and then every analysis failed with a 500.
    "the tile size is no multiple of the model's",
    async () => ({ MODEL_PATH: SHIPPED_MODEL, TILE_SIZE: "1000" }),
    1,
    /cannot start: TILE_SIZE 1000 is not a multiple of 16, the size multiple of model /,
  ],
  [
    // Found only once the model is loaded and warm: the line names the settings to change.
    "the port is taken",
    async () => ({ MODEL_PATH: SHIPPED_MODEL, BACKEND_PORT: String(await takenPort()) }),
    1,
    /cannot start: cannot listen on 127\.0\.0\.1:\d+ \(BACKEND_HOST, BACKEND_PORT\): .*EADDRINUSE/,
  ],
  [
    // A device that hangs shows at the warm-up. Exiting with its run in progress once aborted the
    // process ("terminate called after throwing an instance of 'Napi::Error'", exit 134).
    "the warm-up run outlives INFERENCE_RUN_TIMEOUT_MS",
    async () => ({ MODEL_PATH: SHIPPED_MODEL, INFERENCE_RUN_TIMEOUT_MS: "100" }),
    1,
    /cannot start: the warm-up inference \(one 1024² tile\) failed: an inference run took longer than 100 ms; .*\(INFERENCE_RUN_TIMEOUT_MS is 100\)$/,
  ],
];

describe("the backend refuses to start, with one clear line", () => {
  it.concurrent.for(CASES)("%s", async ([, env, code, message], { expect }) => {
    const exit = await start(await env());
    expect(exit.code).toBe(code);
    const lines = exit.stderr.split("\n").filter((l) => l.trim() !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^lanesegnet-backend: /);
    expect(lines[0]).toMatch(message);
    expect(exit.stderr).not.toMatch(/\n\s+at |^\s+at /m);
    expect(exit.stdout).not.toMatch(/backend listening/);
  });
});
