import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type BridgeStats,
  CommandExecutor,
  createRedisClient,
  emptyStats,
  isCommandError,
} from "./commands.js";
import { replyToJson } from "./encode.js";
import { readRatelimitScripts, ShebangScriptRegistry } from "./lua-scripts.js";
import { type RedisSource, resolveRedis } from "./redis-source.js";

export interface BridgeOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  host?: string;
  /** Bearer token clients must send (UPSTASH_REDIS_REST_TOKEN). */
  token: string;
  /** Redis to use; default: REDIS_URL, else 127.0.0.1:6379, else a spawned redis-server. */
  redisUrl?: string | undefined;
  /** Largest request body accepted (default 10 MB, Upstash's request size limit); larger get 413. */
  maxBodyBytes?: number;
  /** Preload @upstash/ratelimit's scripts so its EVALSHAs never see NOSCRIPT (default true). */
  preloadRatelimitScripts?: boolean;
  /** Redis connection errors (the client reconnects by itself); default: ignored. */
  onRedisError?: (error: Error) => void;
}

export interface Bridge {
  /** Base URL for `new Redis({ url, token })`. */
  readonly url: string;
  readonly token: string;
  readonly redisUrl: string;
  /** Live counters, e.g. to check that no request needed a NOSCRIPT round trip. */
  readonly stats: BridgeStats;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 5_000;

/** The POST endpoints @upstash/redis uses. */
type Endpoint = "single" | "pipeline" | "multi-exec";

/**
 * Start an HTTP server speaking the Upstash REST protocol as @upstash/redis 1.39 and
 * @upstash/ratelimit 2.2 use it, over one shared connection to a real Redis.
 */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  if (!options.token) throw new Error("startBridge: a non-empty token is required");
  const host = options.host ?? "127.0.0.1";
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const expectedAuthorization = `Bearer ${options.token}`;

  let owned: RedisSource | undefined;
  let redisUrl = options.redisUrl;
  if (!redisUrl) {
    owned = await resolveRedis();
    redisUrl = owned.url;
  }

  const client = createRedisClient(redisUrl);
  const onRedisError = options.onRedisError;
  let connected = false;
  // Errors before the first connection are reported once, by the rejected connect() below.
  client.on("error", (error: Error) => {
    if (connected) onRedisError?.(error);
  });
  try {
    await connectWithin(client.connect(), CONNECT_TIMEOUT_MS);
    connected = true;
  } catch (error) {
    try {
      client.destroy();
    } catch {
      // already closed by the failed connect
    }
    await owned?.stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot connect to Redis at ${redact(redisUrl)}: ${reason}`);
  }

  const stats = emptyStats();
  const scripts = new ShebangScriptRegistry();
  const executor = new CommandExecutor(client, scripts, stats);

  const authorized = (header: string | undefined, rawUrl: string, query: number) =>
    header === expectedAuthorization || queryToken(rawUrl, query) === options.token;

  const server = createServer((req, res) => {
    stats.requests++;
    const rawUrl = req.url ?? "/";
    const query = rawUrl.indexOf("?");
    const path = query === -1 ? rawUrl : rawUrl.slice(0, query);
    const method = req.method;

    if (method === "GET" || method === "HEAD") {
      if (path === "/" || path === "/health") {
        client.sendCommand(["PING"]).then(
          () => send(res, 200, '{"result":"PONG"}'),
          (error: unknown) => send(res, 503, errorJson(error)),
        );
      } else if (path === "/stats") {
        // Counters for load tests and other processes (e.g. "no NOSCRIPT round trips"); needs the token.
        if (!authorized(req.headers.authorization, rawUrl, query)) send(res, 401, '{"error":"Unauthorized"}');
        else send(res, 200, statsJson(stats));
      } else send(res, 404, '{"error":"Not found"}');
      return;
    }
    if (method !== "POST") {
      res.setHeader("allow", "GET, HEAD, POST");
      send(res, 405, '{"error":"Method not allowed"}');
      return;
    }
    const endpoint = endpointOf(path);
    if (!endpoint) {
      send(res, 404, '{"error":"Not found"}');
      return;
    }
    if (!authorized(req.headers.authorization, rawUrl, query)) {
      send(res, 401, '{"error":"Unauthorized"}');
      return;
    }
    const base64 = req.headers["upstash-encoding"] === "base64";
    readBody(req, res, maxBodyBytes, (body) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString("utf8"));
      } catch {
        send(res, 400, '{"error":"ERR failed to parse request body as JSON"}');
        return;
      }
      if (endpoint === "single") runSingle(executor, parsed, base64, res);
      else runBatch(executor, parsed, base64, endpoint === "multi-exec", res);
    });
  });
  // Longer than undici's 4 s client keep-alive, so the server never closes a socket the client is
  // about to reuse (that race surfaces as a fetch error, which @upstash/redis retries: a retried
  // INCR would apply twice).
  server.keepAliveTimeout = 65_000;

  try {
    if (options.preloadRatelimitScripts !== false) await executor.preload(await readRatelimitScripts());
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => {
        server.removeListener("error", reject);
        resolve();
      });
    });
  } catch (error) {
    // e.g. the port is taken: let go of Redis before reporting it.
    await client.close().catch(() => client.destroy());
    await owned?.stop();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    token: options.token,
    redisUrl,
    stats,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await client.close().catch(() => client.destroy());
        await owned?.stop();
      })();
      return closing;
    },
  };
}

function endpointOf(path: string): Endpoint | null {
  if (path === "/") return "single";
  if (path === "/pipeline") return "pipeline";
  if (path === "/multi-exec") return "multi-exec";
  return null;
}

function runSingle(executor: CommandExecutor, parsed: unknown, base64: boolean, res: ServerResponse): void {
  const args = toCommand(parsed);
  if (!args) {
    send(res, 400, '{"error":"ERR request body must be a non-empty JSON array of strings and numbers"}');
    return;
  }
  executor.run(args).then(
    (reply) => send(res, 200, `{"result":${replyToJson(reply, base64, true)}}`),
    (error: unknown) => send(res, isCommandError(error) ? 400 : 500, errorJson(error)),
  );
}

function runBatch(
  executor: CommandExecutor,
  parsed: unknown,
  base64: boolean,
  transaction: boolean,
  res: ServerResponse,
): void {
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((command) => toCommand(command))) {
    send(res, 400, '{"error":"ERR request body must be a non-empty JSON array of commands"}');
    return;
  }
  const commands = parsed as string[][];
  if (transaction) {
    let replies: Promise<unknown[]>;
    try {
      replies = executor.transaction(commands);
    } catch (error) {
      replies = Promise.reject(error);
    }
    replies.then(
      (items) => send(res, 200, batchJson(items, base64)),
      (error: unknown) => send(res, isCommandError(error) ? 400 : 500, errorJson(error)),
    );
    return;
  }
  // Sent in order on one connection; each command succeeds or fails on its own.
  Promise.all(commands.map((args) => executor.run(args).catch(asItemError))).then(
    (items) => send(res, 200, batchJson(items, base64)),
    (error: unknown) => send(res, 500, errorJson(error)),
  );
}

/** A failed pipeline command becomes its item's `{error}`; connection failures fail the request. */
function asItemError(error: unknown): ItemError {
  if (isCommandError(error)) return new ItemError(error.message);
  throw error;
}

class ItemError {
  constructor(readonly message: string) {}
}

function batchJson(items: readonly unknown[], base64: boolean): string {
  let out = "[";
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ",";
    const item = items[i];
    if (item instanceof ItemError || item instanceof Error)
      out += `{"error":${JSON.stringify(item.message)}}`;
    else out += `{"result":${replyToJson(item, base64, true)}}`;
  }
  return `${out}]`;
}

/**
 * Validate one command (`["SET","k","v"]`) and turn numbers/booleans into the strings Redis
 * expects, in place. @upstash/redis already JSON-encodes objects, so anything else is a bad request.
 */
function toCommand(value: unknown): string[] | null {
  if (!Array.isArray(value) || value.length === 0) return null;
  for (let i = 0; i < value.length; i++) {
    const arg: unknown = value[i];
    if (typeof arg === "string") continue;
    if (typeof arg === "number" || typeof arg === "boolean") value[i] = String(arg);
    else return null;
  }
  return typeof value[0] === "string" && value[0].length > 0 ? (value as string[]) : null;
}

function readBody(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
  onBody: (body: Buffer) => void,
): void {
  const declared = Number(req.headers["content-length"]);
  if (declared > maxBytes) {
    tooLarge(res, declared > 4 * maxBytes);
    return; // node:http discards the unread body after the response
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let rejected = false;
  req.on("data", (chunk: Buffer) => {
    if (rejected) return;
    size += chunk.length;
    if (size > maxBytes) {
      rejected = true;
      chunks.length = 0;
      tooLarge(res, false);
      return;
    }
    chunks.push(chunk);
  });
  req.on("end", () => {
    if (!rejected) onBody(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
  });
  req.on("error", () => res.destroy());
}

function tooLarge(res: ServerResponse, closeConnection: boolean): void {
  if (closeConnection) res.setHeader("connection", "close");
  send(res, 413, '{"error":"ERR max request size exceeded"}');
}

function queryToken(rawUrl: string, query: number): string | null {
  if (query === -1) return null;
  return new URLSearchParams(rawUrl.slice(query + 1)).get("_token");
}

function send(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.end(body);
}

function statsJson(stats: BridgeStats): string {
  return JSON.stringify({ ...stats, byCommand: Object.fromEntries(stats.byCommand) });
}

function errorJson(error: unknown): string {
  return `{"error":${JSON.stringify(error instanceof Error ? error.message : String(error))}}`;
}

async function connectWithin(connecting: Promise<unknown>, ms: number): Promise<void> {
  connecting.catch(() => {}); // a late failure after the timeout must not be unhandled
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([connecting, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Hide a password in a redis:// URL before it goes into an error message. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}
