/**
 * Fuzzing the public API: the Worker in workerd (Miniflare) with real Redis (Upstash bridge), a
 * coverage index, and a loopback backend that checks every body it gets against the real backend's
 * schema. Random, near-valid and broken input to POST /v1/analyses, GET /v1/coverage?bbox= and
 * GET /v1/analyses/{id}, with random content types and credentials.
 *
 * Properties, for every case: no 5xx (Redis and the backend are up, so not even the documented
 * 503s); a well-formed answer (problem+json with a matching status for every error, parseable
 * JSON otherwise); no stack trace, model path, signing secret, JWT secret or Upstash token in any
 * body; and the edge never sends the backend a body its schema refuses.
 *
 * 5,000 cases per run by default (FUZZ_RUNS=n for more), sent in concurrent batches. A failure
 * prints fast-check's seed and the shrunk batch; rerun with FUZZ_SEED=<seed> to reproduce.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeBackend } from "../../edge/test/support/fake-backend.js";
import { buildIndexFromStore } from "../../gpu-backend/src/coverage/store.js";
import { answerFaults } from "../faults/support/answers.js";
import { edgeEnv, JWT_SECRET, jwtFor, SIGNING_SECRET } from "../faults/support/stack.js";
import { startWorker, type Worker } from "../faults/support/worker.js";
import { connectRedis, deleteKeysWithPrefix, startStack, type TestStack } from "../harness/index.js";
import { body, fuzzRuns, printable } from "./arbitraries.js";

const TOTAL = fuzzRuns(5_000);
const BATCH = 25;
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const DEMO_STORE = fileURLToPath(new URL("../../gpu-backend/demo-store", import.meta.url));

let stack: TestStack;
let backend: FakeBackend;
let worker: Worker;
let jwt: string;
const prefix = `t:fuzz-edge:${process.pid}:${randomBytes(3).toString("hex")}:`;

beforeAll(async () => {
  stack = await startStack();
  backend = await FakeBackend.start(SIGNING_SECRET);
  backend.coverageIndex = (await buildIndexFromStore(DEMO_STORE)).buffer;
  worker = await startWorker(
    edgeEnv(
      { restUrl: stack.url, restToken: stack.token, prefix, backendUrl: backend.url, model: backend.model },
      { COVERAGE_INDEX_URL: `${backend.url}/coverage-index.bin`, RATE_LIMIT_PER_HOUR: "1000000" },
    ),
  );
  jwt = await jwtFor("fuzz-user");
  // Load the coverage index before fuzzing /v1/coverage (it answers 503 until then, by design).
  const deadline = Date.now() + 10_000;
  while (
    (await worker.fetch("/v1/coverage?bbox=0,0,0.01,0.01", { headers: { authorization: `Bearer ${jwt}` } }))
      .status !== 200
  ) {
    if (Date.now() > deadline)
      throw new Error(`the coverage index did not load: ${worker.lines.slice(-3).join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  await worker?.dispose();
  await backend?.stop();
  if (stack) {
    const direct = await connectRedis(stack.redisUrl);
    await deleteKeysWithPrefix(direct, prefix);
    await direct.quit();
    await stack.close();
  }
});

interface Case {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Uint8Array<ArrayBuffer>;
}

const auth = fc.oneof(
  { weight: 12, arbitrary: fc.constant("valid") },
  {
    weight: 1,
    arbitrary: fc.constantFrom("", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a.b.c", "bearer  x"),
  },
  { weight: 1, arbitrary: printable(60).map((s) => `Bearer ${s}`) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/).map((s) => `Bearer lsn_${s}`) },
);

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant("application/json") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "application/json; charset=utf-8",
      "application/geo+json",
      "text/plain",
      "",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/JSON",
    ),
  },
  { weight: 1, arbitrary: printable(30) },
);

function headersOf(
  a: string,
  type: string | undefined,
  extra: Record<string, string> = {},
): Record<string, string> {
  const h: Record<string, string> = { ...extra };
  if (a === "valid") h.authorization = `Bearer ${jwt}`;
  else if (a !== "") h.authorization = a;
  if (type !== undefined && type !== "") h["content-type"] = type;
  return h;
}

const postCase: fc.Arbitrary<Case> = fc
  .tuple(
    fc.oneof(
      { weight: 12, arbitrary: fc.constant("POST") },
      fc.constantFrom("PUT", "PATCH", "DELETE", "GET"),
    ),
    auth,
    contentType,
    body,
  )
  .map(([method, a, type, b]) => ({
    method,
    path: "/v1/analyses",
    headers: headersOf(a, type),
    ...(method === "GET" ? {} : { body: b }),
  }));

const coordText = fc.oneof(
  fc.double({ noNaN: true }).map(String),
  fc.double({ min: -181, max: 181, noNaN: true }).map((d) => d.toFixed(4)),
  fc.constantFrom("", "NaN", "Infinity", "-0", "1e999", "0x10", " 1", "1,", "١٢"),
  printable(8),
);
const bboxText = fc.oneof(
  fc.tuple(coordText, coordText, coordText, coordText).map((c) => c.join(",")),
  fc.array(coordText, { maxLength: 6 }).map((c) => c.join(",")),
  fc
    .tuple(
      fc.double({ min: -180, max: 179, noNaN: true }),
      fc.double({ min: -85, max: 84, noNaN: true }),
      fc.double({ min: 0, max: 1.5, noNaN: true }),
    )
    .map(([w, s, d]) => [w, s, w + d, s + d].join(",")),
  fc.string({ maxLength: 40 }),
);
const coverageCase: fc.Arbitrary<Case> = fc
  .tuple(
    fc.option(bboxText, { freq: 10 }),
    fc.option(fc.oneof(fc.integer({ min: -5, max: 2_000 }).map(String), printable(6)), { freq: 2 }),
    fc.option(fc.tuple(printable(8), printable(8)), { freq: 5 }),
    auth,
  )
  .map(([b, limit, extra, a]) => {
    const q = new URLSearchParams();
    if (b !== null) q.append("bbox", b);
    if (limit !== null) q.append("limit", limit);
    if (extra !== null) q.append(extra[0], extra[1]);
    return { method: "GET", path: `/v1/coverage?${q}`, headers: headersOf(a, undefined) };
  });

const idCase: fc.Arbitrary<Case> = fc
  .tuple(
    fc.oneof(
      fc.stringMatching(/^[0-9a-f]{64}$/),
      fc.stringMatching(/^[0-9a-fA-F]{1,80}$/),
      fc.string({ maxLength: 80 }),
      fc.constantFrom("..", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "null", "undefined", "a".repeat(5000)),
    ),
    fc.option(printable(30), { freq: 4 }),
    auth,
  )
  .map(([id, etag, a]) => ({
    method: "GET",
    path: `/v1/analyses/${id.startsWith("%") ? id : encodeURIComponent(id)}`,
    headers: headersOf(a, undefined, etag === null ? {} : { "if-none-match": etag }),
  }));

async function send(c: Case): Promise<string[]> {
  let res: Response;
  try {
    res = await worker.fetch(c.path, {
      method: c.method,
      headers: c.headers,
      ...(c.body !== undefined ? { body: c.body } : {}),
    });
  } catch (error) {
    return [`no answer: ${String(error)}`];
  }
  const text = await res.text();
  const faults = answerFaults({ status: res.status, headers: res.headers, body: text }, [
    SIGNING_SECRET,
    JWT_SECRET,
    stack.token,
  ]);
  if (res.status >= 500) faults.push(`status ${res.status}: ${text.slice(0, 200)}`);
  return faults;
}

/** Run `runs` batches of BATCH concurrent cases; a batch fails when any of its cases does. */
async function fuzz(arb: fc.Arbitrary<Case>, cases: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(arb, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
      const results = await Promise.all(batch.map(send));
      const failed = results.flatMap((faults, i) =>
        faults.map((f) => `${batch[i]!.method} ${batch[i]!.path.slice(0, 120)}: ${f}`),
      );
      expect(failed).toEqual([]);
    }),
    { numRuns: Math.ceil(cases / BATCH), ...(seed !== undefined ? { seed } : {}), endOnFailure: true },
  );
}

describe(`edge fuzzing (${TOTAL} cases)`, () => {
  it("POST /v1/analyses: random, near-valid and broken bodies, methods, content types, credentials", async () => {
    await fuzz(postCase, Math.round(TOTAL * 0.6));
    expect(backend.contractViolations).toEqual([]);
    expect(backend.calls.length).toBeGreaterThan(0); // some cases were valid and reached the backend
  }, 600_000);

  it("GET /v1/coverage?bbox=: random query strings", async () => {
    await fuzz(coverageCase, Math.round(TOTAL * 0.2));
  }, 600_000);

  it("GET /v1/analyses/{id}: random ids and If-None-Match", async () => {
    await fuzz(idCase, Math.round(TOTAL * 0.2));
  }, 600_000);
});
