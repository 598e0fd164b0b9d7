/** Process entry of the backend: configuration from the environment, signals for shutdown. */
import { loadConfig } from "./config.js";
import { createLogger } from "./observability/logger.js";
import { StartFailure, startBackend } from "./server.js";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (e) {
    console.error(`lanesegnet-backend: ${(e as Error).message}`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  let backend: Awaited<ReturnType<typeof startBackend>>;
  try {
    backend = await startBackend(config, { logger });
  } catch (e) {
    console.error(`lanesegnet-backend: cannot start: ${(e as Error).message}`);
    // Said first: a run hung for good is cut off after a minute, which aborts the process.
    if (e instanceof StartFailure) await e.settled;
    process.exit(1);
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      logger.info({ signal }, "shutting down: finishing in-flight analyses");
      void backend.close().then(() => process.exit(0));
    });
  }
}

void main();
