/**
 * GET /v1/coverage when there is no index to search: "not configured" is permanent (no
 * Retry-After), a failed load is transient (Retry-After). The route alone, with a stub source.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import type { EdgeDeps } from "../deps.js";
import type { AppEnv } from "../env.js";
import type { CoverageState } from "../providers/coverage.js";
import { registerCoverageRoute } from "./coverage.js";

function appWith(state: CoverageState): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const deps = { coverage: { get: async () => state } } as unknown as EdgeDeps;
  registerCoverageRoute(app, deps);
  return app;
}

const QUERY = "/v1/coverage?bbox=-121.4960,38.5800,-121.4930,38.5824";

describe("GET /v1/coverage without an index", () => {
  it("not configured: 503 problem+json without Retry-After, saying retrying will not help", async () => {
    const res = await appWith({ state: "not_configured" }).request(QUERY);
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("retry-after")).toBeNull();
    const body = (await res.json()) as { type: string; detail: string };
    expect(body.type).toMatch(/storage-unavailable$/);
    expect(body.detail).toMatch(/no local imagery index configured; retrying will not change that/);
  });

  it("could not be loaded: 503 with Retry-After: 30", async () => {
    const res = await appWith({ state: "unavailable" }).request(QUERY);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("30");
    expect(((await res.json()) as { detail: string }).detail).toMatch(/try again shortly/);
  });
});
