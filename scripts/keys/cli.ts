/**
 * API keys for the edge, in the Redis the Worker uses (through its Upstash REST URL).
 *
 *   npm run keys -- create --user NAME    prints the new key once, as the last line of stdout
 *   npm run keys -- revoke KEY|HASH|-     revokes a key, or a key by the hash `list` shows (exit 1: no such key;
 *                                         exit 2: neither a key nor a hash);
 *                                         `-` reads the key from stdin, so it stays out of shell history and `ps`
 *   npm run keys -- list --user NAME      the user's keys: hash (what `revoke HASH` takes), creation time,
 *                                         and why a lookup refuses one that is still stored
 *
 * Connection: UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN and REDIS_KEY_PREFIX (default
 * "lsn:") from the environment, else from the .dev.vars file beside wrangler.toml (what
 * `wrangler dev` uses), so local keys land where the local Worker looks for them.
 */
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { parseArgs } from "node:util";
import { isSecureServiceUrl, SECURE_URL_RULE } from "@lanesegnet/shared";
import { API_KEY_PATTERN, type ApiKeyStanding, ApiKeyStore } from "../../edge/src/auth/api-keys.js";
import { createRedisClient, RedisUnavailableError } from "../../edge/src/redis/client.js";
import { KeySpace } from "../../edge/src/redis/keys.js";
import { readDevVars } from "../dev/dev-vars.js";
import { REPO_ROOT } from "../dev/repo-root.js";

const USAGE = `usage:
  npm run keys -- create --user NAME
  npm run keys -- revoke KEY|HASH|-   (-: the key from stdin)
  npm run keys -- list --user NAME`;

class UsageError extends Error {}

function connection(): { url: string; token: string; prefix: string } {
  const file = process.env.DEV_VARS_FILE ?? join(REPO_ROOT, ".dev.vars");
  const fromFile = readDevVars(file);
  const pick = (name: string) => process.env[name] ?? fromFile[name];
  const url = pick("UPSTASH_REDIS_REST_URL");
  const token = pick("UPSTASH_REDIS_REST_TOKEN");
  if (!url || !token) {
    throw new Error(
      `UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN must be set (environment or ${file})`,
    );
  }
  // Checked here by the edge's own rule, so that a bad value is named once and never echoed: a URL
  // with credentials in it would otherwise be printed whole (and the token must not travel in clear).
  if (!isSecureServiceUrl(url)) throw new Error(`UPSTASH_REDIS_REST_URL ${SECURE_URL_RULE}`);
  const parsed = new URL(url);
  if (parsed.username || parsed.password) {
    throw new Error(
      "UPSTASH_REDIS_REST_URL must not carry credentials: the token goes in UPSTASH_REDIS_REST_TOKEN",
    );
  }
  return { url, token, prefix: pick("REDIS_KEY_PREFIX") ?? "lsn:" };
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    options: { user: { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
    strict: true,
  });
  const [command, ...rest] = positionals;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!command) throw new UsageError("");

  // The command line first: a usage error must not depend on whether Redis is configured.
  if (command === "create" && (!values.user || rest.length > 0))
    throw new UsageError("create needs --user NAME");
  if (command === "revoke" && (rest.length !== 1 || values.user))
    throw new UsageError("revoke needs exactly one KEY");
  if (command === "revoke" && rest[0] !== "-") revocable(rest[0]!);
  if (command === "list" && (!values.user || rest.length > 0)) throw new UsageError("list needs --user NAME");
  if (!["create", "revoke", "list"].includes(command))
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);

  const { url, token, prefix } = connection();
  const store = new ApiKeyStore(createRedisClient({ url, token, timeoutMs: 10_000 }), new KeySpace(prefix));
  try {
    return await run(command, rest, values.user, store);
  } catch (error) {
    // fetch's own message ("fetch failed") names neither what it could not reach nor why. Only
    // that: any other TypeError is a bug, reported as it is.
    if (
      (error instanceof TypeError && error.message === "fetch failed") ||
      error instanceof RedisUnavailableError
    ) {
      throw new Error(
        `cannot reach the Upstash REST endpoint ${url} (${error.message}); is \`npm start\` or \`npm run bridge\` running, or UPSTASH_REDIS_REST_URL right?`,
      );
    }
    throw error;
  }
}

/**
 * What `revoke` was given: a key, or a key's hash as `list` prints it (for keys whose text is
 * lost; any case). Anything else is a usage error (exit 2).
 */
function revocable(arg: string): { kind: "key" | "hash"; value: string } {
  if (/^[0-9a-f]{64}$/i.test(arg)) return { kind: "hash", value: arg.toLowerCase() };
  if (API_KEY_PATTERN.test(arg)) return { kind: "key", value: arg };
  throw new UsageError("revoke takes a key (lsn_ and 43 more characters) or the 64-hex hash that list shows");
}

/** What `list` adds to a key's line: nothing for a key a lookup takes. */
const STANDING: Record<ApiKeyStanding, string> = {
  valid: "",
  "secret-not-recorded":
    "  unknown: made before keys recorded their tag secret (refused if made before keys carried a tag)",
  "made-under-replaced-secret":
    "  refused: made under a tag secret since replaced (isolates refuse it once they have read the new one; revoke it, make a new one)",
};

async function run(
  command: string,
  rest: string[],
  user: string | undefined,
  store: ApiKeyStore,
): Promise<number> {
  const values = { user };
  switch (command) {
    case "create": {
      if (!values.user) throw new UsageError("create needs --user NAME");
      const { key, hash } = await store.create(values.user);
      console.error(`created an API key for user ${values.user} (id ${hash.slice(0, 12)}).`);
      console.error("Store it now: it is not shown again. Use it as: Authorization: Bearer <key>");
      process.stdout.write(`${key}\n`);
      return 0;
    }
    case "revoke": {
      const [arg] = rest;
      if (!arg) throw new UsageError("revoke needs exactly one KEY");
      const key = arg === "-" ? (await text(process.stdin)).trim() : arg;
      if (!key) throw new UsageError("revoke -: no key on stdin");
      const target = revocable(key);
      const revoked =
        target.kind === "hash" ? await store.revokeHash(target.value) : await store.revoke(target.value);
      if (!revoked) {
        console.error("no such key (already revoked, never created, or mistyped)");
        return 1;
      }
      console.error("revoked");
      return 0;
    }
    case "list": {
      if (!values.user) throw new UsageError("list needs --user NAME");
      const keys = await store.list(values.user);
      if (keys.length === 0) console.error(`no keys for user ${values.user}`);
      for (const k of keys)
        process.stdout.write(`${k.hash}  created ${k.created_at}${STANDING[k.standing]}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      if (error instanceof Error && error.message) console.error(`keys: ${error.message}`);
      console.error(USAGE);
      process.exitCode = 2;
      return;
    }
    console.error(`keys: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
