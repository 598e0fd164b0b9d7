export type { BridgeStats } from "./commands.js";
export { replyToJson } from "./encode.js";
export {
  extractVerifiedShebangScripts,
  readRatelimitScripts,
  ShebangScriptRegistry,
  sha1Hex,
  stripShebang,
} from "./lua-scripts.js";
export { freePort, pingRedis, type RedisSource, resolveRedis, spawnRedisServer } from "./redis-source.js";
export { type Bridge, type BridgeOptions, redact, startBridge } from "./server.js";
