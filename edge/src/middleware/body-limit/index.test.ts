/**
 * The body limit on chunked bodies (no Content-Length): what it reads of a body over the limit.
 * The 413 itself, with and without Content-Length, is tested in workerd (edge/test/validation).
 */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { bodyLimit, DRAIN_MAX_BYTES } from "./index.js";

/** A stream of `total` bytes in 16 KiB chunks that counts what was pulled and whether it was cancelled. */
function countedBody(total: number) {
  const seen = { pulled: 0, cancelled: false };
  let left = total;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (left <= 0) return controller.close();
      const n = Math.min(16 * 1024, left);
      left -= n;
      seen.pulled += n;
      controller.enqueue(new Uint8Array(n).fill(120));
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { stream, seen };
}

function app(limit: number) {
  const a = new Hono();
  a.use(bodyLimit(limit));
  a.post("/", async (c) => c.text(String((await c.req.arrayBuffer()).byteLength)));
  return a;
}

const post = (a: Hono, body: ReadableStream<Uint8Array>) =>
  a.request("/", {
    method: "POST",
    body,
    headers: { "transfer-encoding": "chunked" },
    duplex: "half",
  } as RequestInit);

describe("bodyLimit at its boundary", () => {
  it("takes a body of exactly the limit and refuses one byte more, declared or chunked", async () => {
    const limit = 65_536;
    for (const size of [limit, limit + 1]) {
      const declared = await app(limit).request("/", {
        method: "POST",
        body: new Uint8Array(size),
        headers: { "content-length": String(size) },
      });
      const chunked = await post(app(limit), countedBody(size).stream);
      const want = size === limit ? 200 : 413;
      expect([declared.status, chunked.status], `${size} bytes`).toEqual([want, want]);
    }
  });
});

describe("bodyLimit on a chunked body", () => {
  it("passes a body within the limit on whole", async () => {
    const { stream } = countedBody(50_000);
    const res = await post(app(65_536), stream);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("50000");
  });

  it("reads the rest of a body a little over the limit before its 413, so the connection stays usable", async () => {
    const { stream, seen } = countedBody(200_000);
    const res = await post(app(65_536), stream);
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(seen.pulled).toBe(200_000);
    expect(seen.cancelled).toBe(false);
  });

  it("cancels an endless body once DRAIN_MAX_BYTES beyond the limit are dropped", async () => {
    const { stream, seen } = countedBody(50 * 1024 * 1024);
    const res = await post(app(65_536), stream);
    expect(res.status).toBe(413);
    expect(seen.cancelled).toBe(true);
    expect(seen.pulled).toBeLessThanOrEqual(65_536 + DRAIN_MAX_BYTES + 2 * 16 * 1024);
  });
});
