import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectRedis,
  deleteKeysWithPrefix,
  keyPrefix,
  startStack,
  type TestStack,
} from "../../../test/harness/index.js";
import { bytesToBase64url } from "../cache/base64.js";
import { createRedisClient } from "../redis/client.js";
import { KeySpace } from "../redis/keys.js";
import { API_KEY_PATTERN, ApiKeyStore, hashApiKey, TAG_SECRET_RECHECK_MS } from "./api-keys.js";

let stack: TestStack;
const prefixes: string[] = [];

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  if (!stack) return;
  const direct = await connectRedis(stack.redisUrl);
  for (const prefix of prefixes) await deleteKeysWithPrefix(direct, prefix);
  await direct.quit();
  await stack.close();
});

/** A store of its own (as one isolate or one CLI run has), under a prefix of the test's own. */
function store(prefix: string, now?: () => number): ApiKeyStore {
  return new ApiKeyStore(
    createRedisClient({ url: stack.url, token: stack.token, timeoutMs: 2_000 }),
    new KeySpace(prefix),
    now,
  );
}

function newPrefix(name: string): string {
  const prefix = keyPrefix(name);
  prefixes.push(prefix);
  return prefix;
}

/** What an operator does to replace the tag secret: delete it (the next create makes a new one). */
async function deleteTagSecret(prefix: string): Promise<void> {
  const direct = await connectRedis(stack.redisUrl);
  try {
    await direct.del(new KeySpace(prefix).apiKeyTagSecret());
  } finally {
    await direct.quit();
  }
}

/** Redis commands the bridge received while `fn` ran. */
async function commandsDuring(fn: () => Promise<unknown>): Promise<number> {
  const before = stack.bridge.stats.commands;
  await fn();
  return stack.bridge.stats.commands - before;
}

/** A key in the right shape that no store made: 32 random bytes, as keys were before tags. */
const madeUpKey = () => `lsn_${bytesToBase64url(crypto.getRandomValues(new Uint8Array(32)))}`;

/** The same key with one of its random bytes' characters changed. */
function withRandomPartChanged(key: string): string {
  const i = 10;
  return key.slice(0, i) + (key[i] === "A" ? "B" : "A") + key.slice(i + 1);
}

describe("ApiKeyStore", () => {
  it("refuses, without a Redis command once the tag secret is known, keys it did not make", async () => {
    const prefix = newPrefix("apikey-tag");
    const cli = store(prefix);
    const { key } = await cli.create("tag-user");
    expect(key).toMatch(API_KEY_PATTERN);

    const worker = store(prefix);
    // First lookup: the secret and the record come in one round trip (one MGET).
    const before = stack.bridge.stats.byCommand.get("MGET") ?? 0;
    expect(await commandsDuring(async () => expect((await worker.lookup(key))?.user).toBe("tag-user"))).toBe(
      1,
    );
    expect(stack.bridge.stats.byCommand.get("MGET")).toBe(before + 1);

    for (const forged of [madeUpKey(), withRandomPartChanged(key)]) {
      expect(forged).toMatch(API_KEY_PATTERN);
      expect(await commandsDuring(async () => expect(await worker.lookup(forged)).toBeNull())).toBe(0);
    }
    // A genuine key still costs its one GET: the stored record, not the tag, says it is valid.
    expect(await commandsDuring(async () => expect((await worker.lookup(key))?.user).toBe("tag-user"))).toBe(
      1,
    );
    expect(await cli.revoke(key)).toBe(true);
    expect(await worker.lookup(key)).toBeNull();
  });

  it("accepts only the canonical spelling of a key (base64url's last character has spare bits)", async () => {
    const prefix = newPrefix("apikey-canonical");
    const s = store(prefix);
    const { key } = await s.create("canonical-user");
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(key.at(-1)!);
    // The 43rd character carries 4 bits of the key and 2 spare bits: these spell the same bytes.
    const sameBytes = [1, 2, 3].map((spare) => key.slice(0, -1) + alphabet[(last & ~3) | spare]!);
    for (const variant of sameBytes) {
      expect(variant).not.toBe(key);
      expect(await commandsDuring(async () => expect(await s.lookup(variant)).toBeNull())).toBe(0);
    }
    expect((await s.lookup(key))?.user).toBe("canonical-user");
  });

  it("refuses every key, reading Redis each time, while no key was ever made under the prefix", async () => {
    const prefix = newPrefix("apikey-empty");
    const worker = store(prefix);
    expect(await commandsDuring(async () => expect(await worker.lookup(madeUpKey())).toBeNull())).toBe(1);
    // The secret is not remembered as missing: the first key made afterwards works at once.
    const { key } = await store(prefix).create("first-user");
    expect((await worker.lookup(key))?.user).toBe("first-user");
  });

  it("notices a replaced tag secret within a minute, reading it at most once a minute meanwhile", async () => {
    const prefix = newPrefix("apikey-replaced");
    const { key: old } = await store(prefix).create("old-user");
    let t = 1_000_000;
    const worker = store(prefix, () => t);
    expect((await worker.lookup(old))?.user).toBe("old-user");

    await deleteTagSecret(prefix);
    const { key: fresh } = await store(prefix).create("new-user");
    // Within the minute: the new key fails the secret the isolate holds, and costs nothing.
    t += TAG_SECRET_RECHECK_MS - 1;
    for (let i = 0; i < 3; i++) {
      expect(await commandsDuring(async () => expect(await worker.lookup(fresh)).toBeNull())).toBe(0);
    }
    // Then one lookup reads the secret again (one MGET) and takes the new key at once.
    t += 1;
    expect(
      await commandsDuring(async () => expect((await worker.lookup(fresh))?.user).toBe("new-user")),
    ).toBe(1);
    // The old key's tag is no longer valid, and the check was just made: no command.
    expect(await commandsDuring(async () => expect(await worker.lookup(old)).toBeNull())).toBe(0);
    expect(
      await commandsDuring(async () => expect((await worker.lookup(fresh))?.user).toBe("new-user")),
    ).toBe(1);
  });

  it("treats an empty tag secret as none: lookups refuse, create says what is wrong", async () => {
    const prefix = newPrefix("apikey-empty-secret");
    const { key } = await store(prefix).create("before-user");
    const direct = await connectRedis(stack.redisUrl);
    try {
      await direct.set(new KeySpace(prefix).apiKeyTagSecret(), "");
    } finally {
      await direct.quit();
    }
    const worker = store(prefix);
    expect(await worker.lookup(key)).toBeNull();
    await expect(store(prefix).create("after-user")).rejects.toThrow(
      `the API key tag secret (${prefix}apikey-tag-secret) is empty: delete it to have a new one made`,
    );
    // Once the operator deletes it, the next create makes a new one and the same store takes its keys.
    await deleteTagSecret(prefix);
    const { key: next } = await store(prefix).create("after-user");
    expect((await worker.lookup(next))?.user).toBe("after-user");
  });

  it("makes one tag secret per prefix, whoever creates keys first and however many at once", async () => {
    const prefix = newPrefix("apikey-race");
    const made = await Promise.all(Array.from({ length: 6 }, (_, i) => store(prefix).create(`racer-${i}`)));
    const worker = store(prefix);
    for (const [i, { key, hash }] of made.entries()) {
      expect(hash).toBe(await hashApiKey(key));
      expect((await worker.lookup(key))?.user).toBe(`racer-${i}`);
    }
    // Another prefix has its own secret: a key of this one is not even tagged right there.
    const other = newPrefix("apikey-other");
    await store(other).create("other-user");
    const otherWorker = store(other);
    await otherWorker.lookup(made[0]!.key);
    expect(await commandsDuring(async () => expect(await otherWorker.lookup(made[0]!.key)).toBeNull())).toBe(
      0,
    );
  });

  it("lists each stored key with its standing: valid, made under a replaced secret, or not recorded", async () => {
    const prefix = newPrefix("apikey-list");
    const space = new KeySpace(prefix);
    const cli = store(prefix);
    const old = await cli.create("list-user", new Date("2026-01-01T00:00:00Z"));
    const direct = await connectRedis(stack.redisUrl);
    // A record as keys were stored before they named their secret (no secret_id).
    const bare = "0".repeat(64);
    try {
      await direct.set(
        space.apiKey(bare),
        JSON.stringify({ user: "list-user", created_at: "2025-06-01T00:00:00Z" }),
      );
      await direct.sAdd(space.userKeys("list-user"), bare);
      expect((await cli.list("list-user")).map((k) => [k.hash, k.standing])).toEqual([
        [bare, "secret-not-recorded"],
        [old.hash, "valid"],
      ]);
      // The operator replaces the secret: the old key is still stored, but no lookup takes it.
      await direct.del(space.apiKeyTagSecret());
    } finally {
      await direct.quit();
    }
    const fresh = await cli.create("list-user", new Date("2026-02-01T00:00:00Z"));
    expect(await store(prefix).lookup(old.key)).toBeNull();
    expect((await cli.list("list-user")).map((k) => [k.hash, k.created_at, k.standing])).toEqual([
      [bare, "2025-06-01T00:00:00Z", "secret-not-recorded"],
      [old.hash, "2026-01-01T00:00:00.000Z", "made-under-replaced-secret"],
      [fresh.hash, "2026-02-01T00:00:00.000Z", "valid"],
    ]);
  });
});
