import { randomBytes } from "node:crypto";
import type { TestRedisClient } from "./redis.js";

/**
 * A key prefix no other test, suite or concurrent run uses, e.g. `t:ratelimit:4821:9f3a1c2b:`.
 * Put every key a test touches under it, and clean up with deleteKeysWithPrefix().
 */
export function keyPrefix(label: string): string {
  const safeLabel = label.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 40);
  return `t:${safeLabel}:${process.pid}:${randomBytes(4).toString("hex")}:`;
}

/** Delete every key that starts with `prefix` (SCAN + UNLINK; never FLUSHALL a shared Redis). */
export async function deleteKeysWithPrefix(client: TestRedisClient, prefix: string): Promise<number> {
  const pattern = `${prefix.replace(/[\\*?[\]]/g, "\\$&")}*`;
  let deleted = 0;
  for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
    if (keys.length > 0) deleted += await client.unlink(keys);
  }
  return deleted;
}
