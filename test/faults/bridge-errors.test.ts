/**
 * Fault: the Upstash REST endpoint (here the bridge, behind a proxy that can break it) answers with
 * errors instead of results: HTTP 500 and 400 errors, per-command errors inside a 200 pipeline
 * reply, a body that is not JSON, 401 (a rotated token), no answer at all, or a dropped connection.
 *
 * Expected: the edge treats each of them as "Redis down" (edge/README.md: an error, a refused
 * connection or no answer within REDIS_TIMEOUT_MS) and applies REDIS_DOWN_POLICY; under the default
 * fail-closed every analysis, result-by-id and API-key request gets 503
 * `/problems/storage-unavailable` with `Retry-After: 30`, never a 500; the REST layer's error text
 * never reaches a client; `/health` stays 200 and says `redis: "down"`. When the endpoint heals,
 * the same Worker serves again. Nothing is lost.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeBackend } from "../../edge/test/support/fake-backend.js";
import { connectRedis, deleteKeysWithPrefix, startStack, type TestStack } from "../harness/index.js";
import { Ledger, problemType } from "./support/answers.js";
import {
  bboxBody,
  createApiKey,
  edgeEnv,
  getInit,
  jwtFor,
  postInit,
  SIGNING_SECRET,
} from "./support/stack.js";
import { startWorker, type Worker } from "./support/worker.js";

type Mode = "pass" | "500" | "400" | "item-errors" | "not-json" | "401" | "hang" | "drop";

/** Text planted in every error the broken endpoint gives: it must never reach a client. */
const MARKER = `bridge-internal-${randomBytes(6).toString("hex")}`;

class BreakableProxy {
  mode: Mode = "pass";
  #server: Server;

  constructor(private readonly target: string) {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => void this.#handle(req.url ?? "/", req.headers, Buffer.concat(chunks), res));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(
    path: string,
    headers: Record<string, string | string[] | undefined>,
    body: Buffer,
    res: import("node:http").ServerResponse,
  ): Promise<void> {
    const json = (status: number, text: string) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(text);
    };
    switch (this.mode) {
      case "500":
        return json(500, JSON.stringify({ error: `ERR ${MARKER}` }));
      case "400":
        return json(400, JSON.stringify({ error: `WRONGTYPE ${MARKER}` }));
      case "item-errors": {
        if (path.startsWith("/pipeline") || path.startsWith("/multi-exec")) {
          const n = Math.max(1, (JSON.parse(body.toString() || "[]") as unknown[]).length);
          return json(200, JSON.stringify(Array.from({ length: n }, () => ({ error: `ERR ${MARKER}` }))));
        }
        return json(400, JSON.stringify({ error: `ERR ${MARKER}` }));
      }
      case "not-json":
        return json(200, `<html>${MARKER}</html>`);
      case "401":
        return json(401, JSON.stringify({ error: `Unauthorized ${MARKER}` }));
      case "hang":
        return; // never answered; the edge's REDIS_TIMEOUT_MS must end it
      case "drop":
        res.socket?.destroy();
        return;
      default: {
        const forwarded: Record<string, string> = {};
        for (const [k, v] of Object.entries(headers)) {
          if (typeof v === "string" && !["host", "connection", "content-length"].includes(k))
            forwarded[k] = v;
        }
        const upstream = await fetch(this.target + path, {
          method: "POST",
          headers: forwarded,
          body: body.toString("utf8"),
        });
        res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "" });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      }
    }
  }
}

let stack: TestStack;
let proxy: BreakableProxy;
let proxyUrl: string;
let backend: FakeBackend;
let worker: Worker;
let key: string;
let jwt: string;
let id: string;
const prefix = `t:faults-bridge:${process.pid}:${randomBytes(3).toString("hex")}:`;

beforeAll(async () => {
  stack = await startStack();
  proxy = new BreakableProxy(stack.url);
  proxyUrl = await proxy.listen();
  backend = await FakeBackend.start(SIGNING_SECRET);
  worker = await startWorker(
    edgeEnv({
      restUrl: proxyUrl,
      restToken: stack.token,
      prefix,
      backendUrl: backend.url,
      model: backend.model,
    }),
  );
  key = await createApiKey(stack, prefix, "bridge-key-user");
  jwt = await jwtFor("bridge-jwt-user");
  const res = await worker.fetch("/v1/analyses", postInit(key, bboxBody(0)));
  expect(res.status).toBe(200);
  id = ((await res.json()) as { analysis: { id: string } }).analysis.id;
});

afterAll(async () => {
  await worker?.dispose();
  await proxy?.close();
  await backend?.stop();
  if (stack) {
    const direct = await connectRedis(stack.redisUrl);
    await deleteKeysWithPrefix(direct, prefix);
    await direct.quit();
    await stack.close();
  }
});

let area = 10;

describe("the Upstash REST endpoint returns errors (fail-closed)", () => {
  it.each(["500", "400", "item-errors", "not-json", "401", "hang", "drop"] as const)(
    "%s: 503 storage-unavailable for every Redis-backed request, nothing leaked or lost",
    async (mode) => {
      const ledger = new Ledger(worker, [SIGNING_SECRET, stack.token, MARKER]);
      proxy.mode = mode;
      const calls = backend.calls.length;
      try {
        await Promise.all([
          ledger.send("cached/key", "/v1/analyses", postInit(key, bboxBody(0))),
          ledger.send("cached/jwt", "/v1/analyses", postInit(jwt, bboxBody(0))),
          ledger.send("miss/jwt", "/v1/analyses", postInit(jwt, bboxBody(area++))),
          ledger.send("miss/key", "/v1/analyses", postInit(key, bboxBody(area++))),
          ledger.send("by-id/jwt", `/v1/analyses/${id}`, getInit(jwt)),
        ]);
        const health = await ledger.send("health", "/health");
        expect(health.answer?.status).toBe(200);
        expect(JSON.parse(health.answer!.body)).toMatchObject({ redis: "down" });
      } finally {
        proxy.mode = "pass";
      }
      expect(await ledger.violations()).toEqual([]);
      for (const s of ledger.sent.filter((x) => x.label !== "health")) {
        expect(s.answer?.status, s.label).toBe(503);
        expect(problemType(s.answer), s.label).toBe("/problems/storage-unavailable");
        expect(s.answer?.headers.get("retry-after")).toBe("30");
      }
      // Fail-closed protects the backend: no analysis ran without the cache and single flight.
      expect(backend.calls.length).toBe(calls);

      // Healed: the same Worker answers from the cache again.
      const healed = await ledger.send("healed", "/v1/analyses", postInit(jwt, bboxBody(0)));
      expect(healed.answer?.status).toBe(200);
      expect(healed.answer?.headers.get("x-cache")).toBe("HIT");
    },
  );
});
