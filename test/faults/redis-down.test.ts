/**
 * Fault: Redis stops (SIGKILL) while the edge is under load, then comes back.
 *
 * Expected (edge/README.md, "Redis-down policy"):
 * - fail-closed (default): from the moment Redis is gone every analysis, result-by-id and API-key
 *   request is answered 503 `/problems/storage-unavailable` with `Retry-After: 30`; requests in
 *   flight at the moment of the kill end with 200 or that 503, never a 500 or a hang; `/health`
 *   says `redis: "down"`.
 * - fail-open: JWT analyses keep being served (no cache, rate limit counted in memory:
 *   `ratelimit_source: "memory"` in the audit line); API keys and results by id get 503.
 * - When Redis returns (same address, empty), the same Worker serves again without a restart.
 * - Nothing is lost: each request gets exactly one well-formed answer and one audit line.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeBackend } from "../../edge/test/support/fake-backend.js";
import { freePort } from "../../scripts/upstash-bridge/redis-source.js";
import { type Bridge, startBridge } from "../../scripts/upstash-bridge/server.js";
import { Ledger, problemType, type Sent } from "./support/answers.js";
import {
  bboxBody,
  createApiKey,
  edgeEnv,
  getInit,
  jwtFor,
  OwnRedis,
  postInit,
  SIGNING_SECRET,
} from "./support/stack.js";
import { startWorker, type Worker } from "./support/worker.js";

let redis: OwnRedis;
let bridge: Bridge;
let backend: FakeBackend;
const prefix = `t:faults-redis:${process.pid}:${randomBytes(3).toString("hex")}:`;

beforeAll(async () => {
  redis = await OwnRedis.start(await freePort());
  bridge = await startBridge({
    port: 0,
    token: `tok-${randomBytes(12).toString("hex")}`,
    redisUrl: redis.url,
  });
  backend = await FakeBackend.start(SIGNING_SECRET);
  backend.delayMs = 30;
});

afterAll(async () => {
  await bridge?.close();
  await backend?.stop();
  await redis?.kill();
});

function env(overrides: Record<string, string>) {
  return edgeEnv(
    { restUrl: bridge.url, restToken: bridge.token, prefix, backendUrl: backend.url, model: backend.model },
    overrides,
  );
}

const secrets = () => [SIGNING_SECRET, bridge.token];
let area = 1_000;

/**
 * Load from `clients` concurrent loops until stop() is called: each loop cycles through the
 * request kinds given (a function of the loop's step).
 */
function load(ledger: Ledger, clients: number, next: (step: number) => [string, string, RequestInit]) {
  let running = true;
  const loops = Array.from({ length: clients }, async (_, c) => {
    for (let step = c; running; step += clients) {
      const [label, path, init] = next(step);
      await ledger.send(label, path, init);
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

function sentAfter(ledger: Ledger, count: number): Sent[] {
  return ledger.sent.slice(count);
}

/**
 * Wait until `enough()` holds, polling every 20 ms, for at most `ms`: the load runs until a phase
 * has the answers it is judged on, however slow the machine, instead of for a fixed time.
 */
async function until(what: string, enough: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!enough()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const answered = (sent: readonly Sent[], status?: number) =>
  sent.filter((s) => s.answer !== undefined && (status === undefined || s.answer.status === status)).length;

describe("fail-closed (default)", () => {
  let worker: Worker;
  afterAll(() => worker?.dispose());

  it("answers 503 storage-unavailable once Redis is gone, loses nothing, and recovers when it returns", async () => {
    worker = await startWorker(env({ REDIS_DOWN_POLICY: "fail-closed" }));
    const key = await createApiKey(bridge, prefix, "closed-key-user");
    const jwt = await jwtFor("closed-jwt-user");
    const ledger = new Ledger(worker, secrets());

    const warm = await ledger.send("warm", "/v1/analyses", postInit(key, bboxBody(0)));
    expect(warm.answer?.status).toBe(200);
    const id = (JSON.parse(warm.answer!.body) as { analysis: { id: string } }).analysis.id;

    const kinds = (step: number): [string, string, RequestInit] => {
      switch (step % 4) {
        case 0:
          return ["cached/key", "/v1/analyses", postInit(key, bboxBody(0))];
        case 1:
          return ["miss/jwt", "/v1/analyses", postInit(jwt, bboxBody(area++))];
        case 2:
          return ["by-id/jwt", `/v1/analyses/${id}`, getInit(jwt)];
        default:
          return ["miss/key", "/v1/analyses", postInit(key, bboxBody(area++))];
      }
    };
    const running = load(ledger, 4, kinds);
    await until("5 answers of 200 before the kill", () => answered(ledger.sent, 200) >= 5);
    await redis.kill();
    const afterKill = ledger.sent.length;
    await until(
      "5 answers to requests sent after the kill",
      () => answered(sentAfter(ledger, afterKill)) >= 5,
    );
    await running.stop();

    expect(await ledger.violations()).toEqual([]);
    const before = ledger.sent.slice(0, afterKill);
    const after = sentAfter(ledger, afterKill);
    expect(before.filter((s) => s.answer?.status === 200).length).toBeGreaterThan(4);
    expect(after.length).toBeGreaterThan(4);
    // Sent after the kill: nothing but the documented 503.
    for (const s of after) {
      expect(s.answer?.status, s.label).toBe(503);
      expect(problemType(s.answer)).toBe("/problems/storage-unavailable");
      expect(s.answer?.headers.get("retry-after")).toBe("30");
    }
    // In flight at the kill: served or refused, nothing else.
    expect(Object.keys(ledger.statuses()).sort()).toEqual(["200", "503"]);

    const health = (await (await worker.fetch("/health")).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: "degraded", redis: "down", redis_down_policy: "fail-closed" });

    // Redis comes back (empty: no persistence): the same Worker serves JWT users again.
    await redis.restart();
    const deadline = Date.now() + 10_000;
    let back: Sent;
    do {
      back = await ledger.send("recovered/jwt", "/v1/analyses", postInit(jwt, bboxBody(area++)));
    } while (back.answer?.status !== 200 && Date.now() < deadline);
    expect(back.answer?.status).toBe(200);
    const again = await ledger.send("recovered/jwt-hit", "/v1/analyses", postInit(jwt, bboxBody(area - 1)));
    expect(again.answer?.headers.get("x-cache")).toBe("HIT");
    expect(await ledger.violations()).toEqual([]);
  }, 60_000); // two bounded waits (10 s each) and a recovery loop (10 s)
});

describe("fail-open", () => {
  let worker: Worker;
  afterAll(() => worker?.dispose());

  it("keeps serving JWT analyses from the backend (memory rate limit) while API keys get 503", async () => {
    await redis.restart();
    worker = await startWorker(env({ REDIS_DOWN_POLICY: "fail-open" }));
    const key = await createApiKey(bridge, prefix, "open-key-user");
    const jwt = await jwtFor("open-jwt-user");
    const ledger = new Ledger(worker, secrets());
    expect((await ledger.send("warm", "/v1/analyses", postInit(key, bboxBody(1)))).answer?.status).toBe(200);

    const running = load(ledger, 3, (step) =>
      step % 3 === 2
        ? ["key", "/v1/analyses", postInit(key, bboxBody(area++))]
        : ["jwt", "/v1/analyses", postInit(jwt, bboxBody(area++))],
    );
    await until("3 answers before the kill", () => answered(ledger.sent) >= 3);
    await redis.kill();
    const afterKill = ledger.sent.length;
    await until("3 JWT and 1 key answers to requests sent after the kill", () => {
      const after = sentAfter(ledger, afterKill);
      return (
        answered(after.filter((s) => s.label === "jwt")) >= 3 &&
        answered(after.filter((s) => s.label === "key")) >= 1
      );
    });
    await running.stop();

    expect(await ledger.violations()).toEqual([]);
    const after = sentAfter(ledger, afterKill);
    const jwtAfter = after.filter((s) => s.label === "jwt");
    const keyAfter = after.filter((s) => s.label === "key");
    expect(jwtAfter.length).toBeGreaterThan(2);
    expect(keyAfter.length).toBeGreaterThan(0);
    for (const s of jwtAfter) {
      expect(s.answer?.status).toBe(200);
      expect(s.answer?.headers.get("x-cache")).toBe("MISS");
    }
    for (const s of keyAfter) {
      expect(s.answer?.status).toBe(503);
      expect(problemType(s.answer)).toBe("/problems/storage-unavailable");
    }
    const ids = new Set(jwtAfter.map((s) => s.id));
    const lines = await worker.auditWhere((l) => ids.has(l.client_request_id ?? ""), ids.size);
    expect(lines.map((l) => l.ratelimit_source)).toEqual(lines.map(() => "memory"));
    await redis.restart();
  }, 60_000);
});
