/**
 * `npm run keys` end to end: the CLI process against real Redis through the Upstash bridge, and
 * the key it prints checked with the same store the Worker uses.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEY_PATTERN, ApiKeyStore } from "../../edge/src/auth/api-keys.js";
import { createRedisClient } from "../../edge/src/redis/client.js";
import { KeySpace } from "../../edge/src/redis/keys.js";
import {
  connectRedis,
  deleteKeysWithPrefix,
  keyPrefix,
  startStack,
  type TestStack,
} from "../../test/harness/index.js";
import { freePort } from "../upstash-bridge/redis-source.js";

const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));
const TSX = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));

let stack: TestStack;
let store: ApiKeyStore;
let dir: string;
const prefix = keyPrefix("keys-cli");

beforeAll(async () => {
  stack = await startStack();
  store = new ApiKeyStore(
    createRedisClient({ url: stack.url, token: stack.token, timeoutMs: 5_000 }),
    new KeySpace(prefix),
  );
  dir = await mkdtemp(join(tmpdir(), "lsn-keys-"));
});

afterAll(async () => {
  const direct = await connectRedis(stack.redisUrl);
  await deleteKeysWithPrefix(direct, prefix);
  await direct.quit();
  await stack.close();
  await rm(dir, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string | undefined> = {}, stdin = "") {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      TSX,
      [CLI, ...args],
      {
        env: {
          PATH: process.env.PATH,
          DEV_VARS_FILE: join(dir, "absent.vars"),
          UPSTASH_REDIS_REST_URL: stack.url,
          UPSTASH_REDIS_REST_TOKEN: stack.token,
          REDIS_KEY_PREFIX: prefix,
          ...env,
        },
        timeout: 20_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin);
  });
}

describe("npm run keys", () => {
  it("creates a key (printed once, as the last line), lists and revokes it", async () => {
    const created = await run(["create", "--user", "carol"]);
    expect(created.code).toBe(0);
    const lines = created.stdout.trimEnd().split("\n");
    const key = lines.at(-1) ?? "";
    expect(key).toMatch(API_KEY_PATTERN);
    expect(created.stderr).not.toContain(key);
    expect(await store.lookup(key)).toMatchObject({ user: "carol" });

    const listed = await run(["list", "--user", "carol"]);
    expect(listed.code).toBe(0);
    // A key a lookup takes: its hash and creation time, nothing more.
    expect(listed.stdout).toMatch(/^[0-9a-f]{64} {2}created \d{4}-\S+\n$/);
    expect(listed.stdout).not.toContain(key);

    const revoked = await run(["revoke", key]);
    expect(revoked.code).toBe(0);
    expect(await store.lookup(key)).toBeNull();
    expect((await run(["revoke", key])).code).toBe(1);
  }, 60_000);

  it("revokes a key read from stdin with `-`, so it stays out of shell history and ps", async () => {
    const { key } = await store.create("erin");
    const revoked = await run(["revoke", "-"], {}, `${key}\n`);
    expect(revoked.code).toBe(0);
    expect(await store.lookup(key)).toBeNull();
    const empty = await run(["revoke", "-"], {}, "\n");
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/no key on stdin/);
  }, 30_000);

  it("refuses to revoke what is neither a key nor a hash, as a bad value (exit 2)", async () => {
    for (const arg of ["nonsense", "lsn_short", "g".repeat(64)]) {
      const r = await run(["revoke", arg]);
      expect(r.code, arg).toBe(2);
      expect(r.stderr, arg).toContain(
        "revoke takes a key (lsn_ and 43 more characters) or the 64-hex hash that list shows",
      );
    }
    // From stdin too.
    expect((await run(["revoke", "-"], {}, "nonsense\n")).code).toBe(2);
    // Before any connection is looked for: a usage error does not depend on Redis's settings.
    const unconfigured = await run(["revoke", "nonsense"], {
      DEV_VARS_FILE: join(dir, "absent.vars"),
      UPSTASH_REDIS_REST_URL: "",
      UPSTASH_REDIS_REST_TOKEN: "",
    });
    expect(unconfigured.code).toBe(2);
    expect(unconfigured.stderr).toContain("revoke takes a key");
  }, 30_000);

  it("takes a hash in capitals too", async () => {
    const { key, hash } = await store.create("frank");
    expect((await run(["revoke", hash.toUpperCase()])).code).toBe(0);
    expect(await store.lookup(key)).toBeNull();
  }, 30_000);

  it("says which listed keys a lookup refuses because their tag secret was replaced", async () => {
    const own = `${prefix}replaced:`;
    const env = { REDIS_KEY_PREFIX: own };
    const first = await run(["create", "--user", "gina"], env);
    expect(first.code).toBe(0);
    const direct = await connectRedis(stack.redisUrl);
    try {
      await direct.del(new KeySpace(own).apiKeyTagSecret());
    } finally {
      await direct.quit();
    }
    expect((await run(["create", "--user", "gina"], env)).code).toBe(0);
    const listed = await run(["list", "--user", "gina"], env);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^[0-9a-f]{64} {2}created \S+ {2}refused: made under a tag secret since replaced \(isolates refuse it once they have read the new one; revoke it, make a new one\)$/,
    );
    expect(lines[1]).toMatch(/^[0-9a-f]{64} {2}created \S+$/);
  }, 60_000);

  it("revokes by the hash that list shows", async () => {
    const { key, hash } = await store.create("dave");
    expect((await run(["revoke", hash])).code).toBe(0);
    expect(await store.lookup(key)).toBeNull();
  }, 30_000);

  it("reads the connection from a .dev.vars file", async () => {
    const file = join(dir, ".dev.vars");
    await writeFile(
      file,
      `# local secrets\nUPSTASH_REDIS_REST_URL="${stack.url}"\nUPSTASH_REDIS_REST_TOKEN=${stack.token}\nREDIS_KEY_PREFIX='${prefix}'\n`,
    );
    const created = await run(["create", "--user", "erin"], {
      DEV_VARS_FILE: file,
      UPSTASH_REDIS_REST_URL: undefined,
      UPSTASH_REDIS_REST_TOKEN: undefined,
      REDIS_KEY_PREFIX: undefined,
    });
    expect(created.code).toBe(0);
    expect(await store.lookup(created.stdout.trim().split("\n").at(-1) ?? "")).toMatchObject({
      user: "erin",
    });
  }, 30_000);

  it("prints its usage for --help, and succeeds", async () => {
    const res = await run(["--help"], { UPSTASH_REDIS_REST_URL: undefined });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^usage:\n {2}npm run keys -- create --user NAME/);
  }, 30_000);

  it.each([
    [[], 2],
    [["create"], 2],
    [["create", "--user", "bad user!"], 1],
    [["frobnicate"], 2],
    [["revoke"], 2],
    [["create", "--user", "x", "--bogus"], 2],
  ])(
    "refuses %j with exit code %i",
    async (args, code) => {
      const res = await run(args as string[]);
      expect(res.code).toBe(code);
      expect(res.stdout).toBe("");
    },
    30_000,
  );

  it("a usage error is reported as one, also without a connection", async () => {
    const res = await run(["frobnicate"], { UPSTASH_REDIS_REST_URL: undefined });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('unknown command "frobnicate"');
    expect(res.stderr).not.toContain("UPSTASH_REDIS_REST_URL");
  }, 30_000);

  it("says what is missing without a connection", async () => {
    const res = await run(["list", "--user", "x"], { UPSTASH_REDIS_REST_URL: undefined });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("UPSTASH_REDIS_REST_URL");
  }, 30_000);

  it("refuses an endpoint URL that is not https (or http to loopback) or carries credentials, without printing it", async () => {
    for (const url of [
      "http://user:s3cret@127.0.0.1:1/",
      "ftp://127.0.0.1/",
      "not a url",
      "http://s3cret-host.example.com/",
    ]) {
      const res = await run(["create", "--user", "x"], { UPSTASH_REDIS_REST_URL: url });
      expect(res.code).toBe(1);
      expect(res.stderr.trim().split("\n")).toHaveLength(1);
      expect(res.stderr).toMatch(/^keys: UPSTASH_REDIS_REST_URL must /);
      expect(res.stderr).not.toContain("s3cret");
    }
  }, 60_000);

  it("names the endpoint it could not reach, in one line", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const res = await run(["create", "--user", "x"], { UPSTASH_REDIS_REST_URL: url });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe("");
    expect(res.stderr.trim().split("\n")).toEqual([
      `keys: cannot reach the Upstash REST endpoint ${url} (fetch failed); is \`npm start\` or \`npm run bridge\` running, or UPSTASH_REDIS_REST_URL right?`,
    ]);
  }, 30_000);
});
