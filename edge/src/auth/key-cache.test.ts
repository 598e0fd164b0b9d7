import { describe, expect, it } from "vitest";
import { ApiKeyCache, checksDeferredKeys } from "./key-cache.js";

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

  it("knows a key's user with or without a TTL, bounded, until forgotten", () => {
    const c = new ApiKeyCache(0, 2);
    c.remember("k1", rec("a"), "h1");
    expect(c.get("k1")).toBeUndefined(); // no validity cache with a TTL of 0
    expect(c.known("k1")).toEqual({ record: rec("a"), hash: "h1" });
    c.remember("k2", rec("b"), "h2");
    c.remember("k3", rec("c"), "h3");
    expect(c.known("k1")).toBeUndefined();
    c.forget("k3");
    expect(c.known("k3")).toBeUndefined();
    expect(c.known("k2")?.record.user).toBe("b");
  });

  it("defers key checks only on POST /v1/analyses", () => {
    expect(checksDeferredKeys({ method: "POST", path: "/v1/analyses" })).toBe(true);
    expect(checksDeferredKeys({ method: "GET", path: "/v1/analyses" })).toBe(false);
    expect(checksDeferredKeys({ method: "POST", path: "/v1/analyses/" })).toBe(false);
    expect(checksDeferredKeys({ method: "POST", path: "/analyze_road_infrastructure" })).toBe(false);
  });
});
