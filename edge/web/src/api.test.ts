/**
 * The page's API client against a real HTTP server on loopback: one that never answers, one that
 * answers, one that drops the connection, and a closed port. The page calls the API by relative
 * URL, which a browser resolves against the page's origin; Node's fetch does not, so the only stand-in
 * here resolves the URL against the server, and the request itself is real.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { freePort } from "../../../scripts/upstash-bridge/redis-source.js";
import { ApiError, analyse, picture, REQUEST_TIMEOUT_MS } from "./api.js";
import { DEMO_BBOX } from "./bbox.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let handler: Handler = () => undefined;
/** Requests the server saw, and whether each was closed by the client before an answer. */
const seen: { path: string; closedEarly: boolean }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const entry = { path: req.url ?? "", closedEarly: false };
    seen.push(entry);
    res.on("close", () => {
      if (!res.writableEnded) entry.closedEarly = true;
    });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** The page's origin: relative URLs go to `origin` (the test server unless told otherwise). */
function pageAt(origin: string): void {
  const realFetch = globalThis.fetch;
  vi.stubGlobal("fetch", (url: string, init?: RequestInit) => realFetch(new URL(url, origin), init));
}

const serverOrigin = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const hang: Handler = () => undefined;

async function failureOf(p: Promise<unknown>): Promise<ApiError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

/** Wait (bounded) until the server has seen `n` requests in all. */
async function served(n: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (seen.length < n) {
    if (Date.now() > deadline) throw new Error(`the server saw ${seen.length} requests, not ${n}`);
    await new Promise((r) => setImmediate(r));
  }
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  handler = hang;
});

describe("an analysis request's timeout and cancel", () => {
  it("waits longer than the edge's 30 s backend budget", () => {
    expect(REQUEST_TIMEOUT_MS).toBeGreaterThan(30_000);
  });

  it("is never sent when its signal was aborted before it started", async () => {
    pageAt(serverOrigin());
    handler = (_req, res) => res.writeHead(500).end(); // answers at once: a request sent would not hang
    const before = seen.length;
    const error = await failureOf(analyse("k", DEMO_BBOX, 0.25, { signal: AbortSignal.abort() }));
    expect(error.aborted).toBe("cancelled");
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.length).toBe(before);
  });

  it("is cancelled through its signal, closes the connection, and says so", async () => {
    pageAt(serverOrigin());
    handler = hang;
    const before = seen.length;
    const controller = new AbortController();
    const pending = analyse("lsn_x", DEMO_BBOX, 0.25, { signal: controller.signal });
    await served(before + 1);
    expect(seen.at(-1)?.path).toBe("/v1/analyses");
    controller.abort();
    const error = await failureOf(pending);
    expect(error.aborted).toBe("cancelled");
    expect(error.failure.title).toBe("Cancelled");
    const deadline = Date.now() + 5_000;
    while (!seen.at(-1)?.closedEarly && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(seen.at(-1)?.closedEarly).toBe(true);
  });

  it("gives up after REQUEST_TIMEOUT_MS, not before, with a plain message", async () => {
    pageAt(serverOrigin());
    handler = hang;
    const before = seen.length;
    // Only the page's own timer is faked; the request is real and stays open until it fires.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const pending = failureOf(analyse("lsn_x", DEMO_BBOX, 0.25));
    await served(before + 1);
    await vi.advanceTimersByTimeAsync(REQUEST_TIMEOUT_MS - 1);
    let settled = false;
    void pending.then(() => {
      settled = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await pending;
    expect(error.aborted).toBe("timeout");
    expect(error.failure.title).toBe("No answer in time");
    expect(error.failure.message).toContain("within 1 minute");
  });

  it("also times out a picture, and leaves no timer behind after an answer", async () => {
    pageAt(serverOrigin());
    handler = hang;
    const timedOut = await failureOf(picture("lsn_x", "a".repeat(64), "imagery", { timeoutMs: 200 }));
    expect(timedOut.aborted).toBe("timeout");

    handler = (_req, res) => {
      res
        .writeHead(200, { "content-type": "image/png", "x-image-bounds": "1,2,3,4" })
        .end(Buffer.from([1, 2, 3]));
    };
    // Node lists each pending (ref'd) timer as a "Timeout" resource; fetch's own are not among them.
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const timersBefore = timers();
    const png = await picture("lsn_x", "a".repeat(64), "imagery");
    expect(png.blob.size).toBe(3);
    expect(png.bounds).toBe("1,2,3,4");
    expect(seen.at(-1)?.path).toBe(`/v1/analyses/${"a".repeat(64)}/imagery.png`);
    expect(timers()).toBe(timersBefore);
  });

  it("keeps a network failure apart from a cancel: a closed port, and a dropped connection", async () => {
    pageAt(`http://127.0.0.1:${await freePort()}`);
    const refused = await failureOf(
      analyse("lsn_x", DEMO_BBOX, 0.25, { signal: new AbortController().signal }),
    );
    expect(refused.aborted).toBeNull();
    expect(refused.failure.title).toBe("The service could not be reached");

    vi.unstubAllGlobals();
    pageAt(serverOrigin());
    handler = (req) => req.socket.destroy();
    const dropped = await failureOf(analyse("lsn_x", DEMO_BBOX, 0.25));
    expect(dropped.aborted).toBeNull();
    expect(dropped.failure.title).toBe("The service could not be reached");
  });
});
