/** Structured JSON logs (pino). Never log keys, tokens or signatures: redact them at the source. */
import { pino } from "pino";

/** `destination`: where the lines go (default stdout; tests read them). */
export function createLogger(level: string, destination?: pino.DestinationStream) {
  const options = {
    level,
    base: { service: "lanesegnet-backend" },
    redact: {
      paths: ["*.token", "*.key", "*.secret", "*.authorization", "*.signature"],
      censor: "[redacted]",
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type Logger = ReturnType<typeof createLogger>;
