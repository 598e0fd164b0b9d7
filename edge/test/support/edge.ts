/**
 * Run the bundled Worker in workerd (Miniflare) with given env bindings, against real loopback
 * services. Captures the Worker's stdout/stderr lines (audit log) for assertions.
 */
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import type { Readable } from "node:stream";
import { Miniflare } from "miniflare";
import { inject } from "vitest";
import { workerRuntime } from "../../../scripts/dev/worker-runtime.js";
import {
  connectRedis,
  deleteKeysWithPrefix,
  keyPrefix,
  startStack,
  type TestStack,
} from "../../../test/harness/index.js";
import type { AuditLine } from "../../src/audit/log.js";
import { FakeBackend } from "./fake-backend.js";

export const SIGNING_SECRET = "s".repeat(16) + randomBytes(16).toString("hex");
export const JWT_SECRET = `jwt-${randomBytes(24).toString("hex")}`;

export interface EdgeWorker {
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Audit lines printed so far. */
  readonly audit: AuditLine[];
  /** Every raw line the Worker printed (stdout and stderr). */
  readonly lines: string[];
  /** The audit line of a response (its X-Request-Id); waits for workerd's output to arrive. */
  auditOf(res: Response): Promise<AuditLine>;
  /** Wait until `count` audit lines match (output arrives asynchronously through a pipe). */
  auditWhere(match: (line: AuditLine) => boolean, count: number): Promise<AuditLine[]>;
  dispose(): Promise<void>;
}

export async function startEdge(bindings: Record<string, string>): Promise<EdgeWorker> {
  const audit: AuditLine[] = [];
  const lines: string[] = [];
  const collect = (stream: Readable) => {
    let buffer = "";
    stream.on("data", (chunk: Buffer | string) => {
      buffer += chunk.toString();
      let nl = buffer.indexOf("\n");
      while (nl >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) {
          lines.push(line);
          if (line.startsWith("{")) {
            try {
              const parsed = JSON.parse(line) as AuditLine;
              if (parsed.msg === "request") audit.push(parsed);
            } catch {
              // not JSON
            }
          }
        }
        nl = buffer.indexOf("\n");
      }
    });
  };
  const scriptPath = inject("workerBundle");
  const mf = new Miniflare({
    scriptPath,
    // Module names are paths relative to this root; the bundle lives in a temp dir.
    modulesRoot: dirname(scriptPath),
    modules: true,
    ...workerRuntime(),
    bindings,
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      collect(stdout);
      collect(stderr);
    },
  });
  try {
    await mf.ready;
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw new Error(`workerd did not start:\n${lines.join("\n")}`, { cause: error });
  }
  const auditWhere = async (match: (line: AuditLine) => boolean, count: number) => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const found = audit.filter(match);
      if (found.length >= count || Date.now() > deadline) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return {
    audit,
    lines,
    auditWhere,
    async auditOf(res) {
      const id = res.headers.get("x-request-id");
      // The caller's own id when it sent one (echoed), else the edge's. Callers may reuse an id:
      // that would make the line ambiguous, so it is refused here rather than guessed.
      const match = (l: AuditLine) => l.request_id === id || l.client_request_id === id;
      const [line] = await auditWhere(match, 1);
      if (!line) throw new Error(`no audit line for request ${id}`);
      if (audit.filter(match).length > 1) throw new Error(`request id ${id} names more than one audit line`);
      return line;
    },
    async fetch(path, init) {
      const res = await mf.dispatchFetch(`http://edge.test${path}`, init as never);
      return res as unknown as Response;
    },
    dispose: () => mf.dispose(),
  };
}

/** Everything one test file needs: Redis (via the Upstash bridge), a fake backend, key prefix. */
export interface Rig {
  readonly stack: TestStack;
  readonly backend: FakeBackend;
  readonly prefix: string;
  /** The Worker env for this rig (override per Worker). */
  env(overrides?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

export async function startRig(label: string): Promise<Rig> {
  const stack = await startStack();
  const backend = await FakeBackend.start(SIGNING_SECRET);
  const prefix = keyPrefix(`edge-${label}`);
  return {
    stack,
    backend,
    prefix,
    env: (overrides = {}) => ({
      UPSTASH_REDIS_REST_URL: stack.url,
      UPSTASH_REDIS_REST_TOKEN: stack.token,
      REDIS_KEY_PREFIX: prefix,
      BACKEND_URL: backend.url,
      BACKEND_SIGNING_SECRET: SIGNING_SECRET,
      BACKEND_TIMEOUT_MS: "5000",
      JWT_SECRET,
      MODEL_NAME: backend.model.name,
      MODEL_VERSION: backend.model.version,
      CORS_ORIGINS: "https://app.example.com",
      ...overrides,
    }),
    async close() {
      await backend.stop().catch(() => {});
      const direct = await connectRedis(stack.redisUrl);
      await deleteKeysWithPrefix(direct, prefix);
      await direct.quit();
      await stack.close();
      if (backend.contractViolations.length > 0) {
        throw new Error(`the edge sent bodies the backend refuses: ${backend.contractViolations[0]}`);
      }
    },
  };
}
