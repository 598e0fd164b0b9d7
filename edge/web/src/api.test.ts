import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, analyse, picture, REQUEST_TIMEOUT_MS } from "./api.js";
import { DEMO_BBOX } from "./bbox.js";

/** A fetch that never answers; it rejects as the browser's does when its signal aborts. */
function hangingFetch(): { calls: RequestInit[] } {
  const calls: RequestInit[] = [];
  vi.stubGlobal("fetch", (_url: string, init: RequestInit) => {
    calls.push(init);
    return new Promise((_resolve, reject) => {
      init.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
    });
  });
  return { calls };
}

async function failureOf(p: Promise<unknown>): Promise<ApiError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("an analysis request's timeout and cancel", () => {
  it("waits longer than the edge's 30 s backend budget", () => {
    expect(REQUEST_TIMEOUT_MS).toBeGreaterThan(30_000);
  });

  it("is cancelled through its signal, and says so", async () => {
    const { calls } = hangingFetch();
    const controller = new AbortController();
    const pending = analyse("lsn_x", DEMO_BBOX, 0.25, { signal: controller.signal });
    expect(calls[0]?.signal).toBeInstanceOf(AbortSignal);
    controller.abort();
    const error = await failureOf(pending);
    expect(error.aborted).toBe("cancelled");
    expect(error.failure.title).toBe("Cancelled");
    expect(calls[0]?.signal?.aborted).toBe(true);
  });

  it("gives up after the timeout with a plain message", async () => {
    vi.useFakeTimers();
    hangingFetch();
    const pending = failureOf(analyse("lsn_x", DEMO_BBOX, 0.25));
    await vi.advanceTimersByTimeAsync(REQUEST_TIMEOUT_MS - 1);
    let settled = false;
    void pending.then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await pending;
    expect(error.aborted).toBe("timeout");
    expect(error.failure.title).toBe("No answer in time");
    expect(error.failure.message).toContain("within 1 minute");
  });

  it("also times out a picture, and leaves no timer behind after an answer", async () => {
    vi.useFakeTimers();
    hangingFetch();
    const pending = failureOf(picture("lsn_x", "a".repeat(64), "imagery", { timeoutMs: 5_000 }));
    await vi.advanceTimersByTimeAsync(5_000);
    expect((await pending).aborted).toBe("timeout");

    vi.stubGlobal("fetch", async () => new Response(new Uint8Array([1]), { status: 200 }));
    const png = await picture("lsn_x", "a".repeat(64), "imagery");
    expect(png.blob.size).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("keeps a network failure apart from a cancel", async () => {
    vi.stubGlobal("fetch", () => Promise.reject(new TypeError("Failed to fetch")));
    const error = await failureOf(
      analyse("lsn_x", DEMO_BBOX, 0.25, { signal: new AbortController().signal }),
    );
    expect(error.aborted).toBeNull();
    expect(error.failure.title).toBe("The service could not be reached");
  });
});
