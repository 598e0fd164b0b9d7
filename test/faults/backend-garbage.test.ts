/**
 * Fault: the address the edge calls as its backend answers garbage (a broken deploy, a proxy error
 * page, a half-written response), here a loopback server that answers each analysis differently.
 *
 * Expected (edge/README.md "Backend protocol"): any status the protocol does not define, and any 200
 * that is not an analysis, is a 502 `/problems/bad-gateway`; a response cut off mid-body is a 502
 * too (an incomplete answer); a connection closed before any answer is retried once, then 503
 * `/problems/backend-unavailable`. The garbage never reaches the client (no backend text, stack
 * trace or model path in any body), garbage is never cached (the next identical request calls the
 * backend again once FAILURE_SHARE_S has passed), and nothing is lost.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis, deleteKeysWithPrefix, startStack, type TestStack } from "../harness/index.js";
import { Ledger, problemType } from "./support/answers.js";
import { bboxBody, edgeEnv, jwtFor, postInit, SIGNING_SECRET } from "./support/stack.js";
import { startWorker, type Worker } from "./support/worker.js";

const MARKER = `backend-internal-${randomBytes(6).toString("hex")}`;
const TRACE = `Error: ${MARKER}\n    at runAnalysis (/srv/gpu-backend/src/analysis/run-analysis.ts:42:7)\n    at /srv/models/lanesegnet-lite.onnx`;

type Garbage = (req: IncomingMessage, res: ServerResponse) => void;

const GARBAGE: Record<string, { answer: Garbage; status: number; type: string }> = {
  "200 text": {
    answer: (_q, res) => res.writeHead(200, { "content-type": "text/plain" }).end(TRACE),
    status: 502,
    type: "/problems/bad-gateway",
  },
  "200 JSON that is not an analysis": {
    answer: (_q, res) =>
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ error: TRACE })),
    status: 502,
    type: "/problems/bad-gateway",
  },
  "200 analysis with a broken shape": {
    answer: (_q, res) =>
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ type: "FeatureCollection", features: "none", analysis: { note: TRACE } })),
    status: 502,
    type: "/problems/bad-gateway",
  },
  "200 truncated JSON": {
    answer: (_q, res) =>
      res.writeHead(200, { "content-type": "application/json" }).end('{"type":"FeatureCollection","feat'),
    status: 502,
    type: "/problems/bad-gateway",
  },
  "200 empty": {
    answer: (_q, res) => res.writeHead(200).end(),
    status: 502,
    type: "/problems/bad-gateway",
  },
  "200 cut off mid-body": {
    answer: (_q, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100000" });
      res.write(`{"type":"FeatureCollection","features":[{"note":"${MARKER}"`);
      setTimeout(() => res.socket?.destroy(), 20);
    },
    status: 502,
    type: "/problems/bad-gateway",
  },
  "500 HTML with a stack trace": {
    answer: (_q, res) => res.writeHead(500, { "content-type": "text/html" }).end(`<pre>${TRACE}</pre>`),
    status: 502,
    type: "/problems/bad-gateway",
  },
  "418 teapot": {
    answer: (_q, res) =>
      res.writeHead(418, { "content-type": "application/json" }).end(`{"detail":"${MARKER}"}`),
    status: 502,
    type: "/problems/bad-gateway",
  },
  "503 without Retry-After": {
    answer: (_q, res) => res.writeHead(503, { "content-type": "text/plain" }).end(TRACE),
    status: 503,
    type: "/problems/overloaded",
  },
  "connection closed before any answer": {
    answer: (req) => req.socket.destroy(),
    status: 503,
    type: "/problems/backend-unavailable",
  },
};

/**
 * The protocol defines no 3xx: a backend or load balancer answering one must not make the edge
 * re-send the signed request to wherever Location points (edge/src/backend/client.ts fetches with
 * `redirect: "manual"`); it is a 502.
 */
const REDIRECT: Garbage = (_q, res) => res.writeHead(307, { location: `http://127.0.0.1:9/elsewhere` }).end();

/** Which garbage each area gets: the cases run concurrently, told apart by their area. */
const byArea = new Map<number, Garbage>();
/** Analyze calls per area. */
const calls = new Map<number, number>();
let server: Server;
let stack: TestStack;
let worker: Worker;
let jwt: string;
const prefix = `t:faults-garbage:${process.pid}:${randomBytes(3).toString("hex")}:`;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let k = -1;
      try {
        const west = (
          JSON.parse(Buffer.concat(chunks).toString()) as { request: { area: { bbox: number[] } } }
        ).request.area.bbox[0]!;
        k = Math.round((west - 153.02) / 0.002);
      } catch {
        // not an analysis (e.g. GET /readyz): k stays -1
      }
      calls.set(k, (calls.get(k) ?? 0) + 1);
      (byArea.get(k) ?? ((_q, r) => r.writeHead(404).end()))(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  stack = await startStack();
  worker = await startWorker(
    edgeEnv({
      restUrl: stack.url,
      restToken: stack.token,
      prefix,
      backendUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      model: { name: "m", version: "1" },
    }),
  );
  jwt = await jwtFor("garbage-user");
});

afterAll(async () => {
  await worker?.dispose();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (stack) {
    const direct = await connectRedis(stack.redisUrl);
    await deleteKeysWithPrefix(direct, prefix);
    await direct.quit();
    await stack.close();
  }
});

const CASES = Object.entries(GARBAGE).map(([name, g], k) => [name, { ...g, k }] as const);

describe("a backend answering garbage", () => {
  it.concurrent.for(CASES)(
    "%s: the documented problem, nothing passed on, nothing cached",
    async ([, g], { expect }) => {
      byArea.set(g.k, g.answer);
      const ledger = new Ledger(worker, [SIGNING_SECRET, stack.token, MARKER]);
      const body = bboxBody(g.k);
      // One call, or two when the connection failed before an answer (one retry).
      const perTry = g.type === "/problems/backend-unavailable" ? 2 : 1;
      const first = await ledger.send("first", "/v1/analyses", postInit(jwt, body));
      expect(first.answer?.status).toBe(g.status);
      expect(problemType(first.answer)).toBe(g.type);
      expect(calls.get(g.k)).toBe(perTry);

      await new Promise((r) => setTimeout(r, 1_100)); // FAILURE_SHARE_S = 1
      const again = await ledger.send("again", "/v1/analyses", postInit(jwt, body));
      expect(again.answer?.status).toBe(g.status);
      expect(again.answer?.headers.get("x-cache")).not.toBe("HIT");
      expect(calls.get(g.k)).toBe(2 * perTry);
      expect(await ledger.violations()).toEqual([]);
    },
  );

  it("307 redirect: 502 bad-gateway, the signed request not sent elsewhere", async () => {
    const k = CASES.length;
    byArea.set(k, REDIRECT);
    const res = await worker.fetch("/v1/analyses", postInit(jwt, bboxBody(k)));
    expect(res.status).toBe(502);
  });
});
