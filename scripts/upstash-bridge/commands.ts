import { createClient, ErrorReply, MultiErrorReply, RESP_TYPES } from "redis";
import type { ShebangScriptRegistry } from "./lua-scripts.js";
import { hasShebang } from "./lua-scripts.js";

/** Bulk strings come back as Buffers so non-UTF-8 bytes survive until they are base64-encoded. */
const BUFFER_REPLIES = { [RESP_TYPES.BLOB_STRING]: Buffer } as const;

export function createRedisClient(url: string) {
  let everConnected = false;
  // RESP2 like Upstash (scores as strings, no maps); no offline queue, so a lost connection
  // fails requests at once instead of stalling them (the client does not retry HTTP errors, so a
  // failed INCR is never applied twice).
  const client = createClient({
    url,
    RESP: 2,
    disableOfflineQueue: true,
    // node-redis 6 arms an AbortSignal.timeout (5 s) per command: measurable CPU and garbage on
    // this hot path, and it would cut off blocking commands and slow scripts. Upstash's clients
    // bring their own timeouts (@upstash/ratelimit's `timeout`, fetch signals).
    commandOptions: { timeout: 0 },
    socket: {
      connectTimeout: 2_000,
      // Fail the first connect at once (a wrong URL should say so, not retry forever); once
      // connected, reconnect with backoff up to 2 s.
      reconnectStrategy: (retries, cause) => (everConnected ? Math.min(50 * 2 ** retries, 2_000) : cause),
    },
  });
  client.once("ready", () => {
    everConnected = true;
  });
  return client;
}
export type BaseRedisClient = ReturnType<typeof createRedisClient>;

export function withBufferReplies(client: BaseRedisClient) {
  return client.withTypeMapping(BUFFER_REPLIES);
}
type BufferClient = ReturnType<typeof withBufferReplies>;

/** A command the bridge refuses; answered like a Redis error (HTTP 400). */
export class BridgeCommandError extends Error {
  override name = "BridgeCommandError";
}

/** Errors that are the command's answer (HTTP 400 / `{error}`), not a bridge or connection failure. */
export function isCommandError(error: unknown): error is Error {
  return error instanceof ErrorReply || error instanceof BridgeCommandError;
}

export interface BridgeStats {
  /** HTTP requests received (all paths). */
  requests: number;
  /** Redis commands received from clients. */
  commands: number;
  /** Commands received, by upper-case name (e.g. EVALSHA, EVAL). */
  readonly byCommand: Map<string, number>;
  /** EVALSHA of a known shebang script that Redis had lost, answered by EVAL of the stripped text. */
  evalFallbacks: number;
  /** NOSCRIPT errors passed back to clients (each costs the client a second round trip). */
  noscriptReplies: number;
}

export function emptyStats(): BridgeStats {
  return { requests: 0, commands: 0, byCommand: new Map(), evalFallbacks: 0, noscriptReplies: 0 };
}

/**
 * Commands that change or depend on connection state; on one shared connection they would leak
 * between clients (Upstash's REST API refuses them too).
 */
const CONNECTION_STATE_COMMANDS = new Set([
  "AUTH",
  "CLIENT",
  "DISCARD",
  "EXEC",
  "HELLO",
  "MONITOR",
  "MULTI",
  "PSUBSCRIBE",
  "PSYNC",
  "PUNSUBSCRIBE",
  "QUIT",
  "REPLCONF",
  "RESET",
  "SELECT",
  "SSUBSCRIBE",
  "SUBSCRIBE",
  "SUNSUBSCRIBE",
  "SYNC",
  "UNSUBSCRIBE",
  "UNWATCH",
  "WATCH",
]);

/** Commands that may block; on the shared connection they would stall every other request. */
const BLOCKING_COMMANDS = new Set([
  "BLMOVE",
  "BLMPOP",
  "BLPOP",
  "BRPOP",
  "BRPOPLPUSH",
  "BZMPOP",
  "BZPOPMAX",
  "BZPOPMIN",
  "WAIT",
  "WAITAOF",
]);

function isBlocking(name: string, args: readonly string[]): boolean {
  if (BLOCKING_COMMANDS.has(name)) return true;
  if (name !== "XREAD" && name !== "XREADGROUP") return false;
  return args.some((arg) => arg.length === 5 && arg.toUpperCase() === "BLOCK");
}

function isNoScript(error: unknown): boolean {
  return error instanceof ErrorReply && error.message.startsWith("NOSCRIPT");
}

/**
 * Runs Upstash REST commands on one shared Redis connection (node-redis pipelines concurrent
 * commands on it), rewriting shebang Lua scripts on the way. Command arrays are mutated in place.
 */
export class CommandExecutor {
  readonly #client: BufferClient;
  readonly #base: BaseRedisClient;
  readonly #scripts: ShebangScriptRegistry;
  readonly #stats: BridgeStats;

  constructor(base: BaseRedisClient, scripts: ShebangScriptRegistry, stats: BridgeStats) {
    this.#base = base;
    this.#client = withBufferReplies(base);
    this.#scripts = scripts;
    this.#stats = stats;
  }

  /** Register shebang scripts and SCRIPT LOAD their stripped text, so EVALSHA finds them. */
  async preload(scripts: readonly string[]): Promise<void> {
    await Promise.all(
      scripts.map((script) =>
        this.#client.sendCommand(["SCRIPT", "LOAD", this.#scripts.register(script).stripped]),
      ),
    );
  }

  #count(args: readonly string[]): string {
    const name = (args[0] as string).toUpperCase();
    this.#stats.commands++;
    const byCommand = this.#stats.byCommand;
    byCommand.set(name, (byCommand.get(name) ?? 0) + 1);
    return name;
  }

  /** One command; resolves the reply, rejects with ErrorReply/BridgeCommandError for Redis errors. */
  run(args: string[]): Promise<unknown> {
    const name = this.#count(args);
    switch (name) {
      case "EVALSHA":
      case "EVALSHA_RO":
        return this.#evalsha(name, args);
      case "EVAL":
      case "EVAL_RO":
        if (args.length > 1 && hasShebang(args[1] as string)) {
          args[1] = this.#scripts.register(args[1] as string).stripped;
        }
        return this.#client.sendCommand(args);
      case "SCRIPT":
        return this.#script(args);
      default:
        break;
    }
    if (CONNECTION_STATE_COMMANDS.has(name)) return Promise.reject(notAvailable(name));
    if (isBlocking(name, args)) return this.#runOnOwnConnection(args);
    return this.#client.sendCommand(args);
  }

  #evalsha(name: string, args: string[]): Promise<unknown> {
    const entry = args.length > 1 ? this.#scripts.bySha(args[1] as string) : undefined;
    if (!entry) {
      return this.#client.sendCommand(args).catch((error: unknown) => {
        if (isNoScript(error)) this.#stats.noscriptReplies++;
        throw error;
      });
    }
    args[1] = entry.strippedSha;
    return this.#client.sendCommand(args).catch((error: unknown) => {
      // Redis lost the script (restart, SCRIPT FLUSH): run the text we hold; Redis caches it again.
      if (!isNoScript(error)) throw error;
      this.#stats.evalFallbacks++;
      const evalArgs = args.slice();
      evalArgs[0] = name === "EVALSHA" ? "EVAL" : "EVAL_RO";
      evalArgs[1] = entry.stripped;
      return this.#client.sendCommand(evalArgs);
    });
  }

  async #script(args: string[]): Promise<unknown> {
    const sub = args[1]?.toUpperCase();
    if (sub === "LOAD" && args.length === 3 && hasShebang(args[2] as string)) {
      const entry = this.#scripts.register(args[2] as string);
      await this.#client.sendCommand(["SCRIPT", "LOAD", entry.stripped]);
      // The client computed the SHA1 of what it sent; answer that one so its EVALSHA matches.
      return entry.originalSha;
    }
    if (sub === "EXISTS") {
      for (let i = 2; i < args.length; i++) {
        const entry = this.#scripts.bySha(args[i] as string);
        if (entry) args[i] = entry.strippedSha;
      }
    }
    return this.#client.sendCommand(args);
  }

  async #runOnOwnConnection(args: string[]): Promise<unknown> {
    const connection = this.#base.duplicate();
    connection.on("error", () => {});
    await connection.connect();
    try {
      return await withBufferReplies(connection).sendCommand(args);
    } finally {
      connection.destroy();
    }
  }

  /**
   * MULTI/EXEC. A command Redis refuses while queueing (wrong arity, unknown command) aborts the
   * whole transaction: the promise rejects with that error. Errors raised while executing (e.g.
   * INCR on a non-integer) do not stop the others, like Redis and Upstash: they come back as
   * ErrorReply items in the array.
   */
  async transaction(commands: string[][]): Promise<unknown[]> {
    const multi = this.#client.multi();
    // SCRIPT LOAD of a shebang script must answer the client's hash, not the stripped one.
    let replacements: Map<number, string> | undefined;
    for (let i = 0; i < commands.length; i++) {
      const args = commands[i] as string[];
      const name = this.#count(args);
      if (CONNECTION_STATE_COMMANDS.has(name)) throw notAvailable(name);
      if ((name === "EVALSHA" || name === "EVALSHA_RO") && args.length > 1) {
        // No NOSCRIPT retry is possible inside EXEC, so send the stripped text itself.
        const entry = this.#scripts.bySha(args[1] as string);
        if (entry) {
          args[0] = name === "EVALSHA" ? "EVAL" : "EVAL_RO";
          args[1] = entry.stripped;
        }
      } else if (
        (name === "EVAL" || name === "EVAL_RO") &&
        args.length > 1 &&
        hasShebang(args[1] as string)
      ) {
        args[1] = this.#scripts.register(args[1] as string).stripped;
      } else if (name === "SCRIPT" && args.length === 3 && args[1]?.toUpperCase() === "LOAD") {
        if (hasShebang(args[2] as string)) {
          const entry = this.#scripts.register(args[2] as string);
          args[2] = entry.stripped;
          replacements ??= new Map();
          replacements.set(i, entry.originalSha);
        }
      }
      multi.addCommand(args);
    }
    let replies: unknown[];
    try {
      replies = (await multi.exec()) as unknown[];
    } catch (error) {
      if (!(error instanceof MultiErrorReply)) throw error;
      replies = error.replies as unknown[];
    }
    if (replacements) {
      for (const [index, sha] of replacements) {
        if (!(replies[index] instanceof ErrorReply)) replies[index] = sha;
      }
    }
    return replies;
  }
}

function notAvailable(name: string): BridgeCommandError {
  return new BridgeCommandError(`ERR Command is not available: '${name}'. See the Upstash REST API docs.`);
}
