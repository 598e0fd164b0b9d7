import { randomBytes } from "node:crypto";
import { type Bridge, startBridge } from "../../scripts/upstash-bridge/server.js";
import { ensureRedis } from "./redis.js";

export interface TestStack {
  /** Upstash REST URL of the bridge (UPSTASH_REDIS_REST_URL). */
  readonly url: string;
  /** Its token (UPSTASH_REDIS_REST_TOKEN). */
  readonly token: string;
  /** The Redis behind it, for direct inspection with connectRedis(). */
  readonly redisUrl: string;
  /** The bridge itself (request/command counters in `bridge.stats`). */
  readonly bridge: Bridge;
  close(): Promise<void>;
}

/** Start a Redis (see ensureRedis) and an Upstash bridge on a free loopback port in front of it. */
export async function startStack(options: { token?: string } = {}): Promise<TestStack> {
  const redis = await ensureRedis();
  let bridge: Bridge;
  try {
    bridge = await startBridge({
      port: 0,
      token: options.token ?? `test-${randomBytes(12).toString("hex")}`,
      redisUrl: redis.url,
    });
  } catch (error) {
    await redis.stop();
    throw error;
  }
  return {
    url: bridge.url,
    token: bridge.token,
    redisUrl: redis.url,
    bridge,
    async close() {
      await bridge.close();
      await redis.stop();
    },
  };
}
