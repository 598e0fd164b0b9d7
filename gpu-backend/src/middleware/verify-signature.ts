/**
 * Accept only requests signed by the edge (HMAC from shared/), within the clock-skew window, and
 * each nonce once. The body is read here as raw bytes (the signature covers them) and handed on.
 *
 * Nonces are remembered by a NonceStore: this process's own NonceCache by default, or with
 * REPLAY_REDIS_URL set, Redis shared by every instance behind the load balancer
 * (replay/redis-nonce-store.ts), so a replay is refused whichever instance it reaches.
 */
import { NonceCache, problem, problemResponse, verifyRequest } from "@lanesegnet/shared";
import type { MiddlewareHandler } from "hono";
import type { NonceStore } from "../replay/redis-nonce-store.js";

export type SignedBodyEnv = { Variables: { rawBody: Uint8Array } };

export function verifySignature(
  secret: string,
  nonces: NonceStore = new NonceCache(),
): MiddlewareHandler<SignedBodyEnv> {
  return async (c, next) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const url = new URL(c.req.url);
    const result = await verifyRequest(secret, c.req.raw.headers, {
      method: c.req.method,
      path: url.pathname + url.search,
      body,
    });
    if (!result.ok) return problemResponse(problem(401, { detail: "missing or invalid request signature" }));
    const seen = await nonces.check(result.nonce);
    if (seen === "replayed") return problemResponse(problem(401, { detail: "request replayed" }));
    if (seen === "full") {
      return problemResponse(problem(503, { detail: "too many signed requests in the replay window" }), {
        "Retry-After": "1",
      });
    }
    c.set("rawBody", body);
    await next();
  };
}
