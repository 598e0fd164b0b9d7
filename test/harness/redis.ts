import { createClient } from "redis";
import { type RedisSource, resolveRedis } from "../../scripts/upstash-bridge/redis-source.js";

export type { RedisSource } from "../../scripts/upstash-bridge/redis-source.js";

let shared: Promise<RedisSource> | undefined;
let users = 0;

/**
 * A Redis for tests: REDIS_URL, else 127.0.0.1:6379 if it answers PING, else a redis-server of our
 * own on a free port. Shared by every caller in this process; the spawned server stops when the last
 * caller calls stop(). Rejects with one clear line when no Redis can be had.
 * Never FLUSHALL it: other suites use the same Redis concurrently; use keyPrefix() instead.
 */
export async function ensureRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  shared ??= resolveRedis();
  let source: RedisSource;
  try {
    source = await shared;
  } catch (error) {
    shared = undefined;
    throw error;
  }
  users++;
  let stopped = false;
  return {
    url: source.url,
    async stop() {
      if (stopped) return;
      stopped = true;
      users--;
      if (users === 0) {
        shared = undefined;
        await source.stop();
      }
    },
  };
}

/** A plain node-redis client (string replies) for seeding and inspecting data in tests. */
export async function connectRedis(url: string) {
  const client = createClient({ url });
  client.on("error", () => {});
  await client.connect();
  return client;
}
export type TestRedisClient = Awaited<ReturnType<typeof connectRedis>>;
