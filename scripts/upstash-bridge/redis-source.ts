import { type ChildProcess, spawn } from "node:child_process";
import { constants as fsConstants } from "node:fs";
import { access, mkdtemp, rm } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** Where a Redis comes from, and how to let go of it. */
export interface RedisSource {
  /** redis:// URL to connect to. */
  readonly url: string;
  /** How it was found: explicit URL, the default local port, or a redis-server we started. */
  readonly origin: "url" | "default-port" | "spawned";
  /** Stops a redis-server we started; a no-op for Redis we did not start. */
  stop(): Promise<void>;
}

export interface ResolveRedisOptions {
  /** Explicit URL; wins over everything (default: env REDIS_URL). */
  url?: string | undefined;
  /** Environment to read REDIS_URL / REDIS_SERVER_BIN from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Try 127.0.0.1:6379 before spawning (default true). */
  tryDefaultPort?: boolean;
}

const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_PORT = 6379;

/**
 * Find a Redis: explicit URL / REDIS_URL, else 127.0.0.1:6379 if it answers PING, else a fresh
 * `redis-server` on a free port (no persistence, temp dir). Throws one clear line when none works.
 */
export async function resolveRedis(options: ResolveRedisOptions = {}): Promise<RedisSource> {
  const env = options.env ?? process.env;
  const explicit = options.url ?? env.REDIS_URL;
  if (explicit) return { url: explicit, origin: "url", stop: async () => {} };

  if (options.tryDefaultPort !== false && (await pingRedis(DEFAULT_HOST, DEFAULT_PORT)) === "PONG") {
    return { url: `redis://${DEFAULT_HOST}:${DEFAULT_PORT}`, origin: "default-port", stop: async () => {} };
  }

  const binary = await redisServerBinary(env);
  if (!binary) {
    throw new Error(
      `No Redis available: REDIS_URL is not set, nothing answers PING at ${DEFAULT_HOST}:${DEFAULT_PORT}, ` +
        "and no redis-server binary is on PATH (install it, e.g. `apt-get install redis-server`, or set REDIS_URL).",
    );
  }
  return spawnRedisServer(binary);
}

/** The redis-server to start: REDIS_SERVER_BIN as given, else an executable one on PATH, else null. */
export async function redisServerBinary(env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  return env.REDIS_SERVER_BIN ?? (await findOnPath("redis-server", env.PATH ?? ""));
}

/**
 * Send an inline PING over a raw socket. Resolves "PONG", the first reply line when it is something
 * else (e.g. "-NOAUTH ..."), or null when nothing answers within `timeoutMs`.
 */
export function pingRedis(host: string, port: number, timeoutMs = 500): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let buffered = "";
    const finish = (value: string | null) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => finish(null));
    socket.on("error", () => finish(null));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      buffered += chunk.toString("latin1");
      const end = buffered.indexOf("\r\n");
      if (end === -1) return;
      const line = buffered.slice(0, end);
      finish(line === "+PONG" ? "PONG" : line);
    });
  });
}

async function findOnPath(name: string, pathVariable: string): Promise<string | null> {
  for (const dir of pathVariable.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** Ask the OS for a free TCP port (tiny race until the caller binds it; callers retry). */
export function freePort(host = DEFAULT_HOST): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not determine a free port"));
      });
    });
  });
}

const STARTUP_TIMEOUT_MS = 5_000;

/** Start `redis-server` on a free port with nothing kept on disk; retries a taken port. */
export async function spawnRedisServer(binary: string): Promise<RedisSource> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), "upstash-bridge-redis-"));
    try {
      return await startOn(binary, port, dir);
    } catch (error) {
      lastError = error;
      await rm(dir, { recursive: true, force: true });
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

async function startOn(binary: string, port: number, dir: string): Promise<RedisSource> {
  const args = ["--port", String(port), "--bind", DEFAULT_HOST, "--save", "", "--appendonly", "no"];
  args.push("--dir", dir, "--daemonize", "no", "--loglevel", "warning");
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk: Buffer) => {
    if (output.length < 4_000) output += chunk.toString("utf8");
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
    child.once("error", (error) => {
      output += String(error);
      exited = true;
      resolve();
    });
  });
  // A forgotten stop() must not leave a redis-server behind when this process exits.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!exited && Date.now() < deadline) {
    if ((await pingRedis(DEFAULT_HOST, port, 200)) === "PONG") {
      return {
        url: `redis://${DEFAULT_HOST}:${port}`,
        origin: "spawned",
        stop: async () => {
          process.removeListener("exit", killOnExit);
          await stopChild(child, exit, () => exited);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  process.removeListener("exit", killOnExit);
  await stopChild(child, exit, () => exited);
  const detail = output.trim().split("\n").pop() ?? "";
  throw new Error(`redis-server (${binary}) did not start on port ${port}${detail ? `: ${detail}` : ""}`);
}

async function stopChild(child: ChildProcess, exit: Promise<void>, hasExited: () => boolean): Promise<void> {
  if (hasExited()) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 2_000);
  await exit;
  clearTimeout(timer);
}
