import { describe, expect, it } from "vitest";
import { type HotResult, HotResults } from "./hot-results.js";

const result = (tag: string, bodyLength: number): HotResult => ({
  header: `E1 j W/"${tag}" local\n`,
  body: tag.padEnd(bodyLength, "x"),
  etag: `W/"${tag}"`,
  provider: "local",
});

describe("HotResults", () => {
  it("holds results up to its byte bound and lets the least recently used go first", () => {
    const hot = new HotResults(1_000);
    const a = result("a", 200);
    const b = result("b", 200);
    const c = result("c", 200);
    hot.put("a", a);
    hot.put("b", b);
    hot.put("c", c);
    expect(hot.size).toBe(3);
    expect(hot.bytes).toBe(3 * (200 + a.header.length));
    expect(hot.get("a")).toBe(a); // a is now the most recently used
    hot.put("d", result("d", 200));
    hot.put("e", result("e", 200)); // 5 x 218 > 1000: the oldest (b) goes
    expect(hot.get("b")).toBeUndefined();
    expect(hot.get("a")).toBe(a);
    expect(hot.get("c")).toBe(c);
    expect(hot.bytes).toBeLessThanOrEqual(1_000);
  });

  it("does not hold a result over a quarter of its bound, nor anything when the bound is 0", () => {
    const hot = new HotResults(1_000);
    hot.put("small", result("s", 100));
    hot.put("big", result("b", 300));
    expect(hot.get("big")).toBeUndefined();
    expect(hot.get("small")).toBeDefined();
    const off = new HotResults(0);
    off.put("a", result("a", 1));
    expect(off.size).toBe(0);
  });

  it("replaces a result held under the same id and forgets a deleted one, keeping its byte count", () => {
    const hot = new HotResults(10_000);
    hot.put("a", result("a", 100));
    const newer = result("a2", 300);
    hot.put("a", newer);
    expect(hot.get("a")).toBe(newer);
    expect(hot.bytes).toBe(300 + newer.header.length);
    hot.delete("a");
    hot.delete("never held");
    expect(hot.size).toBe(0);
    expect(hot.bytes).toBe(0);
  });

  it("takes any byte bound (not only multiples of 4), and an oversize result drops what its id held", () => {
    for (const bound of [1_001, 3]) {
      const hot = new HotResults(bound);
      const small = result("s", 1);
      hot.put("a", small);
      expect(hot.get("a")).toBe(bound >= 4 * (1 + small.header.length) ? small : undefined);
    }
    const hot = new HotResults(1_000);
    hot.put("a", result("a", 100));
    hot.put("a", result("a2", 300)); // over a quarter of the bound: not held
    expect(hot.get("a")).toBeUndefined();
    expect(hot.bytes).toBe(0);
  });
});
