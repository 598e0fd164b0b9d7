import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BODY_PREFIX_HIT,
  BODY_PREFIX_MISS,
  CacheEntryError,
  decodeEntry,
  encodeEntry,
  etagOf,
} from "./entry.js";

const body = (rest: string) => `${BODY_PREFIX_MISS}"id":"x"},"features":[${rest}]}`;
const meta = { etag: 'W/"abc"', provider: "esri" };

describe("cache entries", () => {
  it("stores small bodies as text and returns them with cache HIT", async () => {
    const b = body('{"a":1}');
    const stored = await encodeEntry(b, meta, { compressMinBytes: 1_000 });
    expect(stored.startsWith('E1 j W/"abc" esri\n')).toBe(true);
    const decoded = await decodeEntry(stored);
    expect(decoded).toEqual({
      header: 'E1 j W/"abc" esri\n',
      body: b.replace('"cache":"MISS"', '"cache":"HIT"'),
      etag: 'W/"abc"',
      provider: "esri",
      compressed: false,
    });
    expect(JSON.parse(decoded.body).analysis.cache).toBe("HIT");
  });

  it("compresses large bodies (base64 gzip) and restores them exactly", async () => {
    const b = body(Array.from({ length: 500 }, (_, i) => `{"id":"f${i}","ü":"é"}`).join(","));
    const stored = await encodeEntry(b, meta, { compressMinBytes: 1_000 });
    expect(stored.startsWith("E1 z ")).toBe(true);
    expect(stored.length).toBeLessThan(b.length / 4);
    const decoded = await decodeEntry(stored);
    expect(decoded.compressed).toBe(true);
    expect(decoded.body).toBe(BODY_PREFIX_HIT + b.slice(BODY_PREFIX_MISS.length));
  });

  it("round-trips any body, compressed or not", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "grapheme", maxLength: 300 }), fc.boolean(), async (s, compress) => {
        const b = body(JSON.stringify(s));
        const stored = await encodeEntry(b, meta, { compressMinBytes: compress ? 0 : 1e9 });
        const decoded = await decodeEntry(stored);
        expect(decoded.body).toBe(BODY_PREFIX_HIT + b.slice(BODY_PREFIX_MISS.length));
      }),
      { numRuns: 60 },
    );
  });

  it("refuses bodies without the prefix and corrupt entries", async () => {
    await expect(encodeEntry('{"type":"FeatureCollection"}', meta, { compressMinBytes: 0 })).rejects.toThrow(
      CacheEntryError,
    );
    await expect(
      encodeEntry(body(""), { etag: "a b", provider: "x" }, { compressMinBytes: 0 }),
    ).rejects.toThrow(CacheEntryError);
    await expect(decodeEntry("garbage")).rejects.toThrow(CacheEntryError);
    await expect(decodeEntry("E2 j e p\n{}")).rejects.toThrow(CacheEntryError);
    await expect(decodeEntry("E1 q e p\n{}")).rejects.toThrow(CacheEntryError);
    await expect(decodeEntry('E1 j e p\n{"type":"x"}')).rejects.toThrow(CacheEntryError);
    // Damaged compressed entries are unreadable too (not an error that became a 500 on every read).
    await expect(decodeEntry("E1 z e p\n%%% not base64 %%%")).rejects.toThrow(CacheEntryError);
    await expect(decodeEntry(`E1 z e p\n${btoa("not gzip at all")}`)).rejects.toThrow(CacheEntryError);
  });

  it("makes weak ETags that change with the body", async () => {
    const a = await etagOf(body("1"));
    expect(a).toMatch(/^W\/"[A-Za-z0-9_-]{22}"$/);
    expect(await etagOf(body("1"))).toBe(a);
    expect(await etagOf(body("2"))).not.toBe(a);
  });
});
