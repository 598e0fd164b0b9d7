/**
 * Parts the fault and fuzz suites assemble: a redis-server of their own (so it can be killed), the
 * Upstash bridge over it, credentials (API keys through the CLI's own store, HS256 JWTs), the
 * edge's env, and request bodies.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sign } from "hono/utils/jwt/jwt";
import { ApiKeyStore } from "../../../edge/src/auth/api-keys.js";
import { createRedisClient } from "../../../edge/src/redis/client.js";
import { KeySpace } from "../../../edge/src/redis/keys.js";
import { pingRedis } from "../../../scripts/upstash-bridge/redis-source.js";

export const SIGNING_SECRET = `sig-${randomBytes(24).toString("hex")}`;
export const JWT_SECRET = `jwt-${randomBytes(24).toString("hex")}`;

/** The edge's env for a given Redis REST endpoint and backend; override per Worker. */
export function edgeEnv(
  parts: {
    restUrl: string;
    restToken: string;
    prefix: string;
    backendUrl: string;
    model: { name: string; version: string };
  },
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    UPSTASH_REDIS_REST_URL: parts.restUrl,
    UPSTASH_REDIS_REST_TOKEN: parts.restToken,
    REDIS_KEY_PREFIX: parts.prefix,
    REDIS_TIMEOUT_MS: "500",
    BACKEND_URL: parts.backendUrl,
    BACKEND_SIGNING_SECRET: SIGNING_SECRET,
    BACKEND_TIMEOUT_MS: "10000",
    JWT_SECRET,
    MODEL_NAME: parts.model.name,
    MODEL_VERSION: parts.model.version,
    RATE_LIMIT_PER_HOUR: "100000",
    FAILURE_SHARE_S: "1",
    ...overrides,
  };
}

export function jwtFor(user: string): Promise<string> {
  return sign({ sub: user, exp: Math.floor(Date.now() / 1000) + 3600 }, JWT_SECRET, "HS256");
}

export async function createApiKey(rest: { url: string; token: string }, prefix: string, user: string) {
  const redis = createRedisClient({ url: rest.url, token: rest.token, timeoutMs: 5_000 });
  return (await new ApiKeyStore(redis, new KeySpace(prefix)).create(user)).key;
}

/** A ~110 m x 110 m bbox near Brisbane; each `k` a distinct area (and cache key). */
export function bboxBody(k: number, extra: Record<string, unknown> = {}): string {
  const w = 153.02 + (k % 400) * 0.002;
  const s = -27.47 + Math.floor(k / 400) * 0.002;
  return JSON.stringify({ area: { type: "bbox", bbox: [w, s, w + 0.001, s + 0.001] }, ...extra });
}

export function postInit(token: string, body: string): RequestInit {
  return {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body,
  };
}

export function getInit(token: string): RequestInit {
  return { headers: { authorization: `Bearer ${token}` } };
}

/**
 * A redis-server of this test's own on a fixed port, which the test can stop (SIGKILL: as abrupt
 * as a crash) and start again on the same port. Nothing is kept on disk.
 */
export class OwnRedis {
  #child: ChildProcess | undefined;
  #dir: string | undefined;

  private constructor(readonly port: number) {}

  /** Start on `port` (e.g. from spawnRedisServer's or freePort()'s choice). */
  static async start(port: number): Promise<OwnRedis> {
    const r = new OwnRedis(port);
    await r.restart();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  async restart(): Promise<void> {
    if (this.#child) return;
    this.#dir = await mkdtemp(join(tmpdir(), "lsn-faults-redis-"));
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
    const child = spawn(process.env.REDIS_SERVER_BIN ?? "redis-server", [...args, "--dir", this.#dir], {
      stdio: "ignore",
    });
    const failed = new Promise<Error>((resolve) => child.once("error", resolve));
    this.#child = child;
    const deadline = Date.now() + 5_000;
    for (;;) {
      const outcome = await Promise.race([failed, pingRedis("127.0.0.1", this.port, 200)]);
      if (outcome instanceof Error) {
        this.#child = undefined;
        throw new Error(
          `cannot start redis-server (${outcome.message}): install it (apt-get install redis-server) or set REDIS_SERVER_BIN`,
        );
      }
      if (outcome === "PONG") return;
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${this.port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kill it (SIGKILL) and wait until the port is closed. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await exited;
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }
}
