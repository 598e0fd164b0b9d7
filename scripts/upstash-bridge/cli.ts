/**
 * Local Upstash REST bridge: `npm run bridge -- --port 8079 --token dev-token`.
 * Env: UPSTASH_BRIDGE_PORT, UPSTASH_BRIDGE_HOST, UPSTASH_REDIS_REST_TOKEN, REDIS_URL.
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { runCli, UsageError } from "../cli/run.js";
import { redact, startBridge } from "./server.js";

const USAGE =
  "usage: bridge [--port 8079] [--host 127.0.0.1] [--token TOKEN] [--redis-url redis://...]\n" +
  "env: UPSTASH_BRIDGE_PORT, UPSTASH_BRIDGE_HOST, UPSTASH_REDIS_REST_TOKEN, REDIS_URL";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      token: { type: "string" },
      "redis-url": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.info(USAGE);
    return;
  }
  const portText = values.port ?? process.env.UPSTASH_BRIDGE_PORT ?? "8079";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`invalid port: ${portText}`);
  const configuredToken = values.token ?? process.env.UPSTASH_REDIS_REST_TOKEN;
  const token = configuredToken || randomBytes(18).toString("base64url");

  const bridge = await startBridge({
    port,
    host: values.host ?? process.env.UPSTASH_BRIDGE_HOST ?? "127.0.0.1",
    token,
    redisUrl: values["redis-url"] ?? process.env.REDIS_URL,
    onRedisError: (error) => console.error(`upstash-bridge: redis: ${error.message}`),
  });
  console.info(`upstash-bridge listening on ${bridge.url} -> ${redact(bridge.redisUrl)}`);
  console.info(`UPSTASH_REDIS_REST_URL=${bridge.url}`);
  // Only echo a token we made up; a configured one is already known to the caller.
  if (!configuredToken) console.info(`UPSTASH_REDIS_REST_TOKEN=${token}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.info(`upstash-bridge: ${signal}, closing`);
    bridge.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`upstash-bridge: close failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

runCli("upstash-bridge", main);
