/**
 * The edge app, built from injected dependencies (deps.ts) so the Worker entry, tests and load
 * harnesses share it. Middleware order is deliberate:
 *   request id -> audit line -> secure headers -> CORS -> body limit -> Server-Timing
 *   -> auth (/v1/*) -> rate limit (POST /v1/analyses) -> JSON check -> validation -> handler
 * Every error leaves as problem+json (onError, notFound, validation hook).
 */

import { OpenAPIHono } from "@hono/zod-openapi";
import { allowedMethods, LIMITS, validationProblem } from "@lanesegnet/shared";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { timing } from "hono/timing";
import type { EdgeDeps } from "./deps.js";
import type { AppEnv } from "./env.js";
import { audit } from "./middleware/audit/index.js";
import { auth } from "./middleware/auth/index.js";
import { bodyLimit } from "./middleware/body-limit/index.js";
import { corsForBrowsers } from "./middleware/cors/index.js";
import { rateLimit } from "./middleware/rate-limit/index.js";
import { REQUEST_ID_MAX_LENGTH, requestIds } from "./middleware/request-id/index.js";
import { EDGE_PROBLEM_TYPES, instanceOf, problemJson, problemResponse } from "./problems.js";
import { registerAnalysisRoutes } from "./routes/analyses.js";
import { registerCompatRoute } from "./routes/compat.js";
import { registerCoverageRoute } from "./routes/coverage.js";
import { registerDocsRoutes } from "./routes/docs.js";
import { registerHealthRoute } from "./routes/health.js";
import { pictureServiceOf, registerOverlayRoutes } from "./routes/overlay.js";
import { registerProblemTypeRoutes } from "./routes/problem-types.js";
import { registerProvidersRoute } from "./routes/providers.js";

export const API_VERSION = "1.0.0";

/** Headers a browser client may read (CORS). */
export const EXPOSED_HEADERS = [
  "RateLimit",
  "RateLimit-Policy",
  "Retry-After",
  "X-Request-Id",
  "X-Cache",
  "ETag",
  "Content-Location",
  "Server-Timing",
  "X-Image-Bounds",
  "Deprecation",
  "Sunset",
  "Link",
];

/** What a validation problem calls each part of the request that a route validates. */
const VALIDATED_PARTS: Readonly<Record<string, string>> = {
  json: "body",
  form: "body",
  query: "query string",
  param: "path",
  header: "headers",
};

export function createApp(deps: EdgeDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const part = VALIDATED_PARTS[result.target] ?? result.target;
        return problemResponse(validationProblem(result.error, { instance: instanceOf(c) }, part));
      }
      return undefined;
    },
  });
  const origins = new Set(deps.config.corsOrigins);
  // What a path serves, from the app's own route table (OPTIONS is the CORS middleware's, on every
  // path a route has): the 405's Allow, an OPTIONS answer's Allow and a preflight's methods.
  const methodsAt = (path: string): string[] => {
    const methods = allowedMethods(app.routes, path);
    return methods.length > 0 ? [...methods, "OPTIONS"] : [];
  };

  app.use(requestIds(REQUEST_ID_MAX_LENGTH));
  app.use(audit(deps.auditSink));
  app.use(secureHeaders());
  app.use(
    corsForBrowsers(
      {
        origin: (origin) => (origins.has(origin) ? origin : null),
        // The same table as the 405's Allow, so a preflight never promises a method that then gets
        // a 405.
        allowMethods: (_origin, c) => methodsAt(c.req.path),
        allowHeaders: ["Authorization", "Content-Type", "If-None-Match", "X-Request-Id"],
        exposeHeaders: EXPOSED_HEADERS,
        maxAge: 600,
      },
      methodsAt,
    ),
  );
  app.use(bodyLimit(LIMITS.maxRequestBytes));
  // Only on answers that were served: on a refusal (401, 429) or another error, the stages (a `key`
  // stage skipped for a body this isolate saw before, a rate-limit round trip that also read a
  // stored result) would tell a client what others asked, for no quota.
  app.use(timing({ total: true, enabled: (c) => c.res.status < 400 }));
  app.use("/v1/*", auth({ apiKeys: deps.apiKeys, apiKeyCache: deps.apiKeyCache, jwt: deps.jwt }));

  const limitAnalyses = rateLimit({ limiter: deps.limiter, policy: deps.config.redisDownPolicy });
  registerAnalysisRoutes(app, deps, limitAnalyses);
  const pictures = pictureServiceOf(deps);
  registerOverlayRoutes(app, pictures);
  registerCompatRoute(app, deps, limitAnalyses, pictures);
  registerCoverageRoute(app, deps);
  registerProvidersRoute(app, deps);
  registerHealthRoute(app, deps);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API key (`lsn_…`, from `npm run keys -- create`) or a JWT whose `sub` is the user.",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "LaneSegNet API",
      version: API_VERSION,
      description:
        "Lane markings in aerial imagery of an area, as measured, georeferenced GeoJSON lines. Errors are RFC 9457 problem+json. Besides what each operation lists: a method a path does not serve is answered 405 with `Allow` naming those it does (OPTIONS answers 204 with `Allow`), an unknown path 404, an unknown method 501.",
    },
    tags: [
      { name: "analyses", description: "Run and fetch analyses (POST counts against the hourly quota)." },
      { name: "imagery", description: "Imagery providers and local coverage." },
      { name: "operations", description: "Health." },
      {
        name: "compatibility",
        description: "Deprecated routes of the old service, kept for its frontend until their sunset.",
      },
    ],
  });
  registerDocsRoutes(app);
  registerProblemTypeRoutes(app);

  app.notFound((c) => {
    const allow = methodsAt(c.req.path);
    if (allow.length > 0) {
      return problemJson(
        405,
        {
          type: EDGE_PROBLEM_TYPES.methodNotAllowed,
          detail: `${c.req.method} is not served here; this resource answers ${allow.join(", ")}.`,
          instance: instanceOf(c),
        },
        { Allow: allow.join(", ") },
      );
    }
    return problemJson(404, {
      type: EDGE_PROBLEM_TYPES.notFound,
      detail: "No such resource.",
      instance: instanceOf(c),
    });
  });
  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status < 500) {
      // hono's validators throw 400 for unparseable JSON; nothing else of theirs reaches here.
      const detail = error.status === 400 ? "The request body is not valid JSON." : undefined;
      return problemJson(error.status, {
        ...(error.status === 400
          ? { type: EDGE_PROBLEM_TYPES.invalidRequest, title: "Invalid request" }
          : {}),
        ...(detail === undefined ? {} : { detail }),
        instance: instanceOf(c),
      });
    }
    // Logged for operators (name and message only); the client learns nothing about it.
    console.error(
      JSON.stringify({
        level: "error",
        msg: "unhandled error",
        request_id: c.get("requestId"),
        error: error instanceof Error ? `${error.name}: ${error.message}` : "non-error thrown",
      }),
    );
    return problemJson(500, { detail: "An unexpected error occurred.", instance: instanceOf(c) });
  });
  return app;
}
