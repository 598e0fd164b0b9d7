/**
 * What the headers alone can decide is decided before any of the body is read (checkSignatureHeaders
 * ahead of the body limit): the render route (8 MB body limit) on a real loopback HTTP server, sent
 * a large body slowly, answers an unsigned or stale request with 401 while almost none of the body
 * has been sent, with or without a Content-Length.
 */
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { NonceCache, type SignatureHeaders, signRequest, verifyResponse } from "@lanesegnet/shared";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RENDER_PATH, renderRoute } from "../routes/render.js";
import { verifySignature } from "./verify-signature.js";

const SECRET = "s".repeat(40);
/** Just under the render route's 8 MB limit, as in the reproduction. */
const TOTAL = 8 * 1024 * 1024 - 1;
const CHUNK = 64 * 1024;
/** Spaces: not JSON, so a request that passes the signature check is answered 400. */
const BODY = Buffer.alloc(TOTAL, 0x20);

let server: ReturnType<typeof serve>;
let url: string;

beforeAll(async () => {
  const app = renderRoute({ providers: new Map(), signingSecret: SECRET });
  server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(s));
    s.once("error", reject);
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${RENDER_PATH}`;
});

afterAll(async () => {
  if ("closeAllConnections" in server) server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface SlowAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Body bytes the client had handed to its socket when the response's headers arrived. */
  readonly sentBeforeResponse: number;
}

/**
 * POST BODY (Content-Length TOTAL) in CHUNK pieces, waiting 10 ms before each, and stop sending as
 * soon as a response arrives. A server that reads the whole body first answers only after all of it.
 */
function postSlowly(headers: OutgoingHttpHeaders, options: { chunked?: boolean } = {}): Promise<SlowAnswer> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = httpRequest(
      url,
      {
        method: "POST",
        // Without a Content-Length the body goes chunked (as a Worker's streamed body does), and the
        // route's body limit would read all of it before anything after it ran.
        headers: {
          ...headers,
          "content-type": "application/json",
          ...(options.chunked ? {} : { "content-length": TOTAL }),
        },
        agent: false,
      },
      (res) => {
        answered = true;
        const sentBeforeResponse = sent;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          req.destroy();
          const body = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, sentBeforeResponse });
        });
      },
    );
    req.on("error", (e) => {
      if (!answered) reject(e);
    });
    req.flushHeaders();
    void (async () => {
      while (!answered && sent < TOTAL) {
        await new Promise((r) => setTimeout(r, 10));
        if (answered) return;
        const end = Math.min(sent + CHUNK, TOTAL);
        req.write(BODY.subarray(sent, end));
        sent = end;
      }
      if (!answered) req.end();
    })();
  });
}

async function signed(now = Date.now()): Promise<SignatureHeaders> {
  return signRequest(SECRET, { method: "POST", path: RENDER_PATH, body: BODY }, { now });
}

function expect401(answer: SlowAnswer): void {
  expect(answer.status).toBe(401);
  expect(answer.headers["content-type"]).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(answer.body)).toMatchObject({
    status: 401,
    detail: "missing or invalid request signature",
  });
  // Before the fix the answer came only after all TOTAL bytes; now before (nearly) any of them.
  expect(answer.sentBeforeResponse).toBeLessThan(TOTAL / 8);
}

describe("the signature check refuses on the headers before reading the body", () => {
  it("refuses an unsigned request while most of its large body is still unsent", async () => {
    expect401(await postSlowly({}));
  });

  it("does the same for a chunked body, which the body limit would otherwise read in full first", async () => {
    expect401(await postSlowly({}, { chunked: true }));
    expect401(await postSlowly(await signed(Date.now() - 75_000), { chunked: true }));
  });

  it("refuses a validly signed request whose timestamp is out of the skew window, either side", async () => {
    expect401(await postSlowly(await signed(Date.now() - 75_000)));
    expect401(await postSlowly(await signed(Date.now() + 75_000)));
  });

  it("refuses missing, malformed and repeated signature headers", async () => {
    const good = await signed();
    const { "X-LSN-Signature": _, ...noSignature } = good;
    expect401(await postSlowly(noSignature));
    expect401(await postSlowly({ ...good, "X-LSN-Signature": "zz" }));
    expect401(await postSlowly({ ...good, "X-LSN-Nonce": "short" }));
    expect401(await postSlowly({ ...good, "X-LSN-Timestamp": "yesterday" }));
    const ts = String(good["X-LSN-Timestamp"]);
    expect401(await postSlowly({ ...good, "X-LSN-Timestamp": [ts, ts] }));
  });

  it("reads the whole body of a request whose headers pass, and only then judges it", async () => {
    const bad = await postSlowly({ ...(await signed()), "X-LSN-Signature": "0".repeat(64) });
    expect(bad.status).toBe(401);
    expect(bad.sentBeforeResponse).toBe(TOTAL);
    // Signed over these very bytes: the signature passes and the body (not JSON) is judged.
    const good = await postSlowly(await signed());
    expect(good.status).toBe(400);
    expect(good.sentBeforeResponse).toBe(TOTAL);
  });
});

describe("the answer to an accepted request", () => {
  it("is signed for the request's nonce whatever its status, a bodiless 204 and 304 included", async () => {
    const app = new Hono();
    app.post("/x/:status", verifySignature(SECRET), (c) => {
      const status = Number(c.req.param("status"));
      return status === 200
        ? c.json({ ok: true }, 200, { "Retry-After": "3" })
        : new Response(null, { status, headers: { ETag: '"e"' } });
    });
    for (const status of [200, 204, 304]) {
      const headers = await signRequest(SECRET, { method: "POST", path: `/x/${status}`, body: "{}" });
      const res = await app.request(`/x/${status}`, { method: "POST", body: "{}", headers });
      expect(res.status).toBe(status);
      const body = new Uint8Array(await res.arrayBuffer());
      expect(await verifyResponse(SECRET, headers["X-LSN-Nonce"], status, res.headers, body)).toBe(true);
      // The route's own headers survive the signing.
      if (status === 200) {
        expect(res.headers.get("retry-after")).toBe("3");
        expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      } else expect(res.headers.get("etag")).toBe('"e"');
    }
  });
});

describe("what the signature covers", () => {
  const app = new Hono();
  app.use(verifySignature(SECRET));
  app.post("/x", (c) => c.text("ok"));
  const send = async (signedPath: string, sentPath: string) =>
    app.request(sentPath, {
      method: "POST",
      body: "{}",
      headers: await signRequest(SECRET, { method: "POST", path: signedPath, body: "{}" }),
    });

  it("covers the query string: a request signed for one query is refused with another", async () => {
    expect((await send("/x?a=1", "/x?a=1")).status).toBe(200);
    expect((await send("/x?a=1", "/x?a=2")).status).toBe(401);
    expect((await send("/x", "/x?a=1")).status).toBe(401);
  });
});

describe("a replay store that is full", () => {
  it("refuses a new request with 503 and Retry-After rather than serve it unrecorded (it could be replayed)", async () => {
    const app = new Hono();
    app.post("/x", verifySignature(SECRET, new NonceCache({ maxEntries: 1 })), (c) => c.text("ok"));
    const send = (headers: Record<string, string>) =>
      app.request("/x", { method: "POST", body: "{}", headers });
    const sign = () =>
      signRequest(SECRET, { method: "POST", path: "/x", body: "{}" }) as Promise<Record<string, string>>;
    expect((await send(await sign())).status).toBe(200);
    const second = await sign();
    const refused = await send(second);
    expect([refused.status, refused.headers.get("retry-after")]).toEqual([503, "1"]);
    expect(refused.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect((await send(second)).status).not.toBe(200);
  });
});
