import { generateKeyPairSync, verify } from "node:crypto";
import { type MercatorGrid, pixelToMercator } from "@lanesegnet/shared";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { targetGrid } from "../raster/target-grid.js";
import { NoCoverageError, ProviderBadDataError, ProviderHttpError, ProviderTimeoutError } from "./errors.js";
import { providersFromConfig } from "./from-config.js";
import { computePixelsBody, createGeeProvider, type GeeProviderOptions, NAIP_ASSET } from "./gee.js";
import { EARTH_ENGINE_SCOPE, ServiceAccountTokenSource } from "./google-auth.js";
import { withDeadline } from "./http.js";
import { type Handler, type Loopback, patternAt, startLoopback } from "./test-support.js";

const PROJECT = "test-proj";
const ACCESS_TOKEN = "ya29.loopback-access-token";
const FAST_RETRY = { retries: 1, baseDelayMs: 5, maxDelayMs: 20 };

const keys = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
});
const otherKeys = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
});
const serviceAccount = {
  type: "service_account",
  project_id: PROJECT,
  private_key_id: "key-1",
  private_key: keys.privateKey,
  client_email: "lanes@test-proj.iam.gserviceaccount.com",
  token_uri: "https://oauth2.googleapis.com/token", // overridden to the loopback below
};

const AREA = [-120.4512, 38.8731, -120.4471, 38.8762] as const;

/** The pattern rendered on a grid, as the server renders it (expected result, byte for byte). */
function render(grid: MercatorGrid): Uint8Array {
  const rgb = new Uint8Array(grid.width * grid.height * 3);
  for (let j = 0; j < grid.height; j++) {
    for (let i = 0; i < grid.width; i++) {
      const [x, y] = pixelToMercator(grid, i + 0.5, j + 0.5);
      rgb.set(
        patternAt(x, y).map((v) => v + 0.5),
        (j * grid.width + i) * 3,
      );
    }
  }
  return rgb;
}

interface Seen {
  tokenRequests: number;
  problems: string[];
  lastGrid: unknown;
  mask: boolean;
  computeStatus: number;
  expiresIn: number;
}
const seen: Seen = {
  tokenRequests: 0,
  problems: [],
  lastGrid: null,
  mask: false,
  computeStatus: 200,
  expiresIn: 3600,
};

/** Checks the JWT bearer assertion like Google's token endpoint would (signature included). */
function checkAssertion(form: URLSearchParams, tokenUri: string): string | null {
  if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") return "grant_type";
  const parts = (form.get("assertion") ?? "").split(".");
  if (parts.length !== 3) return "assertion is not a JWT";
  const [h, p, s] = parts as [string, string, string];
  const header = JSON.parse(Buffer.from(h, "base64url").toString());
  const claims = JSON.parse(Buffer.from(p, "base64url").toString());
  if (header.alg !== "RS256" || header.typ !== "JWT" || header.kid !== "key-1") return "header";
  if (claims.iss !== serviceAccount.client_email) return "iss";
  if (claims.aud !== tokenUri) return "aud";
  if (claims.scope !== EARTH_ENGINE_SCOPE) return "scope";
  const now = Date.now() / 1000;
  if (!(Math.abs(claims.iat - now) < 60 && claims.exp - claims.iat === 3600)) return "iat/exp";
  if (!verify("RSA-SHA256", Buffer.from(`${h}.${p}`), keys.publicKey, Buffer.from(s, "base64url")))
    return "signature";
  return null;
}

let server: Loopback;
const handler: Handler = async (req, res, body) => {
  const url = new URL(req.url ?? "", "http://x");
  if (req.method === "POST" && url.pathname === "/token") {
    seen.tokenRequests++;
    const problem = checkAssertion(new URLSearchParams(body), `${server.url}/token`);
    if (problem) {
      seen.problems.push(problem);
      return void res
        .writeHead(400, { "content-type": "application/json" })
        .end(`{"error":"invalid_grant","error_description":"${problem}"}`);
    }
    res.writeHead(200, { "content-type": "application/json" });
    return void res.end(
      JSON.stringify({ access_token: ACCESS_TOKEN, expires_in: seen.expiresIn, token_type: "Bearer" }),
    );
  }
  if (req.method === "POST" && url.pathname === `/v1/projects/${PROJECT}/image:computePixels`) {
    if (req.headers.authorization !== `Bearer ${ACCESS_TOKEN}`) return void res.writeHead(401).end();
    if (seen.computeStatus !== 200) {
      return void res
        .writeHead(seen.computeStatus, { "content-type": "application/json" })
        .end('{"error":{"code":400,"message":"Image.load: Asset not found."}}');
    }
    const request = JSON.parse(body);
    seen.lastGrid = request.grid;
    const text = JSON.stringify(request.expression);
    if (
      request.fileFormat !== "PNG" ||
      !text.includes('"USDA/NAIP/DOQQ"') ||
      !text.includes('["R","G","B"]')
    ) {
      return void res.writeHead(400).end("bad request body");
    }
    // Render what the request's grid asks for, from the request's own numbers.
    const { width, height } = request.grid.dimensions;
    const t = request.grid.affineTransform;
    const grid: MercatorGrid = {
      originX: t.translateX,
      originY: t.translateY,
      resolution: t.scaleX,
      width,
      height,
    };
    const rgb = render(grid);
    let png: Buffer;
    if (seen.mask) {
      const rgba = new Uint8Array(width * height * 4);
      for (let p = 0; p < width * height; p++) {
        rgba.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
        rgba[p * 4 + 3] = p % width < width / 2 ? 0 : 255; // west half masked
      }
      png = await sharp(rgba, { raw: { width, height, channels: 4 } })
        .png()
        .toBuffer();
    } else {
      png = await sharp(rgb, { raw: { width, height, channels: 3 } })
        .png()
        .toBuffer();
    }
    return void res.writeHead(200, { "content-type": "image/png" }).end(png);
  }
  res.writeHead(404).end();
};

const gee = (opts: GeeProviderOptions = {}) =>
  createGeeProvider({
    project: PROJECT,
    serviceAccountKey: JSON.stringify(serviceAccount),
    apiBaseUrl: `${server.url}/v1`,
    tokenUri: `${server.url}/token`,
    retry: FAST_RETRY,
    timeoutMs: 5_000,
    ...opts,
  });

beforeAll(async () => {
  server = await startLoopback(handler);
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  Object.assign(seen, {
    tokenRequests: 0,
    problems: [],
    lastGrid: null,
    mask: false,
    computeStatus: 200,
    expiresIn: 3600,
  });
});

describe("Earth Engine configured from the environment, as a deployment would", () => {
  it("posts to the v1 REST root by default, and GEE_RESOLUTION_M sets the asset's resolution", async () => {
    const env = {
      BACKEND_SIGNING_SECRET: "gee-config-test-secret-0123456789abcdef",
      ENABLED_PROVIDERS: "gee",
      GEE_PROJECT: PROJECT,
      GEE_SERVICE_ACCOUNT_KEY: JSON.stringify({ ...serviceAccount, token_uri: `${server.url}/token` }),
    };
    // Before, the default root lacked /v1: every computePixels call was a 404.
    expect(loadConfig(env).providers.gee.apiUrl).toBe("https://earthengine.googleapis.com/v1");
    // The same configuration pointed at the loopback root serves (the path under it is the API's).
    const config = loadConfig({ ...env, GEE_API_URL: `${server.url}/v1`, GEE_RESOLUTION_M: "0.3" });
    const { providers } = await providersFromConfig(config.providers);
    const provider = providers.get("gee")!;
    // Before, the resolution was always NAIP's 0.6 m, so a finer asset was refused as too coarse.
    expect(provider.nativeGroundResolution(38.6)).toBe(0.3);
    const result = await provider.fetch({
      grid: targetGrid(AREA, 0.3),
      bboxLonLat: AREA,
      maxGroundResolutionM: 0.35,
    });
    expect(result).toMatchObject({ provider: "gee", groundResolutionM: 0.3 });
  });
});

describe("Earth Engine provider against loopback token and computePixels endpoints", () => {
  it("signs a valid JWT, asks for exactly our grid, and returns the PNG unresampled", async () => {
    const provider = gee();
    const grid = targetGrid(AREA, 0.6);
    const result = await provider.fetch({ grid, bboxLonLat: AREA });
    expect(seen.problems).toEqual([]);
    expect(seen.lastGrid).toEqual({
      dimensions: { width: grid.width, height: grid.height },
      affineTransform: {
        scaleX: grid.resolution,
        shearX: 0,
        translateX: grid.originX,
        shearY: 0,
        scaleY: -grid.resolution,
        translateY: grid.originY,
      },
      crsCode: "EPSG:3857",
    });
    expect(result).toMatchObject({ provider: "gee", coverage: 1, groundResolutionM: 0.6 });
    expect(result.attribution).toMatch(/NAIP/);
    expect(result.raster.grid).toEqual(grid);
    expect(Buffer.from(result.raster.rgb).equals(Buffer.from(render(grid)))).toBe(true);
    // The token is cached across requests.
    await provider.fetch({ grid: targetGrid(AREA, 1), bboxLonLat: AREA });
    expect(seen.tokenRequests).toBe(1);
  });

  it("renews a token that is about to expire", async () => {
    seen.expiresIn = 30; // inside the 60 s renewal margin
    const provider = gee();
    await provider.fetch({ grid: targetGrid(AREA, 1), bboxLonLat: AREA });
    await provider.fetch({ grid: targetGrid(AREA, 1), bboxLonLat: AREA });
    expect(seen.tokenRequests).toBe(2);
  });

  it("fails the token exchange when the assertion is signed with the wrong key", async () => {
    const provider = gee({ serviceAccountKey: { ...serviceAccount, private_key: otherKeys.privateKey } });
    const err = await provider
      .fetch({ grid: targetGrid(AREA, 1), bboxLonLat: AREA })
      .catch((e: unknown) => e);
    expect(seen.problems).toEqual(["signature"]); // 400 is not retried
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect((err as Error).message).toBe("gee: HTTP 400 for OAuth token exchange");
  });

  it("treats masked (transparent) pixels as missing coverage", async () => {
    seen.mask = true;
    const err = await gee()
      .fetch({ grid: targetGrid(AREA, 1), bboxLonLat: AREA })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoCoverageError);
    expect((err as NoCoverageError).coverage).toBeCloseTo(0.5, 1);
  });

  it("reports computePixels errors and bad data", async () => {
    seen.computeStatus = 400;
    const err = await gee()
      .fetch({ grid: targetGrid(AREA, 1), bboxLonLat: AREA })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect((err as ProviderHttpError).status).toBe(400);
    seen.computeStatus = 200;
    server.handler = (req, res, body) => {
      if (req.url?.endsWith(":computePixels"))
        return void res.writeHead(200, { "content-type": "image/png" }).end("not a png");
      return handler(req, res, body);
    };
    try {
      await expect(gee().fetch({ grid: targetGrid(AREA, 1), bboxLonLat: AREA })).rejects.toThrow(
        ProviderBadDataError,
      );
    } finally {
      server.handler = handler;
    }
  });

  it("drops a token the service refused (401: revoked, rotated) and exchanges a new one next time", async () => {
    const provider = gee();
    const fetchArea = () => provider.fetch({ grid: targetGrid(AREA, 1), bboxLonLat: AREA });
    await fetchArea();
    expect(seen.tokenRequests).toBe(1);
    seen.computeStatus = 401;
    const err = await fetchArea().catch((e: unknown) => e);
    expect((err as ProviderHttpError).status).toBe(401);
    seen.computeStatus = 200;
    await fetchArea();
    expect(seen.tokenRequests).toBe(2);
  });

  it("refuses to build without a project or key, without quoting the key", () => {
    expect(() => createGeeProvider({ project: PROJECT, serviceAccountKey: "{oops" })).toThrow(
      /not valid JSON/,
    );
    const err = (() => {
      try {
        createGeeProvider({
          project: PROJECT,
          serviceAccountKey: { ...serviceAccount, private_key: "-----BEGIN nonsense" },
        });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toMatch(/not a valid PEM key/);
    expect(err?.message).not.toContain("nonsense");
  });

  it("refuses a key whose token_uri is plain http to another machine (the signed assertion would travel in clear)", () => {
    expect(() =>
      createGeeProvider({
        project: PROJECT,
        serviceAccountKey: { ...serviceAccount, token_uri: "http://oauth2.example.com/token" },
      }),
    ).toThrow(/token_uri must be an https URL/);
  });
});

describe("the shared token exchange", () => {
  it("one caller's abort does not fail another caller waiting for the same exchange", async () => {
    let requests = 0;
    const slow = await startLoopback((_req, res) => {
      requests++;
      setTimeout(() => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ access_token: ACCESS_TOKEN, expires_in: 3600, token_type: "Bearer" }));
      }, 300);
    });
    try {
      const tokens = new ServiceAccountTokenSource({
        provider: "gee",
        key: serviceAccount,
        tokenUri: `${slow.url}/token`,
        retry: FAST_RETRY,
      });
      const a = new AbortController();
      const first = tokens.token(a.signal);
      const second = tokens.token(new AbortController().signal);
      setTimeout(() => a.abort(new Error("client A left")), 50);
      await expect(first).rejects.toThrow("client A left");
      await expect(second).resolves.toBe(ACCESS_TOKEN);
      expect(requests).toBe(1);
    } finally {
      await slow.close();
    }
  });

  it("an exchange past its own deadline is a timeout for a caller that joined it late", async () => {
    const hung = await startLoopback(() => {}); // never answers
    try {
      const tokens = new ServiceAccountTokenSource({
        provider: "gee",
        key: serviceAccount,
        tokenUri: `${hung.url}/token`,
        retry: FAST_RETRY,
        exchangeTimeoutMs: 300,
      });
      const call = (ms: number) => withDeadline("gee", ms, undefined, (s) => tokens.token(s));
      const first = call(200).catch((e: unknown) => e);
      const deadline = Date.now() + 5_000;
      while (hung.requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      // Joins the running exchange with 5 s of its own: only the exchange's deadline (300 ms) can end
      // it. Before, that arrived as a raw TimeoutError, an "unexpected" provider failure.
      const late = await call(5_000).catch((e: unknown) => e);
      expect(hung.requests.length).toBe(1);
      expect(await first).toBeInstanceOf(ProviderTimeoutError);
      expect(late).toBeInstanceOf(ProviderTimeoutError);
    } finally {
      await hung.close();
    }
  });
});

describe("Earth Engine mosaic order", () => {
  it("sorts by capture time ascending, so the newest imagery is drawn on top", () => {
    const body = computePixelsBody(targetGrid([-121.5, 38.58, -121.499, 38.581], 0.6), NAIP_ASSET);
    const text = JSON.stringify(body.expression);
    expect(text).toContain('"key":{"constantValue":"system:time_start"}');
    expect(text).toContain('"ascending":{"constantValue":true}');
  });
});
