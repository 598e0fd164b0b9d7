/** The bridge's helpers: shebang scripts, Redis discovery and the test harness itself. */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  extractVerifiedShebangScripts,
  readRatelimitScripts,
  ShebangScriptRegistry,
  sha1Hex,
  stripShebang,
} from "../../scripts/upstash-bridge/lua-scripts.js";
import { pingRedis, redisServerBinary, resolveRedis } from "../../scripts/upstash-bridge/redis-source.js";
import { connectRedis, deleteKeysWithPrefix, ensureRedis, keyPrefix } from "../harness/index.js";

describe("shebang scripts", () => {
  it("blanks the shebang line but keeps line numbers", () => {
    expect(stripShebang("#!lua flags=allow-key-locking\nreturn 1\nreturn 2")).toBe("\nreturn 1\nreturn 2");
    expect(stripShebang("return 1")).toBe("return 1");
    expect(stripShebang("#!lua")).toBe("");
  });

  it("maps the original SHA1 to the stripped script", () => {
    const registry = new ShebangScriptRegistry();
    const script = "#!lua flags=allow-key-locking\nreturn 1";
    const entry = registry.register(script);
    expect(entry.originalSha).toBe(sha1Hex(script));
    expect(entry.strippedSha).toBe(sha1Hex("\nreturn 1"));
    expect(registry.bySha(entry.originalSha.toUpperCase())).toBe(entry);
    expect(registry.register(script)).toBe(entry);
    expect(registry.size).toBe(1);
  });

  it("finds every hard-coded @upstash/ratelimit hash whose script has a shebang", async () => {
    const bundle = await readFile(createRequire(import.meta.url).resolve("@upstash/ratelimit"), "utf8");
    const hardCoded = new Set(Array.from(bundle.matchAll(/hash:\s*"([0-9a-f]{40})"/g), (m) => m[1]));
    const scripts = await readRatelimitScripts();
    const found = new Set(scripts.map(sha1Hex));
    // 2.2 ships 12 shebang scripts (single- and multi-region) plus the reset script without one.
    expect(scripts.length).toBeGreaterThanOrEqual(12);
    for (const sha of found) expect(hardCoded.has(sha)).toBe(true);
    for (const known of [
      "b2efc02798c8e9b471a10f9b1d5745db89923ff3",
      "74740bb3d7792848093cdef586b6b6037c455fd6",
    ]) {
      expect(found.has(known)).toBe(true);
    }
    // tokenBucket's getRemaining interpolates a constant; it must still be found.
    expect(found.has("40daf4a441df736f5c99f8b77bbe176c909e5de4")).toBe(true);
  });

  it("keeps only scripts whose hash the bundle hard-codes", () => {
    const good = "#!lua\nreturn 1";
    const bundle = `var a = \`${good}\`; var b = \`#!lua\nreturn 2\`; x = { hash: "${sha1Hex(good)}" }`;
    expect(extractVerifiedShebangScripts(bundle)).toEqual([good]);
  });
});

/** Only the absence of a redis-server may skip the spawn test (.ci/run installs it). */
const hasRedisServer = (await redisServerBinary({ PATH: process.env.PATH ?? "" })) !== null;
if (!hasRedisServer)
  console.warn("redis-server spawn test skipped: no redis-server on PATH (apt-get install -y redis-server)");

describe("resolveRedis", () => {
  it("uses an explicit URL as given", async () => {
    const source = await resolveRedis({ url: "redis://example.invalid:1234", env: {} });
    expect(source).toMatchObject({ url: "redis://example.invalid:1234", origin: "url" });
  });

  it("says clearly what is missing when no Redis can be had", async () => {
    await expect(resolveRedis({ env: { PATH: "" }, tryDefaultPort: false })).rejects.toThrow(
      /No Redis available: REDIS_URL is not set.*no redis-server binary is on PATH/,
    );
  });

  it.skipIf(!hasRedisServer)("starts a redis-server of its own on a free port and stops it", async () => {
    const source = await resolveRedis({ env: { PATH: process.env.PATH ?? "" }, tryDefaultPort: false });
    expect(source.origin).toBe("spawned");
    const port = Number(new URL(source.url).port);
    expect(port).not.toBe(6379);
    expect(await pingRedis("127.0.0.1", port)).toBe("PONG");
    await source.stop();
    expect(await pingRedis("127.0.0.1", port)).toBeNull();
  });
});

describe("test harness", () => {
  it("gives unique prefixes and deletes only keys under one", async () => {
    const a = keyPrefix("harness");
    const b = keyPrefix("harness");
    expect(a).not.toBe(b);
    const redis = await ensureRedis();
    const client = await connectRedis(redis.url);
    try {
      // A glob character in the label must not widen the match.
      const star = keyPrefix("h*");
      await client.mSet([`${a}1`, "x", `${a}2`, "y", `${b}1`, "z", `${star}1`, "w"]);
      expect(await deleteKeysWithPrefix(client, a)).toBe(2);
      expect(await client.exists([`${a}1`, `${a}2`, `${b}1`])).toBe(1);
      expect(await deleteKeysWithPrefix(client, b)).toBe(1);
      expect(await deleteKeysWithPrefix(client, star)).toBe(1);
    } finally {
      await client.quit();
      await redis.stop();
    }
  });
});
