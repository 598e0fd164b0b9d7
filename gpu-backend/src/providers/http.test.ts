import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ProviderBadDataError,
  ProviderHttpError,
  ProviderNetworkError,
  ProviderTimeoutError,
} from "./errors.js";
import { httpRequest, mapConcurrent, redact, untilAborted, withDeadline } from "./http.js";
import { type Loopback, startLoopback } from "./test-support.js";

let server: Loopback;
let inFlight = 0;
let maxInFlight = 0;
let resets = 0;

beforeAll(async () => {
  server = await startLoopback((req, res) => {
    const url = new URL(req.url ?? "", "http://x");
    if (url.pathname === "/slow") {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      }, 30);
      return;
    }
    if (url.pathname === "/big") return void res.writeHead(200).end(Buffer.alloc(10_000));
    if (url.pathname === "/chunked-big") {
      res.writeHead(200);
      res.write(Buffer.alloc(6_000));
      setTimeout(() => res.end(Buffer.alloc(6_000)), 5);
      return;
    }
    if (url.pathname === "/busy") return void res.writeHead(503, { "retry-after": "120" }).end();
    if (url.pathname === "/busy-briefly") return void res.writeHead(429, { "retry-after": "1" }).end();
    if (url.pathname === "/not-implemented") return void res.writeHead(501).end();
    if (url.pathname === "/reset-once" || url.pathname === "/reset-always") {
      // Headers and half the body, then the connection breaks (the first time, or every time).
      resets++;
      if (url.pathname === "/reset-always" || resets === 1) {
        res.writeHead(200, { "content-type": "image/png", "content-length": "8000" });
        res.write(Buffer.alloc(4_000, 1));
        setTimeout(() => res.destroy(), 5);
        return;
      }
      return void res.writeHead(200, { "content-type": "image/png" }).end(Buffer.alloc(8_000, 2));
    }
    res.writeHead(404).end();
  });
});
afterAll(async () => {
  await server.close();
});

const get = (path: string, extra: { maxBytes?: number; idempotent?: boolean } = {}) => ({
  url: `${server.url}${path}`,
  what: path,
  idempotent: extra.idempotent ?? true,
  maxBytes: extra.maxBytes ?? 1 << 20,
});

describe("http plumbing", () => {
  it("caps parallel requests at the concurrency limit", async () => {
    inFlight = 0;
    maxInFlight = 0;
    const signal = AbortSignal.timeout(5_000);
    const out = await mapConcurrent(
      Array.from({ length: 12 }, (_, k) => k),
      3,
      signal,
      (k, s) => httpRequest("t", get(`/slow?k=${k}`), s).then((r) => r.status),
    );
    expect(out).toEqual(new Array(12).fill(200));
    expect(maxInFlight).toBe(3);
  });

  it("refuses bodies over the limit, declared or streamed", async () => {
    const signal = AbortSignal.timeout(5_000);
    await expect(httpRequest("t", get("/big", { maxBytes: 5_000 }), signal)).rejects.toThrow(/exceeds 5000/);
    await expect(httpRequest("t", get("/chunked-big", { maxBytes: 10_000 }), signal)).rejects.toThrow(
      ProviderBadDataError,
    );
  });

  it("fails at once when the provider asks for a longer wait than maxDelayMs, honours a short one, and never retries non-idempotent requests", async () => {
    const policy = { retries: 2, baseDelayMs: 10, maxDelayMs: 1_500 };
    let before = server.requests.length;
    let started = performance.now();
    // Retry-After: 120 beyond 1.5 s: retrying sooner would ignore it; the chain falls back instead.
    const err = await httpRequest("t", get("/busy"), AbortSignal.timeout(5_000), policy).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect((err as ProviderHttpError).status).toBe(503);
    expect(server.requests.length - before).toBe(1);
    expect(performance.now() - started).toBeLessThan(1_000);
    // Retry-After: 1 is waited out (twice: three requests, at least two seconds).
    before = server.requests.length;
    started = performance.now();
    await expect(httpRequest("t", get("/busy-briefly"), AbortSignal.timeout(8_000), policy)).rejects.toThrow(
      ProviderHttpError,
    );
    expect(server.requests.length - before).toBe(3);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_990);
    // 501 Not Implemented will not change by asking again.
    before = server.requests.length;
    await expect(
      httpRequest("t", get("/not-implemented"), AbortSignal.timeout(5_000), policy),
    ).rejects.toThrow(ProviderHttpError);
    expect(server.requests.length - before).toBe(1);
    before = server.requests.length;
    await httpRequest(
      "t",
      get("/busy-briefly", { idempotent: false }),
      AbortSignal.timeout(5_000),
      policy,
    ).catch(() => undefined);
    expect(server.requests.length - before).toBe(1);
  });

  it("retries a body cut off part-way like any network failure, and names it one at the end", async () => {
    const fast = { retries: 2, baseDelayMs: 5, maxDelayMs: 20 };
    resets = 0;
    const ok = await httpRequest("t", get("/reset-once"), AbortSignal.timeout(5_000), fast);
    expect(ok.body.length).toBe(8_000);
    expect(resets).toBe(2);
    // Before, undici's "terminated" escaped as a plain TypeError (an "unexpected" provider bug).
    resets = 0;
    const err = await httpRequest("t", get("/reset-always"), AbortSignal.timeout(5_000), fast).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProviderNetworkError);
    expect(resets).toBe(3);
  });

  it("turns the deadline into ProviderTimeoutError, and keeps results that beat it", async () => {
    await expect(
      withDeadline("t", 50, undefined, (s) =>
        httpRequest("t", get("/slow"), s).then(() => new Promise(() => {})),
      ),
    ).rejects.toThrow(ProviderTimeoutError);
    await expect(
      withDeadline("t", 1_000, undefined, async (s) => (await httpRequest("t", get("/slow"), s)).status),
    ).resolves.toBe(200);
  });

  it("handles abandoned work's later rejection, even when the signal had aborted already", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const aborted = AbortSignal.abort(new Error("hung up"));
      const late = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("decode failed")), 20),
      );
      await expect(untilAborted(late, aborted)).rejects.toThrow("hung up");
      // `late` rejects 20 ms on; the process reports an unhandled rejection just after that.
      await new Promise((r) => setTimeout(r, 80));
      // Before, nothing handled `late` on this path, and Node ends the process on that.
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("redacts secrets from quoted text", () => {
    expect(redact("a KEY b KEY", ["KEY", ""])).toBe("a [redacted] b [redacted]");
  });
});
