export { deleteKeysWithPrefix, keyPrefix } from "./keys.js";
export {
  connectRedis,
  ensureRedis,
  type RedisSource,
  type TestRedisClient,
} from "./redis.js";
export { startStack, type TestStack } from "./stack.js";
