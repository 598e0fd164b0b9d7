import { describe, expect, it } from "vitest";
import { ApiKeyCache } from "./key-cache.js";

const rec = (user: string) => ({ user, created_at: "", keyId: "abc" });

describe("ApiKeyCache", () => {
  it("is off with a TTL of 0", () => {
    const c = new ApiKeyCache(0);
    c.set("k", rec("a"));
    expect(c.get("k")).toBeUndefined();
  });

  it("remembers a key until its TTL, and stays bounded", () => {
    let now = 1_000;
    const c = new ApiKeyCache(5_000, 2, () => now);
    c.set("k1", rec("a"));
    now += 4_999;
    expect(c.get("k1")?.user).toBe("a");
    now += 1;
    expect(c.get("k1")).toBeUndefined();
    c.set("k1", rec("a"));
    c.set("k2", rec("b"));
    c.set("k3", rec("c"));
    expect(c.get("k1")).toBeUndefined();
    expect(c.get("k3")?.user).toBe("c");
  });
});
