/**
 * Authentication in workerd: API keys (hashed in Redis, created and revoked through the key
 * store the CLI uses) and JWTs (HS256 secret; RS256 from a JWKS URL with issuer and audience).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis } from "../../test/harness/index.js";
import { hashApiKey } from "../src/auth/api-keys.js";
import { DEPENDENCY_RETRY_AFTER_S } from "../src/problems.js";
import { createKey, hsToken, JwksServer, keyStore } from "./support/credentials.js";
import { type EdgeWorker, type Rig, startEdge, startRig } from "./support/edge.js";
import { bboxBody, get, postAnalysis } from "./support/requests.js";

let rig: Rig;
let edge: EdgeWorker;
let jwks: JwksServer;
let jwksEdge: EdgeWorker;

beforeAll(async () => {
  rig = await startRig("auth");
  jwks = await JwksServer.start();
  [edge, jwksEdge] = await Promise.all([
    startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "1000" })),
    startEdge(
      rig.env({
        RATE_LIMIT_PER_HOUR: "1000",
        JWT_SECRET: "",
        JWT_JWKS_URL: jwks.url,
        JWT_ISSUER: "https://id.example.com/",
        JWT_AUDIENCE: "lanesegnet-api",
      }),
    ),
  ]);
});

afterAll(async () => {
  await edge?.dispose();
  await jwksEdge?.dispose();
  await jwks?.close();
  await rig?.close();
});

async function expect401(res: Response, invalidToken: boolean, instance = "/v1/analyses"): Promise<void> {
  expect(res.status).toBe(401);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const challenge = res.headers.get("www-authenticate") ?? "";
  expect(challenge).toMatch(/^Bearer realm="lanesegnet"/);
  expect(challenge.includes('error="invalid_token"')).toBe(invalidToken);
  expect(await res.json()).toMatchObject({ status: 401, instance });
}

describe("API keys", () => {
  it("refuses a request without credentials", async () => {
    await expect401(await edge.fetch("/v1/analyses", { method: "POST", body: "{}" }), false);
    await expect401(await get(edge, "/v1/providers"), false, "/v1/providers");
    await expect401(
      await get(edge, "/v1/providers", undefined, { authorization: "Basic dXNlcjpwYXNz" }),
      false,
      "/v1/providers",
    );
  });

  it("refuses a made-up key in the right shape without a Redis command once the isolate knows the tag secret", async () => {
    const key = await createKey(rig, "tagged");
    const seen = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "1000" }));
    try {
      expect((await get(seen, "/v1/providers", key)).status).toBe(200);
      // This file's own bridge. Key lookups read (GET, MGET); counting only reads keeps another
      // test's background writes (a cache store after an analysis) out of the figure.
      const stats = rig.stack.bridge.stats;
      const reads = () => (stats.byCommand.get("GET") ?? 0) + (stats.byCommand.get("MGET") ?? 0);
      const before = reads();
      for (let i = 0; i < 5; i++) {
        const madeUp = `lsn_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`;
        await expect401(await get(seen, "/v1/providers", madeUp), true, "/v1/providers");
        await expect401(await postAnalysis(seen, madeUp, bboxBody(90)), true);
      }
      expect(reads() - before).toBe(0);
      // The counter does see this isolate: the genuine key's request reaches Redis.
      expect((await get(seen, "/v1/providers", key)).status).toBe(200);
      expect(reads() - before).toBeGreaterThan(0);
    } finally {
      await seen.dispose();
    }
  });

  it("stores only the hash, accepts the key, and refuses it once revoked", async () => {
    const key = await createKey(rig, "alice");
    const direct = await connectRedis(rig.stack.redisUrl);
    try {
      const stored = await direct.keys(`${rig.prefix}*`);
      expect(stored).toContain(`${rig.prefix}apikey:${await hashApiKey(key)}`);
      for (const k of stored) {
        expect(k.includes(key)).toBe(false);
        const type = await direct.type(k);
        if (type === "string") expect((await direct.get(k))?.includes(key)).toBe(false);
      }
    } finally {
      await direct.quit();
    }

    const ok = await postAnalysis(edge, key, bboxBody(0));
    expect(ok.status).toBe(200);
    expect(await edge.auditOf(ok)).toMatchObject({ user: "alice", auth: "api_key" });

    expect(await keyStore(rig).revoke(key)).toBe(true);
    await expect401(await postAnalysis(edge, key, bboxBody(0)), true);
    expect(await keyStore(rig).revoke(key)).toBe(false);
  });

  it("checks a key it has seen within the rate limit's round trip; revoked: 401 at once, not counted", async () => {
    const stats = rig.stack.bridge.stats;
    const evalshas = () => stats.byCommand.get("EVALSHA") ?? 0;
    const remaining = (res: Response) => Number(/r=(\d+)/.exec(res.headers.get("ratelimit") ?? "")?.[1]);
    const key = await createKey(rig, "bob");
    const first = await postAnalysis(edge, key, bboxBody(3));
    expect(first.status).toBe(200);

    let before = stats.requests;
    const second = await postAnalysis(edge, key, bboxBody(3));
    expect(second.status).toBe(200);
    expect(stats.requests - before).toBe(1); // key record, rate limit and result in one pipeline
    expect(remaining(second)).toBe(remaining(first) - 1);

    expect(await keyStore(rig).revoke(key)).toBe(true);
    const evalBefore = evalshas();
    const revoked = await postAnalysis(edge, key, bboxBody(3));
    await expect401(revoked, true);
    expect((await edge.auditOf(revoked)).user).toBeUndefined();
    // Counted in the pipeline, then given back (after the response, through waitUntil).
    for (let i = 0; i < 250 && evalshas() < evalBefore + 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(evalshas()).toBe(evalBefore + 2);

    // Forgotten: the next request with it is checked up front (one GET, no rate-limit script).
    before = stats.requests;
    await expect401(await postAnalysis(edge, key, bboxBody(3)), true);
    expect(stats.requests - before).toBe(1);
    expect(evalshas()).toBe(evalBefore + 2);

    // The refused request did not count: another key of the same user sees the same quota.
    const other = await createKey(rig, "bob");
    const third = await postAnalysis(edge, other, bboxBody(3));
    expect(third.status).toBe(200);
    expect(remaining(third)).toBe(remaining(second) - 1);
  });

  it("refuses a revoked key on every route, though this isolate has seen it valid", async () => {
    // Only POST /v1/analyses may check a key it has seen in the rate limiter's round trip; every
    // other route must look it up before anything else.
    const key = await createKey(rig, "carol");
    const ok = await postAnalysis(edge, key, bboxBody(4));
    expect(ok.status).toBe(200);
    const { id } = ((await ok.json()) as { analysis: { id: string } }).analysis;
    expect((await get(edge, "/v1/providers", key)).status).toBe(200);
    expect((await get(edge, `/v1/analyses/${id}`, key)).status).toBe(200);
    expect(await keyStore(rig).revoke(key)).toBe(true);
    await expect401(await get(edge, "/v1/providers", key), true, "/v1/providers");
    await expect401(await get(edge, `/v1/analyses/${id}`, key), true, `/v1/analyses/${id}`);
  });

  it("takes the Bearer scheme in any case (RFC 7235: schemes are case-insensitive)", async () => {
    const key = await createKey(rig, "dave");
    for (const scheme of ["bearer", "BEARER", "Bearer"]) {
      const res = await get(edge, "/v1/providers", undefined, { authorization: `${scheme} ${key}` });
      expect(res.status, scheme).toBe(200);
    }
  });

  it("refuses unknown and malformed keys", async () => {
    const unknown = `lsn_${"A".repeat(43)}`;
    await expect401(await postAnalysis(edge, unknown, bboxBody(0)), true);
    await expect401(await postAnalysis(edge, "lsn_short", bboxBody(0)), true);
    await expect401(await postAnalysis(edge, "not-a-credential", bboxBody(0)), true);
  });
});

describe("API-key cache (AUTH_CACHE_TTL_S)", () => {
  it("saves the lookup round trip, and a revoked key then lives on in that isolate until the TTL", async () => {
    const cached = await startEdge(rig.env({ RATE_LIMIT_PER_HOUR: "1000", AUTH_CACHE_TTL_S: "60" }));
    try {
      const key = await createKey(rig, "cached-user");
      expect((await postAnalysis(cached, key, bboxBody(9))).status).toBe(200);
      const before = rig.stack.bridge.stats.requests;
      const hit = await postAnalysis(cached, key, bboxBody(9));
      expect(hit.headers.get("x-cache")).toBe("HIT");
      expect(rig.stack.bridge.stats.requests - before).toBe(1); // rate limit + result, one pipeline
      await keyStore(rig).revoke(key);
      expect((await postAnalysis(cached, key, bboxBody(9))).status).toBe(200);
      // The default (no cache) isolate refuses it at once.
      await expect401(await postAnalysis(edge, key, bboxBody(9)), true);
    } finally {
      await cached.dispose();
    }
  });
});

describe("JWT (HS256)", () => {
  it("accepts a valid token; its sub is the user", async () => {
    const res = await postAnalysis(edge, await hsToken({ sub: "frontend-user-1" }), bboxBody(1));
    expect(res.status).toBe(200);
    expect(await edge.auditOf(res)).toMatchObject({
      user: "frontend-user-1",
      auth: "jwt",
    });
  });

  const now = () => Math.floor(Date.now() / 1000);
  const bad: [string, () => Promise<string>][] = [
    ["a wrong secret", () => hsToken({ sub: "u" }, "another-secret-another-secret-another-secret")],
    ["an expired token", () => hsToken({ sub: "u", exp: now() - 60 })],
    ["a token not valid yet", () => hsToken({ sub: "u", nbf: now() + 600 })],
    ["no sub", () => hsToken({})],
    ["no exp", async () => (await hsToken({ sub: "u", exp: undefined })).toString()],
    [
      "a tampered payload",
      async () => {
        const [h, , s] = (await hsToken({ sub: "u" })).split(".");
        const payload = Buffer.from(JSON.stringify({ sub: "admin", exp: now() + 600 })).toString("base64url");
        return `${h}.${payload}.${s}`;
      },
    ],
    [
      "alg none",
      async () => {
        const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
        return `${enc({ alg: "none", typ: "JWT" })}.${enc({ sub: "u", exp: now() + 600 })}.`;
      },
    ],
    ["garbage with two dots", async () => "abc.def.ghi"],
  ];

  it.each(bad)("refuses %s", async (_name, make) => {
    const token = await make();
    const res = await postAnalysis(edge, token, bboxBody(1));
    await expect401(res, true);
    await edge.auditOf(res);
    // Neither the token nor its signature appears in any log line.
    const signature = token.split(".")[2] ?? token;
    for (const line of edge.lines) {
      expect(line.includes(token)).toBe(false);
      if (signature.length > 10) expect(line.includes(signature)).toBe(false);
    }
  });
});

describe("JWT (JWKS, issuer and audience)", () => {
  const claims = { sub: "jwks-user", iss: "https://id.example.com/", aud: "lanesegnet-api" };

  it("accepts a token signed by a key of the JWKS", async () => {
    const res = await postAnalysis(jwksEdge, await jwks.token(claims), bboxBody(2));
    expect(res.status).toBe(200);
  });

  it.each([
    ["a wrong issuer", { ...claims, iss: "https://evil.example.com/" }, undefined],
    ["a wrong audience", { ...claims, aud: "another-api" }, undefined],
    ["an unknown kid", claims, "unknown-kid"],
  ] as const)("refuses %s", async (_name, c, kid) => {
    await expect401(await postAnalysis(jwksEdge, await jwks.token(c, kid), bboxBody(2)), true);
  });

  it("refuses an HS256 token when only a JWKS is configured", async () => {
    await expect401(await postAnalysis(jwksEdge, await hsToken(claims), bboxBody(2)), true);
  });

  it("answers 503 auth-unavailable with Retry-After, not 401, while the JWKS cannot be fetched", async () => {
    // A 401 with error="invalid_token" tells a client to drop a token that may be fine.
    const down = await JwksServer.start("down-key");
    down.down = true;
    const fresh = await startEdge(
      rig.env({
        RATE_LIMIT_PER_HOUR: "1000",
        JWT_SECRET: "",
        JWT_JWKS_URL: down.url,
        JWT_ISSUER: claims.iss,
        JWT_AUDIENCE: claims.aud,
      }),
    );
    try {
      const res = await postAnalysis(fresh, await down.token(claims), bboxBody(2));
      expect([res.status, res.headers.get("retry-after")]).toEqual([503, String(DEPENDENCY_RETRY_AFTER_S)]);
      expect(res.headers.get("www-authenticate")).toBeNull();
      expect(await res.json()).toMatchObject({ status: 503, type: "/problems/auth-unavailable" });
      expect(down.requests).toBeGreaterThan(0);
    } finally {
      await fresh.dispose();
      await down.close();
    }
  });
});

describe("audit", () => {
  it("never logs an API key", async () => {
    const key = await createKey(rig, "bob");
    await edge.auditOf(await postAnalysis(edge, key, bboxBody(3)));
    expect(edge.lines.some((l) => l.includes(key))).toBe(false);
    expect(edge.lines.some((l) => l.includes(key.slice(4, 20)))).toBe(false);
  });
});
