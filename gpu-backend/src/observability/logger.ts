/** Structured JSON logs (pino). Never log keys, tokens or signatures: redact them at the source. */
import { pino } from "pino";

export function createLogger(level: string) {
  return pino({
    level,
    base: { service: "lanesegnet-backend" },
    redact: {
      paths: ["*.token", "*.key", "*.secret", "*.authorization", "*.signature"],
      censor: "[redacted]",
    },
  });
}

export type Logger = ReturnType<typeof createLogger>;
