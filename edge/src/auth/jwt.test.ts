/** JwtVerifier against a real loopback JWKS server: claims policy and the JWKS cache. */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hsToken, JwksServer } from "../../test/support/credentials.js";
import { JwtVerifier } from "./jwt.js";

let jwks: JwksServer;
beforeAll(async () => {
  jwks = await JwksServer.start("k1");
});
afterAll(() => jwks.close());

const settings = (over: Partial<ConstructorParameters<typeof JwtVerifier>[0]> = {}) => ({
  secret: undefined,
  jwksUrl: jwks.url,
  issuer: "https://id.example.com/",
  audience: "api",
  maxLifetimeS: 86_400,
  ...over,
});
const claims = { sub: "u1", iss: "https://id.example.com/", aud: "api" };

describe("JwtVerifier", () => {
  it("fetches the JWKS once, then answers from its cache", async () => {
    let now = Date.now();
    const v = new JwtVerifier(settings(), undefined, () => now);
    const before = jwks.requests;
    expect(await v.verify(await jwks.token(claims))).toEqual({ ok: true, sub: "u1" });
    expect(await v.verify(await jwks.token(claims))).toEqual({ ok: true, sub: "u1" });
    expect(jwks.requests - before).toBe(1);

    // An unknown kid refetches only when the set is older than the refetch interval.
    expect(await v.verify(await jwks.token(claims, "k2"))).toEqual({ ok: false, reason: "invalid" });
    expect(jwks.requests - before).toBe(1);
    now += 31_000;
    expect(await v.verify(await jwks.token(claims, "k2"))).toEqual({ ok: false, reason: "invalid" });
    expect(jwks.requests - before).toBe(2);

    // Stale but present keys are used while the JWKS endpoint is down.
    jwks.down = true;
    now += 11 * 60_000;
    try {
      expect(await v.verify(await jwks.token(claims))).toEqual({ ok: true, sub: "u1" });
    } finally {
      jwks.down = false;
    }
  });

  it("takes a key rotated in once the set is refetched, and drops a key the issuer withdrew", async () => {
    const rotated = await JwksServer.start("k2");
    let serving = jwks;
    let now = Date.now();
    const v = new JwtVerifier(
      settings(),
      (_url, init) => fetch(serving.url, init),
      () => now,
    );
    try {
      expect(await v.verify(await jwks.token(claims))).toEqual({ ok: true, sub: "u1" });
      // The issuer now publishes k2 alone: a k2 token makes the (30 s old) set be fetched again.
      serving = rotated;
      now += 31_000;
      expect(await v.verify(await rotated.token(claims))).toEqual({ ok: true, sub: "u1" });
      // k1 is no longer in the set, so a fresh k1 token is refused.
      expect(await v.verify(await jwks.token(claims))).toEqual({ ok: false, reason: "invalid" });
    } finally {
      await rotated.close();
    }
  });

  it("reports the JWKS as unavailable when it cannot be fetched and nothing is cached", async () => {
    jwks.down = true;
    try {
      const v = new JwtVerifier(settings());
      expect(await v.verify(await jwks.token(claims))).toEqual({ ok: false, reason: "unavailable" });
    } finally {
      jwks.down = false;
    }
  });

  it("checks HS256 tokens with the secret, and requires sub and exp", async () => {
    const secret = "0123456789abcdef0123456789abcdef";
    const v = new JwtVerifier(
      settings({ secret, jwksUrl: undefined, issuer: undefined, audience: undefined }),
    );
    expect(v.enabled).toBe(true);
    expect(await v.verify(await hsToken({ sub: "a" }, secret))).toEqual({ ok: true, sub: "a" });
    expect(await v.verify(await hsToken({ sub: "a b" }, secret))).toEqual({ ok: false, reason: "invalid" });
    // A user id of 1 to 128 characters: an empty sub would make every such token one user.
    for (const [sub, ok] of [
      ["", false],
      ["x".repeat(128), true],
      ["x".repeat(129), false],
    ] as const) {
      expect((await v.verify(await hsToken({ sub }, secret))).ok, `sub of ${sub.length}`).toBe(ok);
    }
    expect(await v.verify(await hsToken({ sub: "a", exp: undefined }, secret))).toEqual({
      ok: false,
      reason: "invalid",
    });
    expect(await v.verify(await jwks.token(claims))).toEqual({ ok: false, reason: "invalid" });
    expect(new JwtVerifier(settings({ jwksUrl: undefined })).enabled).toBe(false);
  });

  it("refuses a token whose exp lies further ahead than the maximum lifetime, by either key kind", async () => {
    const secret = "0123456789abcdef0123456789abcdef";
    const v = new JwtVerifier(settings({ secret, maxLifetimeS: 3_600 }));
    const inS = (s: number) => Math.floor(Date.now() / 1000) + s;
    expect(await v.verify(await hsToken({ ...claims, sub: "a", exp: inS(3_500) }, secret))).toEqual({
      ok: true,
      sub: "a",
    });
    expect(await v.verify(await hsToken({ ...claims, sub: "a", exp: inS(3_700) }, secret))).toEqual({
      ok: false,
      reason: "invalid",
    });
    expect(await v.verify(await jwks.token({ ...claims, exp: inS(3_500) }))).toEqual({ ok: true, sub: "u1" });
    // An issuer's clock a little ahead of ours: a token of exactly the longest lifetime still passes.
    expect(await v.verify(await jwks.token({ ...claims, exp: inS(3_640) }))).toEqual({ ok: true, sub: "u1" });
    expect(await v.verify(await jwks.token({ ...claims, exp: inS(10 * 365 * 86_400) }))).toEqual({
      ok: false,
      reason: "invalid",
    });
  });

  it("during a JWKS outage fetches at most every 30 s, and trusts the last set for an hour at most", async () => {
    let now = Date.now();
    const v = new JwtVerifier(settings(), undefined, () => now);
    const token = await jwks.token(claims);
    expect(await v.verify(token)).toEqual({ ok: true, sub: "u1" });
    jwks.down = true;
    try {
      now += 11 * 60_000;
      const before = jwks.requests;
      expect(await v.verify(token)).toEqual({ ok: true, sub: "u1" });
      // Before, every request tried again (each waiting out the fetch while the endpoint hung).
      for (let i = 0; i < 5; i++) expect(await v.verify(token)).toEqual({ ok: true, sub: "u1" });
      expect(jwks.requests - before).toBe(1);
      now += 31_000;
      await v.verify(token);
      expect(jwks.requests - before).toBe(2);
      // A set that old may hold a key the issuer has since withdrawn: tokens cannot be checked.
      now += 50 * 60_000;
      expect(await v.verify(token)).toEqual({ ok: false, reason: "unavailable" });
    } finally {
      jwks.down = false;
    }
    now += 31_000;
    expect(await v.verify(token)).toEqual({ ok: true, sub: "u1" });
  });

  it("on a cold isolate, concurrent first tokens each get the set (none is refused while one fetch runs)", async () => {
    const v = new JwtVerifier(settings());
    const tokens = await Promise.all([1, 2, 3].map(() => jwks.token(claims)));
    expect(await Promise.all(tokens.map((t) => v.verify(t)))).toEqual(Array(3).fill({ ok: true, sub: "u1" }));
  });

  it("gives iat and nbf a minute of leeway for the issuer's clock, and accepts RFC 9068 access tokens", async () => {
    const secret = "0123456789abcdef0123456789abcdef";
    const v = new JwtVerifier(
      settings({ secret, jwksUrl: undefined, issuer: undefined, audience: undefined }),
    );
    const nowS = Math.floor(Date.now() / 1000);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const hs = (payload: Record<string, unknown>, typ?: string) => {
      const head = `${b64({ alg: "HS256", ...(typ === undefined ? {} : { typ }) })}.${b64({ sub: "a", exp: nowS + 600, ...payload })}`;
      return `${head}.${createHmac("sha256", secret).update(head).digest("base64url")}`;
    };
    const ok = { ok: true, sub: "a" };
    const invalid = { ok: false, reason: "invalid" };
    // Issued by a clock 30 s ahead of ours: refused before (no leeway at all).
    expect(await v.verify(hs({ iat: nowS + 30 }))).toEqual(ok);
    expect(await v.verify(hs({ nbf: nowS + 30 }))).toEqual(ok);
    expect(await v.verify(hs({ iat: nowS + 300 }))).toEqual(invalid);
    expect(await v.verify(hs({ nbf: nowS + 300 }))).toEqual(invalid);
    expect(await v.verify(hs({ nbf: "soon" }))).toEqual(invalid);
    expect(await v.verify(hs({}))).toEqual(ok);
    expect(await v.verify(hs({}, "JWT"))).toEqual(ok);
    expect(await v.verify(hs({}, "at+jwt"))).toEqual(ok);
    expect(await v.verify(hs({}, "application/at+jwt"))).toEqual(ok);
    expect(await v.verify(hs({}, "dpop+jwt"))).toEqual(invalid);
  });
});
