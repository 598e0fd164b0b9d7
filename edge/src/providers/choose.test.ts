import type { ImageryProviderName } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { chooseProviders, mergeAttempts } from "./choose.js";

const chain: ImageryProviderName[] = ["local", "esri", "mapbox", "gee"];
const none = new Set<ImageryProviderName>();

describe("chooseProviders", () => {
  it("keeps the chain when everything is healthy and local covers the area", () => {
    expect(chooseProviders({ preference: chain, chain, localCoverage: "full", unhealthy: none })).toEqual({
      candidates: chain,
      skipped: [],
    });
  });

  it("keeps local when coverage is unknown (the backend decides)", () => {
    expect(
      chooseProviders({ preference: chain, chain, localCoverage: "unknown", unhealthy: none }).candidates,
    ).toEqual(chain);
  });

  it.each(["none", "partial"] as const)("skips local when coverage is %s", (localCoverage) => {
    const c = chooseProviders({ preference: chain, chain, localCoverage, unhealthy: none });
    expect(c.candidates).toEqual(["esri", "mapbox", "gee"]);
    expect(c.skipped).toMatchObject([{ provider: "local", outcome: "no_coverage" }]);
  });

  it("tries unhealthy providers last, never drops them, and keeps the order within each group", () => {
    const c = chooseProviders({
      preference: chain,
      chain,
      localCoverage: "full",
      unhealthy: new Set(["esri", "local"]),
    });
    // One user's failed request marks a provider unhealthy for everyone: if mapbox and gee cannot
    // serve the area (no token, too coarse), esri must still be reached.
    expect(c.candidates).toEqual(["mapbox", "gee", "local", "esri"]);
    expect(c.skipped.map((s) => [s.provider, s.outcome])).toEqual([
      ["local", "unhealthy"],
      ["esri", "unhealthy"],
    ]);
  });

  it("tries unhealthy providers when nothing else is left", () => {
    const c = chooseProviders({
      preference: ["esri"],
      chain,
      localCoverage: "full",
      unhealthy: new Set(["esri"]),
    });
    expect(c).toEqual({ candidates: ["esri"], skipped: [] });
  });

  it("leaves out providers not in the chain, and may leave nothing", () => {
    const c = chooseProviders({
      preference: ["gee", "mapbox"],
      chain: ["esri"],
      localCoverage: "full",
      unhealthy: none,
    });
    expect(c.candidates).toEqual([]);
    expect(c.skipped.map((s) => s.outcome)).toEqual(["not_configured", "not_configured"]);
  });
});

describe("mergeAttempts", () => {
  it("puts the edge's skips first, then what the backend tried in the order it tried it", () => {
    expect(
      mergeAttempts(
        ["local", "esri", "mapbox"],
        [{ provider: "local", outcome: "unhealthy" }],
        [
          { provider: "esri", outcome: "failed", reason: "500" },
          { provider: "mapbox", outcome: "used" },
        ],
      ),
    ).toEqual([
      { provider: "local", outcome: "unhealthy" },
      { provider: "esri", outcome: "failed", reason: "500" },
      { provider: "mapbox", outcome: "used" },
    ]);
    // An unhealthy provider is tried last, whatever the preference: the backend's order stands,
    // and its word wins over the edge's skip.
    expect(
      mergeAttempts(
        ["local", "esri"],
        [{ provider: "local", outcome: "unhealthy" }],
        [
          { provider: "esri", outcome: "failed" },
          { provider: "local", outcome: "used" },
        ],
      ).map((a) => [a.provider, a.outcome]),
    ).toEqual([
      ["esri", "failed"],
      ["local", "used"],
    ]);
  });

  it("ends at the provider that served: skips after it in the preference were never reached", () => {
    expect(
      mergeAttempts(
        ["esri", "mapbox", "gee"],
        [
          { provider: "mapbox", outcome: "not_configured" },
          { provider: "gee", outcome: "unhealthy" },
        ],
        [{ provider: "esri", outcome: "used" }],
      ),
    ).toEqual([{ provider: "esri", outcome: "used" }]);
  });
});
