/**
 * `Authorization: Bearer <credential>`: an API key (`lsn_…`, looked up by its SHA-256 in Redis)
 * or a JWT (three dot-separated parts; HS256 or JWKS, see auth/jwt.ts). Sets the `principal` variable.
 * 401 problem+json with a WWW-Authenticate challenge when the credential is missing or wrong;
 * 503 when the store that could check it is unreachable (an API key cannot be checked without
 * Redis under any Redis-down policy: keys exist only there).
 */
import type { MiddlewareHandler } from "hono";
import { endTime, startTime } from "hono/timing";
import { API_KEY_PREFIX, type ApiKeyStore } from "../../auth/api-keys.js";
import type { JwtVerifier } from "../../auth/jwt.js";
import { type ApiKeyCache, checksDeferredKeys } from "../../auth/key-cache.js";
import type { AppEnv } from "../../env.js";
import {
  DEPENDENCY_RETRY_AFTER_S,
  EDGE_PROBLEM_TYPES,
  instanceOf,
  problemJson,
  storageUnavailable,
} from "../../problems.js";
import { RedisUnavailableError, redisCall } from "../../redis/client.js";

const REALM = 'Bearer realm="lanesegnet"';

export const INVALID_API_KEY_DETAIL = "The API key is not valid (unknown or revoked).";

export function unauthorized(detail: string, invalidToken: boolean, instance: string): Response {
  return problemJson(
    401,
    { type: EDGE_PROBLEM_TYPES.unauthorized, detail, instance },
    { "WWW-Authenticate": invalidToken ? `${REALM}, error="invalid_token"` : REALM },
  );
}

export function auth(deps: {
  readonly apiKeys: ApiKeyStore;
  readonly apiKeyCache: ApiKeyCache;
  readonly jwt: JwtVerifier;
  /**
   * Whether a known key's check may wait for the rate limiter's round trip: only where the
   * rate-limit middleware runs after this one on every path (default: POST /v1/analyses).
   */
  readonly defersKeyCheck?: (request: { readonly method: string; readonly path: string }) => boolean;
}): MiddlewareHandler<AppEnv> {
  const defers = deps.defersKeyCheck ?? checksDeferredKeys;
  return async (c, next) => {
    const header = c.req.header("authorization");
    const match = header ? /^Bearer[ ]+([^\s]+)\s*$/i.exec(header) : null;
    const credential = match?.[1];
    if (!credential) {
      return unauthorized(
        "Send an API key or a token as Authorization: Bearer <credential>.",
        false,
        instanceOf(c),
      );
    }
    startTime(c, "auth");
    try {
      if (credential.startsWith(API_KEY_PREFIX)) {
        let record: { user: string; keyId: string } | null | undefined = deps.apiKeyCache.get(credential);
        const known = record ? undefined : deps.apiKeyCache.known(credential);
        if (known && defers(c.req)) {
          // A key this isolate has seen: its user is known, and whether it still exists is read in
          // the rate limiter's round trip, before anything is decided (middleware/rate-limit).
          record = known.record;
          c.set("keyCheck", {
            recordKey: deps.apiKeys.recordKey(known.hash),
            user: known.record.user,
            forget: () => deps.apiKeyCache.forget(credential),
          });
        }
        try {
          if (!record) {
            const found = await redisCall(() => deps.apiKeys.lookup(credential));
            if (found) {
              deps.apiKeyCache.set(credential, found);
              deps.apiKeyCache.remember(credential, found, found.hash);
            } else deps.apiKeyCache.forget(credential);
            record = found;
          }
        } catch (error) {
          if (error instanceof RedisUnavailableError) {
            c.get("audit").cause = "storage";
            return storageUnavailable(instanceOf(c));
          }
          throw error;
        }
        if (!record) return unauthorized(INVALID_API_KEY_DETAIL, true, instanceOf(c));
        c.set("principal", { userId: record.user, method: "api_key" });
        Object.assign(c.get("audit"), { user: record.user, auth: "api_key", key_id: record.keyId });
      } else if (credential.split(".").length === 3 && deps.jwt.enabled) {
        const result = await deps.jwt.verify(credential);
        if (!result.ok && result.reason === "unavailable") {
          c.get("audit").cause = "jwks";
          return problemJson(
            503,
            {
              type: EDGE_PROBLEM_TYPES.authUnavailable,
              title: "Service temporarily unavailable",
              detail: "Tokens cannot be checked right now; try again shortly.",
              instance: instanceOf(c),
            },
            { "Retry-After": String(DEPENDENCY_RETRY_AFTER_S) },
          );
        }
        if (!result.ok)
          return unauthorized(
            "The token is not valid (signature, expiry, issuer, audience or subject).",
            true,
            instanceOf(c),
          );
        c.set("principal", { userId: result.sub, method: "jwt" });
        Object.assign(c.get("audit"), { user: result.sub, auth: "jwt" });
      } else {
        return unauthorized(
          "The credential is neither an API key nor an accepted token.",
          true,
          instanceOf(c),
        );
      }
    } finally {
      endTime(c, "auth");
    }
    await next();
  };
}
