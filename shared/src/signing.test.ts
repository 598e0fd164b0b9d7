import { describe, expect, it } from "vitest";
import { bytesToHex, hexToBytes, sha256Hex } from "./crypto.js";
import {
  NonceCache,
  RESPONSE_SIGNATURE_HEADER,
  type SignedMessage,
  signRequest,
  signResponse,
  verifyRequest,
  verifyResponse,
} from "./signing.js";

const SECRET = "0123456789abcdef0123456789abcdef-test-secret";
const NOW = 1_790_000_000_000;
const msg: SignedMessage = { method: "POST", path: "/v1/infer?x=1", body: '{"area":{"type":"bbox"}}' };

/** HMAC-SHA256 of `text` under SECRET, recomputed with WebCrypto alone (not through signing.ts). */
async function independentHmacHex(text: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return bytesToHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(text))));
}

describe("crypto helpers", () => {
  it("hashes with SHA-256 (FIPS 180-2 test vector) and round-trips hex", async () => {
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await sha256Hex(new TextEncoder().encode("abc"))).toBe(await sha256Hex("abc"));
    const bytes = new Uint8Array([0, 1, 254, 255]);
    expect(bytesToHex(bytes)).toBe("0001feff");
    expect(hexToBytes("0001FEff")).toEqual(bytes);
    expect(hexToBytes("abc")).toBeNull();
    expect(hexToBytes("zz")).toBeNull();
  });
});

describe("request signing", () => {
  it("produces the documented HMAC-SHA256 over timestamp, nonce, method, path and body hash", async () => {
    const h = await signRequest(SECRET, msg, { now: NOW, nonce: "n".repeat(32) });
    expect(h["X-LSN-Timestamp"]).toBe("1790000000");
    expect(h["X-LSN-Nonce"]).toBe("n".repeat(32));
    const text = `1790000000\n${"n".repeat(32)}\nPOST\n/v1/infer?x=1\n${await sha256Hex(msg.body as string)}`;
    expect(h["X-LSN-Signature"]).toBe(await independentHmacHex(text));
  });

  it("accepts a valid request (Headers object or plain record, any header case)", async () => {
    const h = await signRequest(SECRET, msg, { now: NOW });
    const r = await verifyRequest(SECRET, new Headers(h), msg, { now: NOW + 5_000 });
    expect(r).toEqual({ ok: true, nonce: h["X-LSN-Nonce"], timestamp: NOW / 1000 });
    const lower = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
    expect((await verifyRequest(SECRET, lower, msg, { now: NOW })).ok).toBe(true);
    // Method case does not matter; an empty body equals no body.
    expect((await verifyRequest(SECRET, h, { ...msg, method: "post" }, { now: NOW })).ok).toBe(true);
    const empty = await signRequest(SECRET, { method: "GET", path: "/health" }, { now: NOW });
    expect(
      (await verifyRequest(SECRET, empty, { method: "GET", path: "/health", body: "" }, { now: NOW })).ok,
    ).toBe(true);
    const bin = await signRequest(SECRET, { ...msg, body: new Uint8Array([1, 2, 3]) }, { now: NOW });
    expect(
      (await verifyRequest(SECRET, bin, { ...msg, body: new Uint8Array([1, 2, 3]).buffer }, { now: NOW })).ok,
    ).toBe(true);
  });

  it("fails on a tampered body, path, method, timestamp or nonce", async () => {
    const h = await signRequest(SECRET, msg, { now: NOW });
    const bad = { ok: false, reason: "bad_signature" };
    expect(await verifyRequest(SECRET, h, { ...msg, body: `${msg.body} ` }, { now: NOW })).toEqual(bad);
    expect(await verifyRequest(SECRET, h, { ...msg, path: "/v1/infer?x=2" }, { now: NOW })).toEqual(bad);
    expect(await verifyRequest(SECRET, h, { ...msg, method: "PUT" }, { now: NOW })).toEqual(bad);
    const ts = { ...h, "X-LSN-Timestamp": String(Number(h["X-LSN-Timestamp"]) + 1) };
    expect(await verifyRequest(SECRET, ts, msg, { now: NOW })).toEqual(bad);
    const nonce = { ...h, "X-LSN-Nonce": "x".repeat(32) };
    expect(await verifyRequest(SECRET, nonce, msg, { now: NOW })).toEqual(bad);
    expect(await verifyRequest(`${SECRET}!`, h, msg, { now: NOW })).toEqual(bad);
    const flipped = h["X-LSN-Signature"].replace(/^./, (c) => (c === "0" ? "1" : "0"));
    expect(await verifyRequest(SECRET, { ...h, "X-LSN-Signature": flipped }, msg, { now: NOW })).toEqual(bad);
  });

  it("fails when the clock skew exceeds 60 s either way", async () => {
    const h = await signRequest(SECRET, msg, { now: NOW });
    expect((await verifyRequest(SECRET, h, msg, { now: NOW + 60_000 })).ok).toBe(true);
    expect((await verifyRequest(SECRET, h, msg, { now: NOW - 60_000 })).ok).toBe(true);
    const skew = { ok: false, reason: "timestamp_skew" };
    expect(await verifyRequest(SECRET, h, msg, { now: NOW + 61_000 })).toEqual(skew);
    expect(await verifyRequest(SECRET, h, msg, { now: NOW - 61_000 })).toEqual(skew);
    expect(await verifyRequest(SECRET, h, msg, { now: NOW + 11_000, maxSkewS: 10 })).toEqual(skew);
  });

  it("reports missing and malformed headers without throwing", async () => {
    const h = await signRequest(SECRET, msg, { now: NOW });
    const { "X-LSN-Nonce": _n, ...noNonce } = h;
    expect(await verifyRequest(SECRET, noNonce, msg, { now: NOW })).toEqual({
      ok: false,
      reason: "missing_header",
    });
    for (const patch of [
      { "X-LSN-Timestamp": "1.5e9" },
      { "X-LSN-Timestamp": "" },
      { "X-LSN-Nonce": "short" },
      { "X-LSN-Nonce": "a b".repeat(8) },
      { "X-LSN-Signature": "zz".repeat(32) },
      { "X-LSN-Signature": h["X-LSN-Signature"].toUpperCase() },
      { "X-LSN-Signature": h["X-LSN-Signature"].slice(2) },
    ]) {
      expect(await verifyRequest(SECRET, { ...h, ...patch }, msg, { now: NOW })).toEqual({
        ok: false,
        reason: "malformed_header",
      });
    }
    // A repeated header (Node's array form) is refused.
    const repeated = { ...h, "x-lsn-nonce": [h["X-LSN-Nonce"], h["X-LSN-Nonce"]] };
    const { "X-LSN-Nonce": _m, ...rest } = repeated;
    expect((await verifyRequest(SECRET, rest, msg, { now: NOW })).ok).toBe(false);
  });

  it("refuses short secrets", async () => {
    await expect(signRequest("short", msg)).rejects.toThrow(RangeError);
  });

  it("uses a fresh random nonce each time", async () => {
    const a = await signRequest(SECRET, msg, { now: NOW });
    const b = await signRequest(SECRET, msg, { now: NOW });
    expect(a["X-LSN-Nonce"]).toMatch(/^[0-9a-f]{32}$/);
    expect(a["X-LSN-Nonce"]).not.toBe(b["X-LSN-Nonce"]);
  });
});

describe("response signing", () => {
  const nonce = "r".repeat(32);
  const body = '{"type":"FeatureCollection"}';

  it("is the documented HMAC-SHA256 over a label, the request's nonce, the status and the body hash", async () => {
    const text = `lsn-response\n${nonce}\n200\n${await sha256Hex(body)}`;
    expect(await signResponse(SECRET, nonce, 200, body)).toBe(await independentHmacHex(text));
  });

  it("verifies only the same body, status, request nonce and secret", async () => {
    const signature = await signResponse(SECRET, nonce, 200, body);
    const headers = { [RESPONSE_SIGNATURE_HEADER.toLowerCase()]: signature };
    expect(await verifyResponse(SECRET, nonce, 200, headers, new TextEncoder().encode(body))).toBe(true);
    expect(await verifyResponse(SECRET, nonce, 200, new Headers(headers), body)).toBe(true);
    expect(await verifyResponse(SECRET, nonce, 200, headers, `${body} `)).toBe(false);
    expect(await verifyResponse(SECRET, nonce, 201, headers, body)).toBe(false);
    expect(await verifyResponse(SECRET, "s".repeat(32), 200, headers, body)).toBe(false);
    expect(await verifyResponse(`${SECRET}-other`, nonce, 200, headers, body)).toBe(false);
    expect(await verifyResponse(SECRET, nonce, 200, {}, body)).toBe(false);
    expect(await verifyResponse(SECRET, nonce, 200, { [RESPONSE_SIGNATURE_HEADER]: "zz" }, body)).toBe(false);
  });
});

describe("NonceCache", () => {
  it("detects replays within the TTL and forgets nonces after it", () => {
    const c = new NonceCache({ ttlMs: 120_000 });
    expect(c.check("a", 0)).toBe("fresh");
    expect(c.check("a", 119_999)).toBe("replayed");
    expect(c.check("a", 120_000)).toBe("fresh");
    expect(c.size).toBe(1);
  });

  it("refuses new nonces when full instead of forgetting unexpired ones", () => {
    const c = new NonceCache({ ttlMs: 1_000, maxEntries: 2 });
    expect(c.check("a", 0)).toBe("fresh");
    expect(c.check("b", 10)).toBe("fresh");
    expect(c.check("c", 20)).toBe("full");
    expect(c.check("a", 30)).toBe("replayed");
    expect(c.check("c", 1_000)).toBe("fresh"); // "a" expired and was evicted
    expect(c.size).toBe(2);
  });
});
