/** One Redis + bridge stack per test file, with its own key prefix, cleaned up after the file. */
import { afterAll, beforeAll } from "vitest";
import {
  connectRedis,
  deleteKeysWithPrefix,
  keyPrefix,
  startStack,
  type TestRedisClient,
  type TestStack,
} from "./index.js";

export interface StackContext {
  stack: TestStack;
  direct: TestRedisClient;
  readonly prefix: string;
}

export function useStack(name: string): StackContext {
  const ctx = { prefix: keyPrefix(name) } as StackContext;
  beforeAll(async () => {
    ctx.stack = await startStack();
    ctx.direct = await connectRedis(ctx.stack.redisUrl);
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(ctx.direct, ctx.prefix);
    await ctx.direct.quit();
    await ctx.stack.close();
  });
  return ctx;
}
