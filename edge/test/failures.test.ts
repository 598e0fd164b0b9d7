/**
 * Fault injection: the backend down, slow, overloaded or broken; Redis unreachable under both
 * policies. Errors are problem+json without backend detail; cached results are still served.
 */
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, hsToken } from "./support/credentials.js";
import { type EdgeWorker, type Rig, startEdge, startRig } from "./support/edge.js";
import { BACKEND_INTERNAL_DETAIL, type FakeBackend } from "./support/fake-backend.js";
import { bboxBody, get, postAnalysis } from "./support/requests.js";

let rig: Rig;
let edge: EdgeWorker;
let key: string;

beforeAll(async () => {
  rig = await startRig("failures");
  edge = await startEdge(
    rig.env({ RATE_LIMIT_PER_HOUR: "1000", BACKEND_TIMEOUT_MS: "1500", FAILURE_SHARE_S: "2" }),
  );
  key = await createKey(rig, "fault-user");
});

afterAll(async () => {
  await edge?.dispose();
  await rig?.close();
});

async function expectProblem(res: Response, status: number, type: string): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const text = await res.text();
  expect(text).not.toContain(BACKEND_INTERNAL_DETAIL);
  expect(text).not.toMatch(/onnx|stack|at \w+ \(/i);
  const p = JSON.parse(text) as Record<string, unknown>;
  expect(p).toMatchObject({ status, type });
  return p;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("backend failures", () => {
  it("answers 503 with Retry-After when the backend is down, while cached results are still served", async () => {
    const cached = await postAnalysis(edge, key, bboxBody(0));
    expect(cached.status).toBe(200);
    const id = ((await cached.json()) as { analysis: { id: string } }).analysis.id;

    await rig.backend.stop();
    try {
      const miss = await postAnalysis(edge, key, bboxBody(1));
      await expectProblem(miss, 503, "/problems/backend-unavailable");
      expect(miss.headers.get("retry-after")).toBe("30");
      expect(await edge.auditOf(miss)).toMatchObject({
        status: 503,
        cause: "connect",
      });

      const hit = await postAnalysis(edge, key, bboxBody(0));
      expect(hit.status).toBe(200);
      expect(hit.headers.get("x-cache")).toBe("HIT");
      expect((await get(edge, `/v1/analyses/${id}`, key)).status).toBe(200);

      const health = (await (await get(edge, "/health")).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ status: "degraded", redis: "up", backend: "down" });
    } finally {
      await rig.backend.restart();
    }
    // The failure was shared for a few seconds only; a different area works again at once.
    expect((await postAnalysis(edge, key, bboxBody(2))).status).toBe(200);
  });

  it("retries once when the connection fails, and only then", async () => {
    const attempts = rig.backend.attempts;
    rig.backend.dropConnections = 1;
    const recovered = await postAnalysis(edge, key, bboxBody(4));
    expect(recovered.status).toBe(200);
    expect(rig.backend.attempts - attempts).toBe(2);

    rig.backend.dropConnections = 2;
    const failed = await postAnalysis(edge, key, bboxBody(5));
    await expectProblem(failed, 503, "/problems/backend-unavailable");
    expect(rig.backend.attempts - attempts).toBe(4);
    rig.backend.dropConnections = 0;
  });

  it("answers 504 when the backend is too slow", async () => {
    rig.backend.delayMs = 3_000;
    try {
      const attempts = rig.backend.attempts;
      const started = Date.now();
      const res = await postAnalysis(edge, key, bboxBody(3));
      await expectProblem(res, 504, "/problems/backend-timeout");
      expect(Date.now() - started).toBeLessThan(2_900);
      expect(rig.backend.attempts - attempts).toBe(1); // a timeout is never retried
    } finally {
      rig.backend.delayMs = 0;
    }
  });

  it.each([
    ["overloaded", 503, "/problems/overloaded", "7"],
    ["error", 502, "/problems/bad-gateway", null],
    ["garbage", 502, "/problems/bad-gateway", null],
    ["no_imagery", 422, "/problems/no-imagery", null],
    ["area_too_large", 422, "/problems/area-too-large", null],
  ] as const)("maps a backend answering %s to %i", async (mode, status, type, retryAfter) => {
    rig.backend.mode = mode;
    try {
      const attempts = rig.backend.attempts;
      const res = await postAnalysis(edge, key, bboxBody(10 + status + mode.length));
      await expectProblem(res, status, type);
      expect(res.headers.get("retry-after")).toBe(retryAfter);
      expect(rig.backend.attempts - attempts).toBe(1); // an answer is never retried
    } finally {
      rig.backend.mode = "ok";
    }
  });

  it.each([
    ["missing", 80],
    ["other_request", 81],
  ] as const)(
    "refuses a result whose signature is %s (changed on the way or replayed): 502, nothing stored",
    async (signature, k) => {
      rig.backend.answerSignature = signature;
      try {
        const res = await postAnalysis(edge, key, bboxBody(k));
        const p = await expectProblem(res, 502, "/problems/bad-gateway");
        expect(p.detail).toMatch(/integrity/);
        expect((await edge.auditOf(res)).cause).toBe("bad_signature");
      } finally {
        rig.backend.answerSignature = "valid";
      }
      // Nothing was stored: the same request again is no cache hit (the flight's short-lived
      // failure record, or a fresh analysis).
      const again = await postAnalysis(edge, key, bboxBody(k));
      expect(again.headers.get("x-cache")).not.toBe("HIT");
      expect(again.status === 200 || again.status === 502).toBe(true);
    },
  );

  it("passes on the providers tried only from a signed no-imagery answer", async () => {
    rig.backend.failing.add("local");
    rig.backend.failing.add("esri");
    try {
      const body = bboxBody(82, { providers: ["local", "esri"] });
      const signed = await postAnalysis(edge, key, body);
      expect((await expectProblem(signed, 502, "/problems/no-imagery")).providers_tried).toHaveLength(2);
      rig.backend.answerSignature = "missing";
      const unsigned = await postAnalysis(edge, key, bboxBody(83, { providers: ["local", "esri"] }));
      const p = await expectProblem(unsigned, 502, "/problems/bad-gateway");
      expect(p.providers_tried).toBeUndefined();
      expect((await edge.auditOf(unsigned)).cause).toBe("bad_signature");
    } finally {
      rig.backend.answerSignature = "valid";
      rig.backend.failing.clear();
    }
  });

  it.each([
    ["no_imagery", 86],
    ["area_too_large", 87],
  ] as const)("takes a %s problem only when signed (else 502, cause bad_signature)", async (mode, k) => {
    rig.backend.mode = mode;
    rig.backend.answerSignature = "missing";
    try {
      const res = await postAnalysis(edge, key, bboxBody(k));
      await expectProblem(res, 502, "/problems/bad-gateway");
      expect((await edge.auditOf(res)).cause).toBe("bad_signature");
    } finally {
      rig.backend.mode = "ok";
      rig.backend.answerSignature = "valid";
    }
  });

  it.each([
    ["endless_error", "an error"],
    ["endless_ok", "a result"],
  ] as const)("stops reading %s body that never ends (%s) and answers 502", async (mode, _what) => {
    // Without a cap the edge would buffer until the backend timeout (1.5 s here) and answer 504,
    // so the status alone tells the cap from the timeout.
    rig.backend.mode = mode;
    try {
      const res = await postAnalysis(edge, key, bboxBody(30 + mode.length));
      await expectProblem(res, 502, "/problems/bad-gateway");
    } finally {
      rig.backend.mode = "ok";
    }
  });

  it("stops reading a picture that never ends and answers 502, not buffering it to the timeout", async () => {
    const analysed = await postAnalysis(edge, key, bboxBody(60));
    expect(analysed.status).toBe(200);
    const id = ((await analysed.json()) as { analysis: { id: string } }).analysis.id;
    rig.backend.renderMode = "endless";
    const before = rig.backend.renderBytesSent;
    try {
      const res = await get(edge, `/v1/analyses/${id}/overlay.png`, key);
      await expectProblem(res, 502, "/problems/bad-gateway");
      // Sent, not received: the socket buffers a little beyond the 16 MiB cap before the hang-up.
      expect(rig.backend.renderBytesSent - before).toBeLessThan(64 * 2 ** 20);
    } finally {
      rig.backend.renderMode = undefined;
    }
  });

  it("serves a picture the backend signed for this request, and refuses one it did not (502, not stored)", async () => {
    const ids: string[] = [];
    for (const k of [84, 85]) {
      const analysed = await postAnalysis(edge, key, bboxBody(k));
      expect(analysed.status).toBe(200);
      ids.push(((await analysed.json()) as { analysis: { id: string } }).analysis.id);
    }
    rig.backend.renderMode = "png";
    try {
      const signed = await get(edge, `/v1/analyses/${ids[0]}/imagery.png`, key);
      expect(signed.status).toBe(200);
      expect(signed.headers.get("content-type")).toBe("image/png");
      expect(new Uint8Array(await signed.arrayBuffer()).subarray(1, 4)).toEqual(
        new TextEncoder().encode("PNG"),
      );
      rig.backend.answerSignature = "missing";
      const unsigned = await get(edge, `/v1/analyses/${ids[0]}/overlay.png`, key);
      expect((await expectProblem(unsigned, 502, "/problems/bad-gateway")).detail).toMatch(/integrity/);
      rig.backend.answerSignature = "other_request";
      const replayed = await get(edge, `/v1/analyses/${ids[1]}/overlay.png`, key);
      await expectProblem(replayed, 502, "/problems/bad-gateway");
    } finally {
      rig.backend.renderMode = undefined;
      rig.backend.answerSignature = "valid";
    }
  });

  it("tells a busy imaging service by its status, whatever its body: 503 with its Retry-After", async () => {
    const analysed = await postAnalysis(edge, key, bboxBody(61));
    expect(analysed.status).toBe(200);
    const id = ((await analysed.json()) as { analysis: { id: string } }).analysis.id;
    rig.backend.renderMode = "busy";
    try {
      const res = await get(edge, `/v1/analyses/${id}/imagery.png`, key);
      await expectProblem(res, 503, "/problems/overloaded");
      expect(res.headers.get("retry-after")).toBe("9");
    } finally {
      rig.backend.renderMode = undefined;
    }
  });

  it("shares a failure with identical requests for FAILURE_SHARE_S only", async () => {
    rig.backend.mode = "error";
    const body = bboxBody(20);
    const calls = rig.backend.calls.length;
    try {
      await expectProblem(await postAnalysis(edge, key, body), 502, "/problems/bad-gateway");
      // Within the sharing window the same request gets the same answer without a new call.
      await expectProblem(await postAnalysis(edge, key, body), 502, "/problems/bad-gateway");
      expect(rig.backend.calls.length - calls).toBe(1);
    } finally {
      rig.backend.mode = "ok";
    }
    await new Promise((r) => setTimeout(r, 2_100));
    const res = await postAnalysis(edge, key, body);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-cache")).toBe("MISS");
  });

  it("rejects requests the backend cannot verify (wrong signing secret) as a bad gateway", async () => {
    const wrong = await startEdge(
      rig.env({ RATE_LIMIT_PER_HOUR: "1000", BACKEND_SIGNING_SECRET: "w".repeat(40) }),
    );
    try {
      const before = rig.backend.badSignatures;
      await expectProblem(await postAnalysis(wrong, key, bboxBody(30)), 502, "/problems/bad-gateway");
      expect(rig.backend.badSignatures).toBe(before + 1);
    } finally {
      await wrong.dispose();
    }
  });
});

describe("Redis unreachable", () => {
  let deadRedis: Record<string, string>;
  let spareBackend: FakeBackend;
  beforeAll(async () => {
    deadRedis = { UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${await closedPort()}` };
    spareBackend = rig.backend;
  });

  it("fail-closed (default): analyses, results by id and API keys get 503 problem+json", async () => {
    const closed = await startEdge(rig.env({ ...deadRedis }));
    try {
      const jwt = await hsToken({ sub: "jwt-user" });
      const calls = spareBackend.calls.length;
      const res = await postAnalysis(closed, jwt, bboxBody(40));
      await expectProblem(res, 503, "/problems/storage-unavailable");
      expect(res.headers.get("retry-after")).toBe("30");
      expect(res.headers.get("ratelimit-policy")).toBe('"hourly";q=50;w=3600');
      expect(spareBackend.calls.length).toBe(calls);

      // An API key cannot be checked without Redis: that 503 comes before any count, so it carries
      // Retry-After and no rate-limit policy (README, "The API").
      const keyed = await postAnalysis(closed, key, bboxBody(40));
      await expectProblem(keyed, 503, "/problems/storage-unavailable");
      expect(keyed.headers.get("retry-after")).toBe("30");
      expect(keyed.headers.get("ratelimit-policy")).toBeNull();
      expect(keyed.headers.get("ratelimit")).toBeNull();
      await expectProblem(
        await get(closed, `/v1/analyses/${"a".repeat(64)}`, jwt),
        503,
        "/problems/storage-unavailable",
      );

      const providers = (await (await get(closed, "/v1/providers", jwt)).json()) as {
        providers: { healthy: boolean | null }[];
      };
      expect(providers.providers.every((p) => p.healthy === null)).toBe(true);
      const health = (await (await get(closed, "/health")).json()) as Record<string, unknown>;
      expect(health).toMatchObject({
        status: "degraded",
        redis: "down",
        backend: "up",
        redis_down_policy: "fail-closed",
      });
    } finally {
      await closed.dispose();
    }
  });

  it("fail-open: JWT users are served by the backend, limited per isolate; API keys still get 503", async () => {
    const open = await startEdge(
      rig.env({ ...deadRedis, REDIS_DOWN_POLICY: "fail-open", RATE_LIMIT_PER_HOUR: "2" }),
    );
    try {
      const jwt = await hsToken({ sub: "open-user" });
      const calls = spareBackend.calls.length;
      const first = await postAnalysis(open, jwt, bboxBody(41));
      expect(first.status).toBe(200);
      expect(first.headers.get("x-cache")).toBe("MISS");
      expect(first.headers.get("ratelimit")).toMatch(/^"hourly";r=1;/);
      const second = await postAnalysis(open, jwt, bboxBody(41));
      expect(second.status).toBe(200);
      expect(second.headers.get("x-cache")).toBe("MISS"); // no cache without Redis
      expect(spareBackend.calls.length - calls).toBe(2);
      const third = await postAnalysis(open, jwt, bboxBody(41));
      await expectProblem(third, 429, "/problems/rate-limited");
      const lines = await open.auditWhere((l) => l.user === "open-user", 3);
      expect(lines.map((l) => l.ratelimit_source)).toEqual(["memory", "memory", "memory"]);

      await expectProblem(await postAnalysis(open, key, bboxBody(41)), 503, "/problems/storage-unavailable");
    } finally {
      await open.dispose();
    }
  });
});
