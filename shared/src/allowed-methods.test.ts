import { describe, expect, it } from "vitest";
import { allowedMethods, routePattern } from "./allowed-methods.js";

describe("allowedMethods", () => {
  const routes = [
    { method: "ALL", path: "/v1/*" },
    { method: "POST", path: "/v1/analyses" },
    { method: "GET", path: "/v1/analyses/:id" },
    { method: "GET", path: "/v1/analyses/:id/overlay.png" },
    { method: "GET", path: "/v1/runs/:id{[0-9]+}" },
  ];

  it("lists the methods of the routes matching a path, HEAD with GET, never middleware", () => {
    expect(allowedMethods(routes, "/v1/analyses")).toEqual(["POST"]);
    expect(allowedMethods(routes, "/v1/analyses/abc")).toEqual(["GET", "HEAD"]);
    expect(allowedMethods(routes, "/v1/analyses/abc/overlay.png")).toEqual(["GET", "HEAD"]);
    expect(allowedMethods(routes, "/v1/analyses/abc/overlayXpng")).toEqual([]);
    expect(allowedMethods(routes, "/v1/analyses/a/b")).toEqual([]);
    expect(allowedMethods(routes, "/v1/other")).toEqual([]);
  });

  it("honours a parameter's own pattern", () => {
    expect(routePattern("/v1/runs/:id{[0-9]+}").test("/v1/runs/42")).toBe(true);
    expect(allowedMethods(routes, "/v1/runs/x")).toEqual([]);
  });
});
