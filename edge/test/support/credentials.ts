/** API keys (created through the same store the CLI uses) and JWTs for tests. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sign } from "hono/utils/jwt/jwt";
import { ApiKeyStore } from "../../src/auth/api-keys.js";
import { createRedisClient } from "../../src/redis/client.js";
import { KeySpace } from "../../src/redis/keys.js";
import { JWT_SECRET, type Rig } from "./edge.js";

export function keyStore(rig: Rig): ApiKeyStore {
  const redis = createRedisClient({ url: rig.stack.url, token: rig.stack.token, timeoutMs: 5_000 });
  return new ApiKeyStore(redis, new KeySpace(rig.prefix));
}

export async function createKey(rig: Rig, user: string): Promise<string> {
  return (await keyStore(rig).create(user)).key;
}

export function hsToken(claims: Record<string, unknown>, secret: string = JWT_SECRET): Promise<string> {
  return sign({ exp: Math.floor(Date.now() / 1000) + 600, ...claims }, secret, "HS256");
}

/** An RS256 key pair, its JWKS served on a loopback port, and a signer. */
export class JwksServer {
  /** JWKS requests served. */
  requests = 0;
  /** Answer 503 instead of the set. */
  down = false;

  private constructor(
    private readonly server: Server,
    private readonly privateJwk: JsonWebKey & { kid: string; alg: "RS256" },
  ) {}

  static async start(kid = "test-key-1"): Promise<JwksServer> {
    const pair = (await crypto.subtle.generateKey(
      {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const publicJwk = {
      ...(await crypto.subtle.exportKey("jwk", pair.publicKey)),
      kid,
      alg: "RS256",
      use: "sig",
    };
    const privateJwk = {
      ...(await crypto.subtle.exportKey("jwk", pair.privateKey)),
      kid,
      alg: "RS256" as const,
    };
    let self: JwksServer | undefined;
    const server = createServer((_req, res) => {
      if (self) self.requests++;
      if (self?.down) {
        res.writeHead(503);
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    self = new JwksServer(server, privateJwk);
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  token(claims: Record<string, unknown>, kid?: string): Promise<string> {
    const key = kid === undefined ? this.privateJwk : { ...this.privateJwk, kid };
    return sign({ exp: Math.floor(Date.now() / 1000) + 600, ...claims }, key);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
