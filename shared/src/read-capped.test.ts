import { describe, expect, it } from "vitest";
import { BodyTooLargeError, readCapped, readCappedBytes } from "./read-capped.js";

/** A streamed body of `chunks`, recording how many were pulled and whether it was cancelled. */
function streamed(chunks: Uint8Array[], headers: HeadersInit = {}) {
  const seen = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks[seen.pulled++];
      if (next) controller.enqueue(next);
      else controller.close();
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { res: new Response(body, { headers }), seen };
}

describe("readCappedBytes", () => {
  it("joins the chunks of a body within the cap", async () => {
    const { res } = streamed([new Uint8Array([1, 2]), new Uint8Array([3])]);
    expect(Array.from(await readCappedBytes(res, 3))).toEqual([1, 2, 3]);
    expect(await readCapped(new Response("héllo"), 6)).toBe("héllo");
  });

  it("stops at the first chunk past the cap and cancels the rest", async () => {
    const chunk = new Uint8Array(4);
    const { res, seen } = streamed([chunk, chunk, chunk, chunk, chunk]);
    const error = await readCappedBytes(res, 6).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect((error as BodyTooLargeError).declaredBytes).toBeUndefined();
    expect(seen.pulled).toBeLessThanOrEqual(3);
    expect(seen.cancelled).toBe(true);
  });

  it("refuses a declared length over the cap without reading", async () => {
    const { res, seen } = streamed([new Uint8Array(10)], { "content-length": "10" });
    const error = await readCappedBytes(res, 9).catch((e: unknown) => e);
    expect(error).toMatchObject({ declaredBytes: 10, maxBytes: 9 });
    expect(seen.cancelled).toBe(true);
  });
});
