/**
 * The Worker entry: builds the configuration and the app once per isolate from the env bindings
 * and hands every request to it. A bad configuration answers 500 problem+json for every request
 * (and logs which variables are wrong, never their values).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { createApp } from "./app.js";
import { ConfigError, ENV_KEYS, loadConfig } from "./config.js";
import { buildDeps } from "./deps.js";
import type { AppEnv } from "./env.js";
import {
  REQUEST_ID_HEADER,
  REQUEST_ID_MAX_LENGTH,
  responseRequestId,
} from "./middleware/request-id/index.js";
import { EDGE_PROBLEM_TYPES, problemJson } from "./problems.js";

type Env = Readonly<Record<string, unknown>>;

let built:
  | { env: Env; fingerprint: string; app: OpenAPIHono<AppEnv> }
  | { env: Env; fingerprint: string; error: string }
  | undefined;

/** The env values the config reads, joined: a rebuild is needed only when one changes. */
function fingerprint(env: Env): string {
  return ENV_KEYS.map((k) => String(env[k] ?? "")).join("\u0000");
}

function appFor(env: Env) {
  if (built && built.env === env) return built;
  const fp = fingerprint(env);
  if (built && built.fingerprint === fp) {
    built.env = env;
    return built;
  }
  try {
    built = { env, fingerprint: fp, app: createApp(buildDeps(loadConfig(env))) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(JSON.stringify({ level: "error", msg: "configuration error", error: error.message }));
    built = { env, fingerprint: fp, error: error.message };
  }
  return built;
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    const current = appFor(env);
    if ("error" in current) {
      const id = responseRequestId(
        request.headers.get(REQUEST_ID_HEADER),
        crypto.randomUUID(),
        REQUEST_ID_MAX_LENGTH,
      );
      return problemJson(
        500,
        {
          type: EDGE_PROBLEM_TYPES.misconfigured,
          title: "Server misconfigured",
          detail: "The service is not configured correctly; its operators have been told.",
          instance: new URL(request.url).pathname,
        },
        { [REQUEST_ID_HEADER]: id },
      );
    }
    return current.app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
