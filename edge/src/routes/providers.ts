/**
 * GET /v1/providers — the enabled imagery providers in order, with whether the analysis backend can
 * use each (its GET /readyz) and their current health.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { ImageryProviderSchema } from "@lanesegnet/shared";
import type { EdgeDeps } from "../deps.js";
import type { AppEnv } from "../env.js";
import type { ProviderHealth } from "../providers/health.js";
import { COMMON_ERRORS, SECURITY } from "./common.js";

const BACKEND_MEMO_MS = 2_000;

export const ProvidersSchema = z
  .object({
    providers: z.array(
      z.object({
        name: ImageryProviderSchema,
        position: z.int().describe("Place in the default order (0 = tried first)."),
        configured: z
          .boolean()
          .nullable()
          .describe(
            "Whether the analysis backend can use it (enabled and configured there, e.g. a Mapbox token); null when the backend cannot be asked. A provider that is not is skipped by every analysis.",
          ),
        healthy: z
          .boolean()
          .nullable()
          .describe(
            "From recent failures of analyses that tried it; null when the health store is unreachable or the backend cannot use the provider (`configured: false`: it is never tried, so nothing is known of it).",
          ),
        recent_failures: z.int().nullable(),
        retry_in_s: z.int().nullable().describe("Seconds until a failing provider is tried again."),
      }),
    ),
    coverage_index: z
      .enum(["ready", "not_configured", "unavailable", "loading"])
      .describe("State of the local imagery index used to decide local coverage."),
  })
  .meta({ id: "Providers", description: "Enabled imagery providers in the server's default order." });

export function registerProvidersRoute(app: OpenAPIHono<AppEnv>, deps: EdgeDeps): void {
  const route = createRoute({
    method: "get",
    path: "/v1/providers",
    tags: ["imagery"],
    summary: "Enabled imagery providers and their health",
    security: SECURITY,
    responses: {
      200: {
        description: "Providers in order.",
        content: { "application/json": { schema: ProvidersSchema } },
      },
      ...COMMON_ERRORS,
    },
  });

  // The backend's answer, memoised per isolate as GET /health's is, so this (uncounted) route cannot
  // turn into load on the backend. A settled value, never a shared promise (workerd).
  let backendMemo: { at: number; providers: readonly string[] | null } | undefined;
  const backendProviders = async (): Promise<readonly string[] | null> => {
    if (backendMemo && Date.now() - backendMemo.at < BACKEND_MEMO_MS) return backendMemo.providers;
    const { imageryProviders } = await deps.backend.health();
    backendMemo = { at: Date.now(), providers: imageryProviders };
    return imageryProviders;
  };

  app.openapi(route, async (c) => {
    const chain = deps.config.providerChain;
    const [health, coverage, usable] = await Promise.all([
      deps.health.read(chain).catch((): ProviderHealth[] | null => null),
      deps.coverage.get(),
      backendProviders(),
    ]);
    return c.json(
      {
        providers: chain.map((name, position) => {
          const configured = usable ? usable.includes(name) : null;
          // A provider the backend skips has no failures only because it is never tried: "healthy"
          // beside "configured: false" would read as usable.
          const h = configured === false ? undefined : health?.find((x) => x.provider === name);
          return {
            name,
            position,
            configured,
            healthy: h ? h.healthy : null,
            recent_failures: h ? h.recentFailures : null,
            retry_in_s: h ? h.retryInS : null,
          };
        }),
        coverage_index: coverage.state,
      },
      200,
      // Health changes from one request to the next.
      { "cache-control": "no-store" },
    );
  });
}
