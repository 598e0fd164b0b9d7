/** PictureStore.entryFor against a real Redis (through the Upstash bridge, as the Worker reaches it). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectRedis,
  deleteKeysWithPrefix,
  keyPrefix,
  startStack,
  type TestStack,
} from "../../../test/harness/index.js";
import { createRedisClient } from "../redis/client.js";
import { KeySpace } from "../redis/keys.js";
import { PictureStore } from "./store.js";

const prefix = keyPrefix("picture-store");
let stack: TestStack;
let store: PictureStore;

beforeAll(async () => {
  stack = await startStack();
  const redis = createRedisClient({ url: stack.url, token: stack.token, timeoutMs: 5_000 });
  store = new PictureStore(redis, new KeySpace(prefix), 1_000_000);
});
afterAll(async () => {
  const direct = await connectRedis(stack.redisUrl);
  await deleteKeysWithPrefix(direct, prefix);
  await direct.quit();
  await stack?.close();
});

describe("PictureStore.entryFor", () => {
  it("keeps a picture for its result's remaining time only, and not at all once the result is gone", async () => {
    const id = "a".repeat(64);
    const keys = new KeySpace(prefix);
    const picture = { png: new Uint8Array([1, 2, 3]), etag: '"e"', bounds: "1,2,3,4" };
    const direct = await connectRedis(stack.redisUrl);
    try {
      await direct.set(keys.result(id), "{}", { PX: 5_000 });
      const entry = await store.entryFor(id, picture);
      expect(entry?.ttlMs).toBeGreaterThan(4_000);
      expect(entry?.ttlMs).toBeLessThanOrEqual(5_000);
      await direct.del(keys.result(id));
      expect(await store.entryFor(id, picture)).toBeNull();
    } finally {
      await direct.quit();
    }
  });
});
